"""Bearer tokens for the JSON API.

A token is shown once, when it is created; only its SHA-256 is stored, so a
copy of the database does not hand out API access. A token acts with its
owner's role and organisation, stops working when it expires, is revoked, or
its owner is disabled. A fast hash is right here (unlike passwords): tokens
are 256-bit random strings, so there is nothing to brute-force.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken, Researcher
from .audit import record

TOKEN_PREFIX = "cts_"  # noqa: S105 - a recognisable prefix (for secret scanners), not a secret
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 366


class TokenError(ValueError):
    """A token request that cannot be carried out; the message says why."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for ``DateTime(timezone=True)``; they are UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def token_is_usable(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    expires = _aware(token.expires_at)
    return not token.revoked and (expires is None or expires > now) and token.researcher.active


def create_token(
    owner: Researcher, name: str, lifetime_days: int = DEFAULT_LIFETIME_DAYS, actor: Researcher | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``owner``; returns (row, plaintext). The plaintext is never stored.

    Commits, with an audit row naming the token (never its value).
    """
    name = name.strip()
    if not name:
        raise TokenError("Give the token a name, so you can recognise it later.")
    if not 1 <= lifetime_days <= MAX_LIFETIME_DAYS:
        raise TokenError(f"A token can live from 1 to {MAX_LIFETIME_DAYS} days.")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        researcher=owner,
        name=name[:100],
        token_hash=hash_token(plaintext),
        expires_at=datetime.now(UTC) + timedelta(days=lifetime_days),
    )
    db.session.add(token)
    db.session.flush()
    record(
        "api_token.create",
        actor=actor or owner,
        organisation_id=owner.organisation_id,
        target=f"api_token:{token.id}",
        parameters={"owner": f"researcher:{owner.id}", "name": token.name, "lifetime_days": lifetime_days},
    )
    db.session.commit()
    return token, plaintext


def revoke_token(token: ApiToken, actor: Researcher) -> None:
    """Revoke a token (idempotent); commits with an audit row."""
    if not token.revoked:
        token.revoked = True
        record(
            "api_token.revoke",
            actor=actor,
            organisation_id=token.researcher.organisation_id,
            target=f"api_token:{token.id}",
            parameters={"owner": f"researcher:{token.researcher_id}", "name": token.name},
        )
    db.session.commit()


def token_for_bearer(plaintext: str) -> ApiToken | None:
    """The usable token matching a presented bearer value, or None."""
    if not plaintext or len(plaintext) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    if token is None or not token_is_usable(token):
        return None
    return token


def tokens_of(researcher: Researcher) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.researcher_id == researcher.id).order_by(ApiToken.created_at.desc())
        )
    )


def tokens_of_organisation(organisation_id: int) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .join(Researcher, ApiToken.researcher_id == Researcher.id)
            .where(Researcher.organisation_id == organisation_id)
            .order_by(ApiToken.created_at.desc())
        )
    )

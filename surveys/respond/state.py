"""The respondent's progress through a multi-page survey, carried in the page itself.

Nothing is written to the database before the final submit, and no cookie
remembers a respondent: earlier pages' answers travel in one hidden form field,
encrypted and authenticated with a key derived from the app's SECRET_KEY
(Fernet: AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package). The
server can trust what it validated on an earlier page without keeping it, and
the page source on a shared or seized device does not show earlier answers or
the invite code. The token carries its creation time; a state older than
``STATE_MAX_AGE_SECONDS`` is refused (the respondent starts again) so an
abandoned form left open on a shared device goes stale.

The state also holds a random one-time submission token. Its keyed hash is
stored (in a table with no link to responses) in the same transaction as the
response, so submitting the same form twice stores one response.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

STATE_SALT = b"civic-trust-survey.respond.state.v2"
TOKEN_SALT = b"civic-trust-survey.respond.submission-token.v1"
STATE_MAX_AGE_SECONDS = 6 * 3600


class StateError(ValueError):
    """The hidden state is missing, altered or does not belong to this survey."""


class StateExpired(StateError):
    """The hidden state is genuine but older than ``STATE_MAX_AGE_SECONDS``."""


@dataclass(frozen=True)
class SurveyState:
    """Where a respondent is: survey, wave, jurisdiction, page, answers so far."""

    survey_id: int
    wave_id: int
    jurisdiction_id: int
    page: int = 0
    answers: dict[str, Any] = field(default_factory=dict)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    seed: int = field(default_factory=lambda: secrets.randbelow(2**31))
    invite_code: str | None = None

    def with_answers(self, answers: dict[str, Any], page: int) -> SurveyState:
        return replace(self, answers=dict(answers), page=page)

    def submission_key(self) -> str:
        """The keyed hash of the one-time token: what the database keeps, never the token."""
        secret = str(current_app.config["SECRET_KEY"]).encode()
        return hmac.new(secret + TOKEN_SALT, self.token.encode(), hashlib.sha256).hexdigest()

    def _as_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "s": self.survey_id, "w": self.wave_id, "j": self.jurisdiction_id, "p": self.page,
            "a": self.answers, "t": self.token, "r": self.seed,
        }
        if self.invite_code:
            payload["c"] = self.invite_code
        return payload


def _fernet() -> Fernet:
    """A Fernet key derived from SECRET_KEY, separate from every other use of it."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hmac.new(secret, STATE_SALT, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def dump_state(state: SurveyState, issued_at: float | None = None) -> str:
    """The encrypted hidden-field value for ``state`` (``issued_at`` defaults to now)."""
    payload = json.dumps(state._as_payload(), separators=(",", ":")).encode()
    moment = int(time.time() if issued_at is None else issued_at)
    return _fernet().encrypt_at_time(payload, moment).decode("ascii")


def _checked(payload: Any) -> SurveyState:
    """Rebuild a state from a payload that decrypted (so we wrote it)."""
    try:
        state = SurveyState(
            survey_id=int(payload["s"]), wave_id=int(payload["w"]), jurisdiction_id=int(payload["j"]),
            page=int(payload["p"]), answers=dict(payload["a"]), token=str(payload["t"]),
            seed=int(payload["r"]), invite_code=payload.get("c"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError("malformed state") from exc
    if state.page < 0:
        raise StateError("malformed state")
    return state


def load_state(value: str | None, survey_id: int) -> SurveyState:
    """The state from a posted hidden field, checked to belong to ``survey_id``."""
    if not value or len(value) > 200_000:
        raise StateError("no state")
    fernet = _fernet()
    try:
        token = value.encode("ascii")
        plain = fernet.decrypt(token, ttl=STATE_MAX_AGE_SECONDS)
    except UnicodeEncodeError as exc:
        raise StateError("bad state") from exc
    except InvalidToken as exc:
        # Fernet does not say why; tell an expired genuine token from a forged one.
        try:
            fernet.decrypt(token)
        except InvalidToken:
            raise StateError("bad or altered state") from exc
        raise StateExpired("state expired") from exc
    try:
        payload = json.loads(plain)
    except ValueError as exc:
        raise StateError("malformed state") from exc
    state = _checked(payload)
    if state.survey_id != survey_id:
        raise StateError("state of another survey")
    return state

"""Researcher accounts and organisations: the service functions the CLI and views call.

Each change commits together with its audit row. A password reset or change, a role
change and disabling an account revoke every API token of the account for good; a
refused login leaves an ``auth.login_failed`` row (the account if it exists; never the
typed email, the password or the client's address).
"""
from __future__ import annotations

import secrets

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, func, select, update

from ..extensions import db
from ..models import ApiToken, Organisation, Researcher, Role, password_hasher, utcnow
from .audit import record
from .passwords import check_password_policy


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


class WrongPassword(AccountError):
    """The current password given to confirm a change is not the account's password."""


def get_or_create_organisation(name: str) -> Organisation:
    name = name.strip()
    if not name:
        raise AccountError("An organisation needs a name.")
    found = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if found is None:
        found = Organisation(name=name)
        db.session.add(found)
        db.session.flush()
    return found


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address.")
    return email


def find_researcher(email: str) -> Researcher | None:
    return db.session.scalar(select(Researcher).where(func.lower(Researcher.email) == email.strip().lower()))


def create_researcher(
    email: str, role: str, organisation_name: str, password: str, actor: Researcher | None = None
) -> Researcher:
    """Create an account after checking the role, the email and the password policy.

    Commits, and writes an audit row (without the password, of course).
    """
    try:
        role_value = Role(role).value
    except ValueError:
        raise AccountError(f"Unknown role {role!r}: choose admin, analyst or viewer.") from None
    email = normalise_email(email)
    if find_researcher(email) is not None:
        raise AccountError(f"A researcher with email {email} already exists.")
    check_password_policy(password)
    organisation = get_or_create_organisation(organisation_name)
    researcher = Researcher(email=email, role=role_value, organisation=organisation)
    researcher.set_password(password)
    db.session.add(researcher)
    db.session.flush()
    record(
        "account.create",
        actor=actor,
        organisation_id=organisation.id,
        target=f"researcher:{researcher.id}",
        parameters={"email": email, "role": role_value},
    )
    db.session.commit()
    return researcher


# --- authentication -------------------------------------------------------

_dummy_hash: str | None = None


def _dummy_password_hash() -> str:
    """A hash with the live parameters, verified when the email is unknown (equal timing)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = password_hasher.hash(secrets.token_urlsafe(24))
    return _dummy_hash


def authenticate(email: str, password: str) -> Researcher | None:
    """The active researcher with this email and password, else None.

    Unknown emails cost one argon2 verification too (against a dummy hash), and
    a disabled account is refused only after its password is checked, so the
    time taken does not tell which emails exist. On success the hash is
    upgraded when the hasher's parameters have changed, and the login time is
    noted (both committed).
    """
    researcher = find_researcher(email) if len(email) <= 254 else None
    if researcher is None:
        try:
            password_hasher.verify(_dummy_password_hash(), password)
        except (VerificationError, InvalidHashError):
            pass
        _record_failed_login(None)
        return None
    if not researcher.check_password(password) or not researcher.active:
        _record_failed_login(researcher)
        return None
    if researcher.password_needs_rehash():
        researcher.set_password(password)
    researcher.last_login_at = utcnow()
    record("auth.login", actor=researcher, target=f"researcher:{researcher.id}")
    db.session.commit()
    return researcher


def _record_failed_login(researcher: Researcher | None) -> None:
    """Audit a refused login: the account when it exists; never the typed email, password or address."""
    if researcher is None:
        record("auth.login_failed", parameters={"account": "unknown"})
    else:
        record("auth.login_failed", organisation_id=researcher.organisation_id,
               target=f"researcher:{researcher.id}", parameters={"disabled": not researcher.active})
    db.session.commit()


def revoke_all_tokens(researcher: Researcher) -> dict[str, int]:
    """Revoke every API token of the account, for good (re-enabling it revives none).

    Returns the audit parameters saying how many were revoked (nothing when none were).
    """
    result: CursorResult = db.session.execute(  # type: ignore[assignment]  # an UPDATE gives a cursor
        update(ApiToken).where(ApiToken.researcher_id == researcher.id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    )
    revoked = int(result.rowcount or 0)
    return {"api_tokens_revoked": revoked} if revoked else {}


def record_logout(researcher: Researcher) -> None:
    """Logout ends every session of the account (cookie sessions cannot be revoked singly)."""
    researcher.session_version += 1
    record("auth.logout", actor=researcher, target=f"researcher:{researcher.id}")
    db.session.commit()


def change_own_password(researcher: Researcher, current: str, new: str) -> None:
    """Change a password after checking the current one; ends the account's other sessions.

    Raises ``AccountError`` for a wrong current password, ``WeakPassword`` for a weak new one.
    """
    if not researcher.check_password(current):
        raise WrongPassword("The current password is not correct.")
    check_password_policy(new)
    if researcher.check_password(new):
        raise AccountError("The new password must differ from the current one.")
    researcher.set_password(new)
    researcher.session_version += 1
    revoked = revoke_all_tokens(researcher)
    record("account.password_change", actor=researcher, target=f"researcher:{researcher.id}",
           parameters=revoked)
    db.session.commit()


# --- administration (an admin acting on researchers of their own organisation) ---


def _active_admins(organisation_id: int) -> int:
    return db.session.scalar(
        select(func.count(Researcher.id)).where(
            Researcher.organisation_id == organisation_id,
            Researcher.role == Role.ADMIN.value,
            Researcher.active.is_(True),
        )
    ) or 0


def _keeps_an_admin(researcher: Researcher) -> None:
    if researcher.role == Role.ADMIN.value and researcher.active and _active_admins(researcher.organisation_id) <= 1:
        raise AccountError("This is the organisation's last active admin; make another admin first.")


def add_researcher(actor: Researcher, email: str, role: str, password: str) -> Researcher:
    """Create a researcher in the actor's own organisation (audited)."""
    return create_researcher(email, role, actor.organisation.name, password, actor=actor)


def change_role(actor: Researcher, researcher: Researcher, role: str) -> None:
    try:
        new_role = Role(role).value
    except ValueError:
        raise AccountError(f"Unknown role {role!r}: choose admin, analyst or viewer.") from None
    if new_role == researcher.role:
        return
    if new_role != Role.ADMIN.value:
        _keeps_an_admin(researcher)
    old_role = researcher.role
    researcher.role = new_role
    # A new role takes effect at once, and a demoted account must log in again; its API tokens,
    # made under the old role, end for good.
    researcher.session_version += 1
    revoked = revoke_all_tokens(researcher)
    record(
        "account.role_change",
        actor=actor,
        target=f"researcher:{researcher.id}",
        parameters={"from": old_role, "to": new_role, **revoked},
    )
    db.session.commit()


def set_active(actor: Researcher, researcher: Researcher, active: bool) -> None:
    """Disable (ending every session at once) or re-enable an account."""
    if researcher.active == active:
        return
    if not active:
        if researcher.id == actor.id:
            raise AccountError("You cannot disable your own account.")
        _keeps_an_admin(researcher)
    researcher.active = active
    researcher.session_version += 1
    if active:
        record("account.enable", actor=actor, target=f"researcher:{researcher.id}")
    else:  # revoked, not just unusable while disabled: re-enabling the account revives no token
        revoked = revoke_all_tokens(researcher)
        record("account.disable", actor=actor, target=f"researcher:{researcher.id}",
               parameters=revoked)
    db.session.commit()


def reset_password(actor: Researcher, researcher: Researcher) -> str:
    """Give the account a random temporary password (returned once), ending its sessions."""
    temporary = "-".join(secrets.token_urlsafe(6) for _ in range(4))
    researcher.set_password(temporary)
    researcher.session_version += 1
    revoked = revoke_all_tokens(researcher)
    record("account.password_reset", actor=actor, target=f"researcher:{researcher.id}",
           parameters=revoked)
    db.session.commit()
    return temporary


def researchers_of(organisation_id: int) -> list[Researcher]:
    return list(
        db.session.scalars(
            select(Researcher).where(Researcher.organisation_id == organisation_id).order_by(Researcher.email)
        )
    )

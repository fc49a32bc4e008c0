"""Researcher accounts and organisations: the service functions the CLI and views call."""
from __future__ import annotations

from sqlalchemy import func, select

from .audit import record
from .extensions import db
from .models import Organisation, Researcher, Role
from .passwords import check_password_policy


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


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

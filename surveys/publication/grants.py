"""Restricted microdata grants: an admin lets one named analyst download exact days and free text.

The safe microdata export is the default (``safe_microdata``). Restricted
microdata (``exports.response_frame`` as stored) needs a grant made by an
admin of the survey's organisation for a named analyst, with a stated purpose
and an expiry (at most a year). Grants and every download under them are
audited.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..accounts.audit import record
from ..extensions import db
from ..models import MicrodataGrant, Researcher, Role, Survey, utcnow

MAX_GRANT = timedelta(days=366)


class GrantError(ValueError):
    """A grant that cannot be made or used; the message says why."""


def grant_microdata(admin: Researcher, survey: Survey, analyst: Researcher, purpose: str,
                    expires_at: datetime) -> MicrodataGrant:
    """Record a grant (committed, audited as ``microdata.grant``)."""
    now = utcnow()
    if not admin.has_role(Role.ADMIN) or admin.organisation_id != survey.organisation_id:
        raise GrantError("only an admin of the survey's organisation may grant restricted microdata")
    if not analyst.has_role(Role.ANALYST, Role.ADMIN) or analyst.organisation_id != survey.organisation_id:
        raise GrantError("restricted microdata may be granted only to an analyst or admin of the organisation")
    if len(purpose.strip()) < 10:
        raise GrantError("state the purpose (at least 10 characters)")
    expires = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=now.tzinfo)
    if not now < expires <= now + MAX_GRANT:
        raise GrantError("the expiry must be in the future and within a year")
    grant = MicrodataGrant(survey_id=survey.id, analyst_id=analyst.id, granted_by_id=admin.id,
                           purpose=purpose.strip(), expires_at=expires)
    db.session.add(grant)
    db.session.flush()
    record("microdata.grant", actor=admin, organisation_id=survey.organisation_id, target=f"survey:{survey.id}",
           parameters={"grant": grant.id, "analyst": analyst.id, "purpose": grant.purpose,
                       "expires_at": expires.isoformat()})
    db.session.commit()
    return grant


def active_grant(survey: Survey, researcher: Researcher | None) -> MicrodataGrant | None:
    """The researcher's unexpired, unrevoked grant for ``survey``, if any."""
    if researcher is None:
        return None
    now = utcnow()
    grants = db.session.scalars(select(MicrodataGrant).where(
        MicrodataGrant.survey_id == survey.id, MicrodataGrant.analyst_id == researcher.id,
        MicrodataGrant.revoked.is_(False))).all()
    return next((g for g in grants if g.active(now)), None)

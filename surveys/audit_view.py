"""Reading the audit trail back: one organisation's rows, newest first, filtered and paged.

Kept apart from ``audit.record`` (writing) so the writer stays tiny and the
admin page's queries have a home outside the blueprint.
"""
from __future__ import annotations

from sqlalchemy import select

from .extensions import db
from .models import AuditLog

PER_PAGE = 50


def audit_actions(organisation_id: int) -> list[str]:
    """The distinct actions recorded for an organisation (for the filter menu)."""
    return list(
        db.session.scalars(
            select(AuditLog.action).where(AuditLog.organisation_id == organisation_id).distinct().order_by(
                AuditLog.action
            )
        )
    )


def audit_page(
    organisation_id: int,
    *,
    action: str | None = None,
    researcher_id: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
):  # noqa: ANN201 - a flask_sqlalchemy Pagination
    """One page of the organisation's audit rows (newest first)."""
    query = select(AuditLog).where(AuditLog.organisation_id == organisation_id)
    if action:
        query = query.where(AuditLog.action == action)
    if researcher_id is not None:
        query = query.where(AuditLog.researcher_id == researcher_id)
    query = query.order_by(AuditLog.occurred_at.desc(), AuditLog.id.desc())
    return db.paginate(query, page=max(1, page), per_page=per_page, error_out=False, count=True)

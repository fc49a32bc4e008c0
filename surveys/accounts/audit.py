"""The audit trail: every export, report and account change leaves a row.

Callers pass parameters that describe the request (format, filters, survey);
never response content. The row joins the caller's transaction, so an action
and its audit record commit together.
"""
from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import AuditLog, Researcher


def record(
    action: str,
    *,
    actor: Researcher | None = None,
    organisation_id: int | None = None,
    target: str = "",
    parameters: dict[str, Any] | None = None,
) -> AuditLog:
    row = AuditLog(
        action=action,
        researcher_id=actor.id if actor is not None else None,
        organisation_id=organisation_id if organisation_id is not None else getattr(actor, "organisation_id", None),
        target=target,
        parameters=dict(parameters or {}),
    )
    db.session.add(row)
    return row

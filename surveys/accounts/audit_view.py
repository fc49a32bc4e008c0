"""Reading the audit trail back: one organisation's rows, newest first, filtered and paged.

Kept apart from ``audit.record`` (writing) so the writer stays tiny and the
admin page's queries have a home outside the blueprint.
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import AuditLog, Researcher, Survey

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
):
    """One page of the organisation's audit rows (newest first)."""
    query = select(AuditLog).where(AuditLog.organisation_id == organisation_id)
    if action:
        query = query.where(AuditLog.action == action)
    if researcher_id is not None:
        query = query.where(AuditLog.researcher_id == researcher_id)
    query = query.order_by(AuditLog.occurred_at.desc(), AuditLog.id.desc())
    return db.paginate(query, page=max(1, page), per_page=per_page, error_out=False, count=True)


# What each recorded action means, in words (an action not listed is shown by its own name, tidied).
ACTION_LABELS = {
    "account.create": "Account created",
    "account.disable": "Account disabled",
    "account.enable": "Account enabled",
    "account.password_change": "Password changed",
    "account.password_reset": "Password reset by an admin",
    "account.role_change": "Role changed",
    "api_token.create": "API token created",
    "api_token.revoke": "API token revoked",
    "auth.login": "Signed in",
    "auth.login_failed": "Failed sign-in",
    "auth.logout": "Signed out",
    "export.aggregates": "Downloaded aggregate tables",
    "export.codebook": "Downloaded the codebook",
    "export.invite_codes": "Downloaded invite codes (CSV)",
    "export.responses": "Downloaded responses (microdata)",
    "invite_codes.create": "Invite codes created",
    "jurisdiction.create": "Jurisdiction added",
    "jurisdiction.update": "Jurisdiction edited",
    "microdata.grant": "Restricted microdata granted",
    "policy_event.create": "Policy event recorded",
    "policy_event.delete": "Policy event deleted",
    "records.import": "Police records imported",
    "release.publish": "Release published",
    "report.estimates": "Computed a report's estimates",
    "report.export": "Downloaded a report",
    "responses.write_out_small_batch": "Buffered responses written out",
    "survey.create": "Survey created",
    "survey.update": "Survey settings changed",
    "view.dashboard": "Viewed the dashboard",
    "view.estimates": "Viewed the policy-effect estimates",
    "wave.close": "Wave closed",
    "wave.create": "Wave added",
    "wave.reopen": "Wave reopened",
    "wave.update": "Wave label or dates changed",
}


def action_label(action: str) -> str:
    """``"view.dashboard"`` -> ``"Viewed the dashboard"``; unknown actions tidied (``"a.b_c"`` -> ``"A: b c"``)."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    head, _, tail = action.partition(".")
    return f"{head.replace('_', ' ').capitalize()}: {tail.replace('_', ' ')}" if tail else action


def target_labels(organisation_id: int, targets: list[str]) -> dict[str, str]:
    """``"survey:1"`` -> ``"survey: <title>"`` and ``"researcher:3"`` -> ``"researcher: <email>"``
    for the organisation's own rows; anything else (or gone) is shown as stored."""
    wanted: dict[str, set[int]] = {"survey": set(), "researcher": set()}
    for target in targets:
        kind, _, number = target.partition(":")
        if kind in wanted and number.isdigit():
            wanted[kind].add(int(number))
    labels: dict[str, str] = {}
    if wanted["survey"]:
        for sid, title in db.session.execute(select(Survey.id, Survey.title).where(
                Survey.id.in_(wanted["survey"]), Survey.organisation_id == organisation_id)):
            labels[f"survey:{sid}"] = f"survey: {title}"
    if wanted["researcher"]:
        for rid, email in db.session.execute(select(Researcher.id, Researcher.email).where(
                Researcher.id.in_(wanted["researcher"]), Researcher.organisation_id == organisation_id)):
            labels[f"researcher:{rid}"] = f"researcher: {email}"
    return labels

"""Admin pages: the organisation's researchers, their API tokens, and the audit log.

Admins act only inside their own organisation; a researcher or token of
another organisation is a 404. Every change goes through ``surveys.accounts``
(whose services write the audit row and commit) and happens on POST.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from ...accounts.access import (
    ADMINS,
    acting_researcher,
    researcher_in_my_organisation,
    role_required,
)
from ...accounts.audit_view import action_label, audit_actions, audit_page, target_labels
from ...accounts.passwords import WeakPassword
from ...accounts.service import AccountError, add_researcher, change_role, researchers_of, reset_password, set_active
from ...accounts.tokens import revoke_token, tokens_of_organisation
from ...extensions import db
from ...models import ApiToken
from ..blueprint import bp
from ..form_flow import PostForm, run_form
from .forms import AuditFilterForm, NewResearcherForm, RoleForm


@bp.get("/admin/researchers")
@role_required(*ADMINS)
def researchers():
    me = acting_researcher()
    return render_template(
        "research/admin/researchers.html", researchers=researchers_of(me.organisation_id), action_form=PostForm()
    )


@bp.route("/admin/researchers/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def researcher_new():
    form = NewResearcherForm()
    outcome = run_form(
        form,
        lambda: add_researcher(acting_researcher(), form.email.data, form.role.data, form.password.data),
        errors=(AccountError, WeakPassword),
        field=form.email,
    )
    if outcome.done:
        flash(f"Created {outcome.result.role} {outcome.result.email}.", "info")
        return redirect(url_for("research.researchers"))
    return render_template("research/admin/researcher_new.html", form=form), outcome.status


@bp.route("/admin/researchers/<int:researcher_id>", methods=["GET", "POST"])
@role_required(*ADMINS)
def researcher_edit(researcher_id: int):
    """GET: the account page; POST: change the role."""
    target = researcher_in_my_organisation(researcher_id)
    form = RoleForm(role=target.role)
    outcome = run_form(
        form, lambda: change_role(acting_researcher(), target, form.role.data), errors=(AccountError,), field=form.role
    )
    if outcome.done:
        flash(f"{target.email} is now {target.role}.", "info")
        return redirect(url_for("research.researcher_edit", researcher_id=target.id))
    page = render_template("research/admin/researcher_edit.html", target=target, form=form, action_form=PostForm())
    return page, outcome.status


def _set_active(researcher_id: int, active: bool):
    target = researcher_in_my_organisation(researcher_id)
    if PostForm().validate_on_submit():
        try:
            set_active(acting_researcher(), target, active)
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{target.email} is {'enabled' if active else 'disabled; their sessions have ended'}.", "info")
    return redirect(url_for("research.researcher_edit", researcher_id=target.id))


@bp.post("/admin/researchers/<int:researcher_id>/disable")
@role_required(*ADMINS)
def researcher_disable(researcher_id: int):
    return _set_active(researcher_id, False)


@bp.post("/admin/researchers/<int:researcher_id>/enable")
@role_required(*ADMINS)
def researcher_enable(researcher_id: int):
    return _set_active(researcher_id, True)


@bp.post("/admin/researchers/<int:researcher_id>/reset-password")
@role_required(*ADMINS)
def researcher_reset_password(researcher_id: int):
    target = researcher_in_my_organisation(researcher_id)
    if not PostForm().validate_on_submit():
        return redirect(url_for("research.researcher_edit", researcher_id=target.id))
    temporary = reset_password(acting_researcher(), target)
    # Shown once, in this no-store response; never stored or logged in clear.
    return render_template("research/admin/password_reset.html", target=target, temporary=temporary)


@bp.get("/admin/tokens")
@role_required(*ADMINS)
def organisation_tokens():
    me = acting_researcher()
    return render_template(
        "research/admin/tokens.html", tokens=tokens_of_organisation(me.organisation_id), revoke_form=PostForm()
    )


@bp.post("/admin/tokens/<int:token_id>/revoke")
@role_required(*ADMINS)
def organisation_token_revoke(token_id: int):
    me = acting_researcher()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.researcher.organisation_id != me.organisation_id:
        abort(404, description="No such token.")
    if PostForm().validate_on_submit():
        revoke_token(token, actor=me)
        flash(f"Token “{token.name}” of {token.researcher.email} revoked.", "info")
    return redirect(url_for("research.organisation_tokens"))


@bp.get("/admin/audit")
@role_required(*ADMINS)
def audit_log():
    me = acting_researcher()
    people = researchers_of(me.organisation_id)
    form = AuditFilterForm(request.args)
    actions = audit_actions(me.organisation_id)
    form.action.choices = [SelectChoice("", "Any action")] + [SelectChoice(a, action_label(a)) for a in actions]
    form.researcher.choices = [SelectChoice("", "Anyone")] + [SelectChoice(str(r.id), r.email) for r in people]
    action = (request.args.get("action") or "").strip() or None
    researcher_id = request.args.get("researcher", type=int)
    page = request.args.get("page", default=1, type=int) or 1
    rows = audit_page(me.organisation_id, action=action, researcher_id=researcher_id, page=page)
    return render_template(
        "research/admin/audit.html",
        rows=rows,
        form=form,
        action=action,
        researcher_id=researcher_id,
        action_label=action_label,
        targets=target_labels(me.organisation_id, [row.target for row in rows.items if row.target]),
    )

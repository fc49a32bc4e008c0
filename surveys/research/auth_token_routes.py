"""A researcher's own API tokens: list, create (shown once), revoke.

Tokens act with their owner's role, so every role may hold them (a viewer's
token reads aggregates; only analysts' and admins' tokens export rows).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from ..api_tokens import TokenError, create_token, revoke_token, tokens_of
from ..extensions import db
from ..models import ApiToken
from . import bp
from .access import current_researcher, role_required
from .auth_forms import ApiTokenForm, PostForm
from .form_flow import run_form


@bp.route("/account/tokens", methods=["GET", "POST"])
@role_required()
def api_tokens():  # noqa: ANN201
    researcher = current_researcher()
    form = ApiTokenForm()
    outcome = run_form(
        form,
        lambda: create_token(researcher, form.name.data, form.lifetime_days.data),
        errors=(TokenError,),
        field=form.name,
    )
    if outcome.done:
        token, plaintext = outcome.result
        # Rendered, not redirected: the value exists only in this one response (sent no-store).
        return render_template("research/token_created.html", token=token, plaintext=plaintext)
    page = render_template("research/tokens.html", form=form, tokens=tokens_of(researcher), revoke_form=PostForm())
    return page, outcome.status


@bp.post("/account/tokens/<int:token_id>/revoke")
@role_required()
def revoke_api_token(token_id: int):  # noqa: ANN201
    researcher = current_researcher()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.researcher_id != researcher.id:
        abort(404, description="No such token.")
    if PostForm().validate_on_submit():
        revoke_token(token, actor=researcher)
        flash(f"Token “{token.name}” revoked.", "info")
    return redirect(url_for("research.api_tokens"))

"""Login, logout, the researcher home page, changing one's own password, one's own API tokens.

The login contract is stable: ``research.login`` at ``/research/login`` with
form fields ``email`` and ``password``. Wrong email and wrong password get
the same message, status and (by ``accounts.authenticate``) the same time.
Two brakes on guessing: Flask-Limiter per client (``LOGIN_RATE_LIMIT``) and an
expiring per-account backoff (``accounts.throttle``).

API tokens act with their owner's role, so every role may hold them (a
viewer's token reads aggregates; only analysts' and admins' tokens export rows).
"""
from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ...accounts.access import acting_researcher, current_researcher, role_required
from ...accounts.passwords import WeakPassword
from ...accounts.service import AccountError, WrongPassword, authenticate, change_own_password, record_logout
from ...accounts.session import end_session, enforce_session_lifetime, start_session
from ...accounts.throttle import record_failure, record_success, seconds_locked
from ...accounts.tokens import TokenError, create_token, revoke_token, tokens_of
from ...extensions import db, limiter
from ...models import ApiToken, Survey
from ..blueprint import bp
from ..form_flow import PostForm, run_form
from .forms import ApiTokenForm, ChangePasswordForm, LoginForm

LOGIN_FAILED = "Email or password is incorrect."
DEFAULT_LOGIN_RATE_LIMIT = "10 per minute; 60 per hour"

bp.before_app_request(enforce_session_lifetime)


def login_rate_limit() -> str:
    """The per-client limit on login and password-change POSTs (``LOGIN_RATE_LIMIT``)."""
    return current_app.config.get("LOGIN_RATE_LIMIT") or DEFAULT_LOGIN_RATE_LIMIT


def safe_next(target: str | None) -> str | None:
    """Only a path on this site may be a post-login destination (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET" and current_researcher() is not None:
        return redirect(next_url or url_for("research.home"))
    form = LoginForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        email, password = form.email.data or "", form.password.data or ""
        wait = seconds_locked(email)
        if wait:
            error = f"Too many failed attempts for this account. Try again in {wait} seconds."
            status, headers = 429, {"Retry-After": str(wait)}
        else:
            researcher = authenticate(email, password)
            if researcher is not None:
                record_success(email)
                start_session(researcher)
                flash("You are logged in.", "info")
                return redirect(next_url or url_for("research.home"))
            record_failure(email)
            error = LOGIN_FAILED
    elif form.is_submitted():
        status = 400
    return render_template("research/login.html", form=form, error=error, next_url=next_url), status, headers


@bp.post("/logout")
@role_required()
def logout():
    researcher = acting_researcher()
    form = PostForm()
    if not form.validate_on_submit():
        return redirect(url_for("research.home"))
    if researcher is not None:
        record_logout(researcher)
    end_session()
    flash("You are logged out (on every device).", "info")
    return redirect(url_for("research.login"))


@bp.get("/")
@role_required()
def home():
    researcher = acting_researcher()
    surveys = db.session.scalars(
        select(Survey).where(Survey.organisation_id == researcher.organisation_id).order_by(Survey.created_at.desc())
    ).all()
    return render_template("research/home.html", surveys=surveys, today=date.today())


@bp.route("/account/password", methods=["GET", "POST"])
@role_required()
@limiter.limit(login_rate_limit, methods=["POST"])
def change_password():
    researcher = acting_researcher()
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        wait = seconds_locked(researcher.email)
        if wait:
            form.current_password.errors.append(f"Too many failed attempts. Try again in {wait} seconds.")
            status = 429
        else:
            try:
                change_own_password(researcher, form.current_password.data, form.new_password.data)
            except WrongPassword as exc:
                record_failure(researcher.email)
                form.current_password.errors.append(str(exc))
                status = 400
            except (AccountError, WeakPassword) as exc:
                form.new_password.errors.append(str(exc))
                status = 400
            else:
                start_session(researcher)  # this session carries the new session_version; others end
                flash("Your password was changed. Other sessions of your account have ended.", "info")
                return redirect(url_for("research.home"))
    elif form.is_submitted():
        status = 400
    return render_template("research/password.html", form=form), status


@bp.route("/account/tokens", methods=["GET", "POST"])
@role_required()
def api_tokens():
    researcher = acting_researcher()
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
def revoke_api_token(token_id: int):
    researcher = acting_researcher()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.researcher_id != researcher.id:
        abort(404, description="No such token.")
    if PostForm().validate_on_submit():
        revoke_token(token, actor=researcher)
        flash(f"Token “{token.name}” revoked.", "info")
    return redirect(url_for("research.api_tokens"))

"""``/research/setup``: create the organisation and the first admin without a terminal.

Open only while no researcher account exists at all; from then on it is a 404
(the same answer as an unknown address, so it tells a visitor nothing). After
setup the admin logs in and adds colleagues from the Researchers page.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from ...accounts.service import AccountError, create_researcher
from ...extensions import db
from ...models import Researcher
from ..blueprint import bp
from ..form_flow import run_form
from .forms import SetupForm


def setup_open() -> bool:
    """True while the database holds no researcher (a fresh installation)."""
    return db.session.scalar(select(Researcher.id).limit(1)) is None


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if not setup_open():
        abort(404)
    form = SetupForm()
    outcome = run_form(
        form,
        lambda: create_researcher(form.email.data, "admin", form.organisation.data, form.password.data),
        errors=(AccountError,),
        field=form.email,
    )
    if outcome.done:
        flash("Your organisation and admin account are ready. Log in to create the first survey.", "info")
        return redirect(url_for("research.login"))
    return render_template("research/setup.html", form=form), outcome.status

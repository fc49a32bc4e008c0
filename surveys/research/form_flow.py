"""The one shape every form view shares: validate, call a service, or show why not.

``run_form(form, action, errors=..., field=...)`` validates a submitted form,
calls ``action()`` (one service function), and turns a refusal from the
service into an error message on ``field``. The status says what happened:
200 for a page shown (GET), 400 for a submission that was refused. ``done``
is True only when the service ran without complaint. ``PostForm`` is the
CSRF-only form behind every button that changes state.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, SubmitField


class PostForm(FlaskForm):
    """A button that changes state: CSRF token only (logout, revoke, close a wave...)."""

    submit = SubmitField("Confirm")


@dataclass
class FormOutcome:
    done: bool
    result: Any
    status: int


def run_form(
    form: FlaskForm,
    action: Callable[[], Any],
    *,
    errors: tuple[type[Exception], ...],
    field: Field,
) -> FormOutcome:
    if form.validate_on_submit():
        try:
            return FormOutcome(True, action(), 200)
        except errors as exc:
            field.errors.append(str(exc))
            return FormOutcome(False, None, 400)
    return FormOutcome(False, None, 400 if form.is_submitted() else 200)

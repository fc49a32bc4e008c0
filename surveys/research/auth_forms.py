"""Forms for a researcher's own account: password change, API tokens, logout.

Field checks live here; the views only validate and call a service.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, ValidationError

from ..api_tokens import DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS
from ..passwords import MAX_LENGTH, password_problem


def policy_check(_form: FlaskForm, field: PasswordField) -> None:
    """WTForms validator for the password policy (length, common-password list)."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class PostForm(FlaskForm):
    """A button that changes state: CSRF token only (logout, revoke, close a wave...)."""

    submit = SubmitField("Confirm")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField(
        f"New password (12 to {MAX_LENGTH} characters; a long phrase is best)",
        validators=[DataRequired(), policy_check],
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two new passwords differ.")],
    )
    submit = SubmitField("Change password")


class ApiTokenForm(FlaskForm):
    name = StringField("Token name (what it is for)", validators=[DataRequired(), Length(max=100)])
    lifetime_days = IntegerField(
        "Valid for (days)",
        default=DEFAULT_LIFETIME_DAYS,
        validators=[DataRequired(), NumberRange(min=1, max=MAX_LIFETIME_DAYS)],
    )
    submit = SubmitField("Create token")

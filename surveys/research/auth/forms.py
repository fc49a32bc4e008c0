"""Forms for logging in and for a researcher's own account: password change, API tokens.

Field checks live here; the views only validate and call a service.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, ValidationError

from ...accounts.passwords import MAX_LENGTH, password_problem
from ...accounts.tokens import DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS


def policy_check(_form: FlaskForm, field: PasswordField) -> None:
    """WTForms validator for the password policy (length, common-password list)."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class LoginForm(FlaskForm):
    """Field names ``email`` and ``password`` are a stable contract (external checks rely on them)."""

    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Log in")


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

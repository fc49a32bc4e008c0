"""Forms for admins: researchers of their organisation, and the audit-log filter."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from ...models import Role
from ..auth.forms import policy_check

ROLE_CHOICES = [
    SelectChoice(Role.ADMIN.value, "Admin: manage researchers and surveys"),
    SelectChoice(Role.ANALYST.value, "Analyst: manage surveys, waves and events; analyse; export"),
    SelectChoice(Role.VIEWER.value, "Viewer: dashboards and reports only"),
]


class NewResearcherForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.VIEWER.value)
    password = PasswordField(
        "Initial password (tell them in person; they can change it)", validators=[DataRequired(), policy_check]
    )
    submit = SubmitField("Create researcher")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    submit = SubmitField("Change role")


class AuditFilterForm(FlaskForm):
    """GET filter form (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    action = SelectField("Action", validators=[Optional()], coerce=str)
    researcher = SelectField("Researcher", validators=[Optional()], coerce=str)
    submit = SubmitField("Filter")

"""The first-run form: an organisation and its first admin (the password policy applies)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..auth.forms import policy_check


class SetupForm(FlaskForm):
    organisation = StringField("Organisation (e.g. the city's survey team)",
                               validators=[DataRequired(), Length(max=200)])
    email = EmailField("Your email (the first admin)",
                       validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField("Password (12 characters or more; a long phrase is best)",
                             validators=[DataRequired(), policy_check])
    confirm = PasswordField("Repeat the password",
                            validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")])
    submit = SubmitField("Create the organisation and my account")

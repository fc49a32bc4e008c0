"""Study-management forms (Flask-WTF, CSRF on). Field checks here; cross-row checks in ``surveys.studies.service``.

A new survey's date granularity and minimum cell size default to the
``DATE_GRANULARITY`` and ``MIN_CELL_SIZE`` settings (read when the form is made).
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ...models import PolicyKind
from ...studies.invites import CODE_LENGTH
from ...studies.service import (
    MAX_CODES_PER_BATCH,
    MIN_CELL_FLOOR,
    SLUG_PATTERN,
    default_date_granularity,
    default_min_cell_size,
)

POLICY_KIND_LABELS = {
    PolicyKind.SANCTUARY_ADOPTED: "Sanctuary policy adopted",
    PolicyKind.SANCTUARY_ENDED: "Sanctuary policy ended",
    PolicyKind.AGREEMENT_287G_SIGNED: "287(g) agreement signed",
    PolicyKind.AGREEMENT_287G_ENDED: "287(g) agreement ended",
    PolicyKind.DETAINER_POLICY_CHANGED: "Detainer policy changed",
    PolicyKind.OTHER: "Other",
}


class SurveyForm(FlaskForm):
    instrument_id = SelectField("Instrument and version", coerce=int, validators=[DataRequired()])
    slug = StringField(
        "Survey address (the part after /s/)",
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(SLUG_PATTERN.pattern, message="Use lower-case letters, digits and dashes."),
        ],
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("Description (for researchers)", validators=[Optional(), Length(max=5000)])
    uses_invite_codes = BooleanField("Respondents need a one-time invite code")
    date_granularity = SelectField(
        "Keep submission dates per",
        choices=[SelectChoice("day", "day"), SelectChoice("week", "week (Monday)")],
        default=default_date_granularity,
    )
    min_cell_size = IntegerField(
        f"Minimum cell size (groups smaller than this are never shown; at least {MIN_CELL_FLOOR})",
        default=default_min_cell_size,
        validators=[DataRequired(), NumberRange(min=MIN_CELL_FLOOR, max=1000)],
    )
    submit = SubmitField("Create survey")


class SurveySettingsForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("Description (for researchers)", validators=[Optional(), Length(max=5000)])
    min_cell_size = IntegerField(
        f"Minimum cell size (at least {MIN_CELL_FLOOR})",
        validators=[DataRequired(), NumberRange(min=MIN_CELL_FLOOR, max=1000)],
    )
    min_answered_share = FloatField(
        "Minimum share of answered items (0 to 1; a submission answering less is not stored)",
        validators=[Optional(), NumberRange(min=0, max=1)],  # left out: unchanged
    )
    archived = BooleanField("Archived (the respondent address stops working)")
    submit = SubmitField("Save settings")


class JurisdictionForm(FlaskForm):
    name = StringField("Name (city or county)", validators=[DataRequired(), Length(max=200)])
    code = StringField(
        "Code (e.g. a FIPS code or short name)",
        validators=[DataRequired(), Length(max=40), Regexp(r"^[A-Za-z0-9_-]+$", message="Letters, digits, - and _.")],
    )
    district = StringField("Coarse district (optional)", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Add jurisdiction")


class WaveForm(FlaskForm):
    label = StringField("Label (optional)", validators=[Optional(), Length(max=100)])
    opens_on = DateField("Opens on", validators=[DataRequired()])
    closes_on = DateField("Closes on", validators=[DataRequired()])
    submit = SubmitField("Add wave")

    def validate_closes_on(self, field: DateField) -> None:
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError("A wave cannot close before it opens.")


class PolicyEventForm(FlaskForm):
    jurisdiction_id = SelectField("Jurisdiction", coerce=int, validators=[DataRequired()])
    event_date = DateField("Date the change took effect", validators=[DataRequired()])
    kind = SelectField(
        "Type of change", choices=[SelectChoice(k.value, label) for k, label in POLICY_KIND_LABELS.items()]
    )
    # No default: the analyst must say which way the change goes (issue 13).
    entanglement = RadioField(
        "Entanglement of local police with immigration enforcement",
        choices=[SelectChoice("more", "More (e.g. a 287(g) agreement signed, a sanctuary policy ended)"),
                 SelectChoice("less", "Less (e.g. a sanctuary policy adopted, a 287(g) agreement ended)")],
        validators=[InputRequired(message="Choose more or less entanglement.")],
    )
    description = TextAreaField("Description", validators=[DataRequired(), Length(max=5000)])
    source_url = URLField("Source link (news report, ordinance, agreement)", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Record policy event")

    def validate_source_url(self, field: URLField) -> None:
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError("Use an http:// or https:// address.")


class InviteCodesForm(FlaskForm):
    count = IntegerField(
        f"How many codes ({CODE_LENGTH} characters each)",
        default=100,
        validators=[DataRequired(), NumberRange(min=1, max=MAX_CODES_PER_BATCH)],
    )
    batch = StringField("Batch name (e.g. mail-out district 3)", validators=[Optional(), Length(max=100)])
    # Choices: the survey's languages, set by the view. The cards' QR codes open the survey in this language.
    language = SelectField("Language of the printed cards", validators=[Optional()])
    output = SelectField("Show the codes as", default="cards",
                         choices=[SelectChoice("cards", "Printable cards (with QR codes)"),
                                  SelectChoice("csv", "CSV file download (code, batch, link)")])
    submit = SubmitField("Create codes")


class MicrodataGrantForm(FlaskForm):
    """An admin lets a named analyst download restricted microdata (exact day, free text)."""

    analyst = SelectField("Analyst", coerce=int, validators=[DataRequired()])
    purpose = TextAreaField("Purpose", validators=[DataRequired(), Length(min=10, max=2000)])
    days = IntegerField("Days until it expires", default=90, validators=[DataRequired(), NumberRange(1, 366)])
    submit = SubmitField("Grant restricted microdata")

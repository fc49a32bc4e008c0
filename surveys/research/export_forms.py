"""Export forms (Flask-WTF, CSRF on): downloads write an audit row, so they are POSTs."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

GROUPINGS = {
    "wave,jurisdiction": "Wave x jurisdiction",
    "wave,jurisdiction,immigrant": "Wave x jurisdiction x immigrant background",
    "wave,immigrant": "Wave x immigrant background",
    "jurisdiction,immigrant": "Jurisdiction x immigrant background",
    "wave,jurisdiction,language": "Wave x jurisdiction x language",
    "wave": "Wave",
    "jurisdiction": "Jurisdiction",
}


class AggregateExportForm(FlaskForm):
    """A suppressed table, with the dashboard's filters (field names as in the query string)."""

    by = SelectField("Table", choices=[SelectChoice(k, v) for k, v in GROUPINGS.items()], default="wave,jurisdiction",
                     validators=[DataRequired()])
    format = SelectField("Format", choices=[SelectChoice("csv", "CSV"), SelectChoice("json", "JSON")],
                         default="csv")
    wave_from = IntegerField("From wave", validators=[Optional()])
    wave_to = IntegerField("To wave", validators=[Optional()])
    jurisdiction = SelectMultipleField("Jurisdictions", validate_choice=False)
    language = SelectField("Language", validate_choice=False)
    submit = SubmitField("Download table")


class ResponseExportForm(FlaskForm):
    format = SelectField("Format", choices=[SelectChoice("csv", "CSV"), SelectChoice("dta", "Stata (.dta)"),
                                            SelectChoice("sav", "SPSS (.sav)"), SelectChoice("parquet", "Parquet")],
                         default="csv")
    submit = SubmitField("Download responses")


class CodebookForm(FlaskForm):
    format = SelectField("Format", choices=[SelectChoice("csv", "CSV"), SelectChoice("json", "JSON")],
                         default="csv")
    submit = SubmitField("Download codebook")

"""Export forms (Flask-WTF, CSRF on): downloads write an audit row, so they are POSTs."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from ...models import Survey
from ...studies.events import never_treated

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
    tier = SelectField("Data", choices=[SelectChoice("safe", "Safe microdata (default)"),
                                        SelectChoice("restricted", "Restricted microdata (needs an admin's grant)")],
                       default="safe")
    submit = SubmitField("Download responses")


class CodebookForm(FlaskForm):
    format = SelectField("Format", choices=[SelectChoice("csv", "CSV"), SelectChoice("json", "JSON")],
                         default="csv")
    submit = SubmitField("Download codebook")


class ReportForm(FlaskForm):
    """A regression report's specification (analysts, admins) and format (everyone)."""

    outcome = SelectField("Outcome", choices=[SelectChoice("trust", "Trust in police"),
                                              SelectChoice("willingness", "Willingness to report crime"),
                                              SelectChoice("fear", "Fear of immigration consequences"),
                                              SelectChoice("involvement", "Perceived police involvement")],
                          default="trust")
    estimator = SelectField("Estimator", choices=[SelectChoice("did", "Difference-in-differences"),
                                                  SelectChoice("ddd", "Triple differences (immigrant, treated, post)"),
                                                  SelectChoice("event_study", "Event study (leads and lags)")],
                            default="did")
    comparison = SelectMultipleField("Comparison jurisdictions (none chosen: all without an event)",
                                     validate_choice=False)
    subgroup = SelectField("Respondents", choices=[SelectChoice("all", "Everyone"),
                                                   SelectChoice("immigrant", "Immigrant background only"),
                                                   SelectChoice("non_immigrant", "No immigrant background only")],
                           default="all")
    weights = SelectField("Weights", choices=[SelectChoice("responses", "Cells weighted by their responses"),
                                              SelectChoice("cells", "Each jurisdiction-wave cell equally"),
                                              SelectChoice("raked", "Raking to uploaded margins")],
                          default="responses")
    format = SelectField("Format", choices=[SelectChoice("html", "HTML (self-contained, works offline)"),
                                            SelectChoice("pdf", "PDF"), SelectChoice("tex", "LaTeX table"),
                                            SelectChoice("json", "JSON")], default="html")
    submit = SubmitField("Download report")


def report_form(survey: Survey) -> ReportForm:
    """The report form, with the survey's jurisdictions without a policy event as comparison choices."""
    form = ReportForm()
    form.comparison.choices = [SelectChoice(j.code, j.name) for j in never_treated(survey)]
    return form

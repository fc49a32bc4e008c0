"""The plan form: every choice a report makes, fixed before the wave's results are seen."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from ...publication.aggregates import MEASURES


class PlanForm(FlaskForm):
    outcomes = SelectMultipleField("Outcomes (the family adjusted for multiplicity)",
                                   choices=[SelectChoice(m, m) for m in MEASURES],
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                   validators=[DataRequired(message="Choose at least one outcome.")])
    estimator = SelectField("Estimator the verdict rests on", choices=[
        SelectChoice("did", "Difference-in-differences (Callaway-Sant'Anna with staggered timing)"),
        SelectChoice("ddd", "Triple differences (immigrant vs other respondents)"),
        SelectChoice("event_study", "Event study")])
    comparison = StringField("Comparison jurisdictions (codes, comma-separated; empty: all without an event)",
                             validators=[Length(max=500)])
    subgroup = SelectField("Respondents", choices=[SelectChoice("all", "Everyone"),
                                                   SelectChoice("immigrant", "Immigrant background only"),
                                                   SelectChoice("non_immigrant", "No immigrant background only")])
    covariates = StringField("Covariates (comma-separated; empty: none)", validators=[Length(max=500)])
    weights = SelectField("Weights", choices=[SelectChoice("responses", "Cells weighted by their responses"),
                                              SelectChoice("cells", "Each jurisdiction-wave cell equally"),
                                              SelectChoice("raked", "Raking to uploaded margins")])
    inference = SelectField("Inference", choices=[SelectChoice("auto", "Automatic for the number of jurisdictions"),
                                                  SelectChoice("wild", "Wild cluster bootstrap"),
                                                  SelectChoice("randomization", "Randomization inference"),
                                                  SelectChoice("cluster", "Cluster-robust errors")])
    sesoi = DecimalField("Smallest effect size of interest (scale points)", places=None,
                         validators=[InputRequired(), NumberRange(min=0.001, max=9.999)])
    sesoi_justification = TextAreaField("Why this smallest effect of interest",
                                        validators=[DataRequired(), Length(min=10, max=2000)])
    submit = SubmitField("Freeze plan (cannot be edited afterwards)")

"""Regression report downloads: HTML, PDF, LaTeX or JSON for a chosen specification.

Analysts and admins choose the specification; viewers (dashboards and reports
only) download the report of the default one, so they cannot vary a
specification to isolate a small group. Every download is audited.
"""
from __future__ import annotations

import numpy as np
from flask import abort

from analysis.errors import AnalysisError

from ..models import Role, Survey
from ..reports import InvalidSpecification, ReportSpec, build_report, render_report
from ..studies_choices import never_treated_choices
from . import bp
from .access import ANY_ROLE, current_researcher, role_required, survey_for_current_user
from .export_forms import ReportForm
from .export_routes import _audit, _validated, attachment


def report_form(survey: Survey) -> ReportForm:
    form = ReportForm()
    form.comparison.choices = never_treated_choices(survey)
    return form


def _spec(form: ReportForm) -> ReportSpec:
    researcher = current_researcher()
    if researcher is None or researcher.role == Role.VIEWER.value:
        return ReportSpec()
    return ReportSpec(outcome=form.outcome.data, estimator=form.estimator.data,
                      comparison=tuple(form.comparison.data or ()) or None, subgroup=form.subgroup.data,
                      weights=form.weights.data)


@bp.post("/surveys/<slug>/reports")
@role_required(*ANY_ROLE)
def export_report(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    form = report_form(survey)
    _validated(form)
    spec = _spec(form)
    try:
        result = render_report(survey, build_report(survey, spec), form.format.data)
    except (InvalidSpecification, AnalysisError, ArithmeticError, np.linalg.LinAlgError) as exc:
        abort(422, description=f"This report cannot be computed: {exc}")
    _audit("report.export", survey, {"format": form.format.data, "specification": spec.as_dict()})
    return attachment(result.content, result.filename, result.mimetype)

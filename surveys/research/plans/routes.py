"""Analysis plans: freeze one (analysts, admins), read it (every role), export it as JSON or printable HTML.

A frozen plan is never edited: a changed plan is frozen anew under its own hash.
"""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from ...accounts.access import ANY_ROLE, MANAGERS, acting_researcher, role_required, survey_for_current_user
from ...extensions import db
from ...models import AnalysisPlan, Survey
from ...publication import plans
from ..blueprint import bp
from .forms import PlanForm


def _codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _plan(survey: Survey, digest: str) -> AnalysisPlan:
    plan = db.session.scalar(select(AnalysisPlan).where(AnalysisPlan.survey_id == survey.id,
                                                        AnalysisPlan.sha256 == digest))
    if plan is None:
        abort(404)
    return plan


def _page(survey: Survey, form: PlanForm, status: int = 200) -> tuple[str, int]:
    rows = db.session.scalars(select(AnalysisPlan).where(AnalysisPlan.survey_id == survey.id)
                              .order_by(AnalysisPlan.frozen_at.desc())).all()
    return render_template("research/plans/index.html", survey=survey, form=form, plans=rows), status


@bp.get("/surveys/<slug>/plans")
@role_required(*ANY_ROLE)
def plans_page(slug: str) -> tuple[str, int]:
    return _page(survey_for_current_user(slug), PlanForm())


@bp.post("/surveys/<slug>/plans")
@role_required(*MANAGERS)
def plan_freeze(slug: str) -> WerkzeugResponse | tuple[str, int]:
    survey = survey_for_current_user(slug)
    form = PlanForm()
    if form.validate_on_submit():
        raw = {"outcomes": form.outcomes.data, "estimator": form.estimator.data,
               "comparison": _codes(form.comparison.data), "subgroup": form.subgroup.data,
               "covariates": _codes(form.covariates.data), "weights": form.weights.data,
               "inference": form.inference.data, "sesoi": float(form.sesoi.data or 0),
               "sesoi_justification": form.sesoi_justification.data}
        try:
            plan = plans.freeze_plan(acting_researcher(), survey, raw)
        except plans.PlanError as exc:
            form.sesoi.errors = [*form.sesoi.errors, str(exc)]
        else:
            flash(f"Plan frozen: {plan.sha256[:12]}.")
            return redirect(url_for("research.plan_view", slug=slug, digest=plan.sha256))
    return _page(survey, form, 400)


@bp.get("/surveys/<slug>/plans/<digest>")
@role_required(*ANY_ROLE)
def plan_view(slug: str, digest: str) -> str:
    survey = survey_for_current_user(slug)
    plan = _plan(survey, digest)
    return render_template("research/plans/view.html", survey=survey, plan=plan, spec=plans.plan_spec(plan))


@bp.get("/surveys/<slug>/plans/<digest>.json")
@role_required(*ANY_ROLE)
def plan_json(slug: str, digest: str) -> Response:
    survey = survey_for_current_user(slug)
    plan = _plan(survey, digest)
    body = {"sha256": plan.sha256, "frozen_at": plan.frozen_at.isoformat(),
            "author": plan.author.email if plan.author else None, "spec": plans.plan_spec(plan),
            "canonical": plan.spec}
    response = Response(json.dumps(body, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{survey.slug}-plan-{digest[:12]}.json"'
    return response

"""Pre-registered analysis plans and the record of every specification run (issue 13).

A plan is frozen once: its canonical JSON (sorted keys) is hashed with SHA-256 and stored
with the date and author; it is never edited (a changed plan is a new plan with a new
hash). A report names the plan it follows ("pre-registered (hash, date)") and every
deviation from it, or says "exploratory". Every report computed on a survey leaves a
``SpecRun`` (who, when, the specification's hash, verdict, estimate, p-value), so a report
can say how many specifications of its outcome have been tried, and adjust its p-value
(Holm) across the plan's family of outcomes.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import AnalysisPlan, Researcher, SpecRun, Survey
from .aggregates import MEASURES

ESTIMATORS = ("did", "ddd", "event_study")
SUBGROUPS = ("all", "immigrant", "non_immigrant")
WEIGHTS = ("responses", "cells", "raked")
INFERENCE = ("auto", "wild", "randomization", "cluster")
COMPARED = ("estimator", "comparison", "subgroup", "weights")  # options a report can deviate on


class PlanError(ValueError):
    """A plan that cannot be frozen; the message says why."""


def canonical(spec: Mapping[str, Any]) -> str:
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_hash(spec: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(spec).encode()).hexdigest()


def clean_plan(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The plan's specification, checked and in canonical form (raises PlanError)."""
    outcomes = [o for o in raw.get("outcomes") or [] if o]
    if not outcomes or any(o not in MEASURES for o in outcomes):
        raise PlanError(f"outcomes must be one or more of {', '.join(MEASURES)}")
    checks = (("estimator", ESTIMATORS), ("subgroup", SUBGROUPS), ("weights", WEIGHTS), ("inference", INFERENCE))
    for key, allowed in checks:
        if raw.get(key) not in allowed:
            raise PlanError(f"{key} must be one of {', '.join(allowed)}")
    try:
        sesoi = float(raw.get("sesoi"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlanError("the smallest effect size of interest (sesoi) must be a number") from None
    if not 0 < sesoi < 10:
        raise PlanError("the smallest effect size of interest must be positive (scale points)")
    why = str(raw.get("sesoi_justification") or "").strip()
    if len(why) < 10:
        raise PlanError("justify the smallest effect size of interest (a sentence at least)")
    comparison = sorted({str(c) for c in raw.get("comparison") or []}) or None
    return {"outcomes": sorted(set(outcomes)), "estimator": raw["estimator"], "comparison": comparison,
            "subgroup": raw["subgroup"], "covariates": sorted({str(c) for c in raw.get("covariates") or []}),
            "weights": raw["weights"], "inference": raw["inference"], "sesoi": sesoi,
            "sesoi_justification": why}


def freeze_plan(actor: Researcher | None, survey: Survey, raw: Mapping[str, Any]) -> AnalysisPlan:
    spec = clean_plan(raw)
    digest = spec_hash({"survey": survey.slug, **spec})
    existing = db.session.scalar(select(AnalysisPlan).where(AnalysisPlan.sha256 == digest))
    if existing is not None:
        return existing
    plan = AnalysisPlan(survey_id=survey.id, author_id=actor.id if actor else None,
                        spec=canonical({"survey": survey.slug, **spec}), sha256=digest)
    db.session.add(plan)
    db.session.commit()
    return plan


def current_plan(survey: Survey) -> AnalysisPlan | None:
    """The survey's most recently frozen plan (None: reports are exploratory)."""
    return db.session.scalar(select(AnalysisPlan).where(AnalysisPlan.survey_id == survey.id)
                             .order_by(AnalysisPlan.frozen_at.desc(), AnalysisPlan.id.desc()).limit(1))


def plan_spec(plan: AnalysisPlan) -> dict[str, Any]:
    return json.loads(plan.spec)


def deviations(plan: Mapping[str, Any], chosen: Mapping[str, Any]) -> list[str]:
    """Every way the chosen specification differs from the plan, as sentences."""
    out = []
    if chosen.get("outcome") not in plan.get("outcomes", []):
        out.append(f"outcome {chosen.get('outcome')!r} is not among the plan's outcomes "
                   f"({', '.join(plan.get('outcomes', []))})")
    for key in COMPARED:
        want, got = plan.get(key), chosen.get(key)
        if key == "comparison":
            want, got = sorted(want or []) or None, sorted(got or []) or None
        if want != got:
            out.append(f"{key}: plan {want!r}, report {got!r}")
    return out


def record_run(survey: Survey, actor: Researcher | None, spec: Mapping[str, Any], verdict: str,
               estimate: float | None, p_value: float | None) -> SpecRun:
    run = SpecRun(survey_id=survey.id, researcher_id=actor.id if actor else None, outcome=str(spec["outcome"]),
                  spec_hash=spec_hash(spec), verdict=verdict, estimate=estimate, p_value=p_value)
    db.session.add(run)
    db.session.commit()
    return run


def runs_of(survey: Survey, outcome: str) -> int:
    """How many specifications of ``outcome`` have been run on the survey (distinct spec hashes)."""
    return int(db.session.scalar(select(func.count(func.distinct(SpecRun.spec_hash)))
                                 .where(SpecRun.survey_id == survey.id, SpecRun.outcome == outcome)) or 0)


def family_tests(survey: Survey, outcomes: Sequence[str]) -> dict[str, float]:
    """The tests of the family: the latest p-value of every distinct specification run of its outcomes,
    and p = 1 for an outcome not run yet. A specification search adds tests, so it adds to the adjustment."""
    out: dict[str, float] = {f"outcome:{o}": 1.0 for o in outcomes}
    rows = db.session.execute(select(SpecRun.outcome, SpecRun.spec_hash, SpecRun.p_value).where(
        SpecRun.survey_id == survey.id, SpecRun.outcome.in_(list(outcomes)))
        .order_by(SpecRun.ran_at, SpecRun.id)).all()
    for outcome, digest, p in rows:
        out.pop(f"outcome:{outcome}", None)
        out[digest] = 1.0 if p is None else float(p)
    return out


def holm(p_values: Mapping[str, float], family: Sequence[str]) -> dict[str, float]:
    """Holm-adjusted p-values over the tests in ``family`` (a test without a p-value counts as p = 1,
    so the adjustment cannot shrink by leaving tests out)."""
    m = len(family)
    ordered = sorted(family, key=lambda o: p_values.get(o, 1.0))
    out, running = {}, 0.0
    for i, o in enumerate(ordered):
        running = max(running, min(1.0, (m - i) * p_values.get(o, 1.0)))
        out[o] = running
    return out

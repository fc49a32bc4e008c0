"""Policy-effect estimates for the dashboard: DiD, DDD and the event study, on cell means.

The estimators from ``analysis`` run on jurisdiction x wave (x immigrant)
cell means weighted by their counts (``aggregates.model_cells``), never on a
page's worth of rows, so a 1M-response survey costs what an 8,000-cell one
does. Timing comes from the policy events (``studies.events``): a
jurisdiction is treated from the first wave that opens on or after its first event. Results are cached per
app and survey until a new release is published: they read released waves only, so a
submission in an open wave changes no estimate (``releases``); what they show carries
no cohort-specific effect (``output_check``).

The specification is fixed (all waves, jurisdictions and languages) so that
the figures a viewer sees cannot be varied to isolate a small cell; analysts
choose their own specifications in regression reports.
"""
from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
from flask import current_app

from analysis.did import ddd, did
from analysis.errors import AnalysisError
from analysis.event_study import event_study
from analysis.values import finite_or_none

from ..models import Survey
from ..studies.events import Timing, dominant_direction, survey_events, treatment_timing
from .aggregates import Filters, aggregate, model_cells
from .cube import cache_seconds
from .output_check import rules
from .releases import protected_cube

OUTCOMES = {"trust": "Trust in police", "willingness": "Willingness to report crime"}
ESTIMATORS = {"did": "Difference-in-differences (TWFE)", "ddd": "Triple differences (immigrant x treated x post)",
              "event_study": "Event study (Callaway-Sant'Anna), overall ATT"}
BOOTSTRAP_DRAWS = 999


def design_frame(cells: pd.DataFrame, timing: Timing) -> pd.DataFrame:
    """Cells with ``first_treated``, ``treated`` and ``post`` for the jurisdictions in the design."""
    frame = cells[cells["jurisdiction"].isin(timing.first_treated)].copy()
    frame["first_treated"] = frame["jurisdiction"].map(timing.first_treated).astype(int)
    frame["treated"] = (frame["first_treated"] > 0).astype(int)
    frame["post"] = ((frame["treated"] == 1) & (frame["wave"] >= frame["first_treated"])).astype(int)
    return frame


def _published_n(survey: Survey, measure: str, subgroup: bool) -> int | None:
    """N as the dashboard may show it: from the suppressed aggregates, so it reveals nothing new."""
    by = ("immigrant",) if subgroup else ()
    table = aggregate(survey, by, Filters(), measures=(measure,))
    frame = table.frame
    if subgroup:
        frame = frame[frame["immigrant"].isin(["immigrant", "non_immigrant"])]
    values = frame[f"{measure}_n"]
    return None if values.isna().any() else int(values.sum())


def _row(outcome: str, estimator: str, result, n_obs: int | None) -> dict:
    low, high = result.ci
    return {"outcome": outcome, "outcome_label": OUTCOMES[outcome], "estimator": estimator,
            "estimator_label": ESTIMATORS[estimator], "estimate": finite_or_none(result.estimate),
            "se": finite_or_none(result.se), "ci_low": finite_or_none(low), "ci_high": finite_or_none(high),
            "p_value": finite_or_none(result.p_value), "n_obs": n_obs, "inference": result.inference,
            "notes": list(result.notes), "error": None}


def _failed(outcome: str, estimator: str, exc: Exception) -> dict:
    return {"outcome": outcome, "outcome_label": OUTCOMES[outcome], "estimator": estimator,
            "estimator_label": ESTIMATORS[estimator], "estimate": None, "se": None, "ci_low": None,
            "ci_high": None, "p_value": None, "n_obs": None, "inference": "", "notes": [],
            "error": f"not estimable: {exc}"}


def compute_estimates(survey: Survey) -> dict:
    """DiD, DDD and event study for trust and willingness; a JSON-ready dict."""
    timing = treatment_timing(survey)
    direction = dominant_direction(timing)
    if direction is None:
        return {"message": "No policy events are recorded for this survey, so there is nothing to estimate.",
                "effects": [], "event_study": {}, "specification": {}}
    timing = treatment_timing(survey, direction)
    if protected_cube(survey).rows == 0:
        return {"message": "No responses in a released (closed) wave yet, so there is nothing to estimate.",
                "effects": [],
                "event_study": {}, "specification": {}}
    effects, studies = [], {}
    for outcome in OUTCOMES:
        cells = design_frame(model_cells(survey, outcome), timing)
        sub = design_frame(model_cells(survey, outcome, subgroup=True), timing)
        runs = (
            ("did", lambda c=cells: did(c, "mean", "treated", "post", unit="jurisdiction", time="wave",
                                        weights="n", n_boot=BOOTSTRAP_DRAWS), False),
            ("ddd", lambda s=sub: ddd(s, "mean", "treated", "post", "immigrant", unit="jurisdiction",
                                      time="wave", weights="n", n_boot=BOOTSTRAP_DRAWS), True),
        )
        for name, run, subgroup in runs:
            try:
                effects.append(_row(outcome, name, run(), _published_n(survey, outcome, subgroup)))
            except (AnalysisError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
                effects.append(_failed(outcome, name, exc))
        try:
            study = event_study(cells, "mean", "jurisdiction", "wave", "first_treated", weights="n")
            att = study.att
            effects.append({"outcome": outcome, "outcome_label": OUTCOMES[outcome], "estimator": "event_study",
                            "estimator_label": ESTIMATORS["event_study"], "error": None,
                            "estimate": finite_or_none(att["estimate"]), "se": finite_or_none(att["se"]),
                            "ci_low": finite_or_none(att["ci_low"]), "ci_high": finite_or_none(att["ci_high"]),
                            "p_value": finite_or_none(att["p_value"]), "n_obs": _published_n(survey, outcome, False),
                            "inference": study.inference, "notes": list(study.notes)})
            # one base for every event time (wave -1), so the dashboard's line means one thing
            universal = study.tidy.query("estimator == 'cs' and aggregation == 'dynamic_universal'")
            periods = universal if len(universal) else study.periods
            studies[outcome] = {
                "periods": [{k: finite_or_none(getattr(r, k)) for k in ("rel_time", "estimate", "ci_low", "ci_high")}
                            for r in periods.itertuples()],
                "pretrend_p": finite_or_none(study.pretrend_p),
            }
        except (AnalysisError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            effects.append(_failed(outcome, "event_study", exc))
    treated = sorted(code for code, wave in timing.first_treated.items() if wave > 0)
    comparison = sorted(code for code, wave in timing.first_treated.items() if wave == 0)
    cube = protected_cube(survey)
    return {
        "release": cube.release,
        "disclosure_rules": rules(cube.min_cell_size, full=False, release=cube.release),
        "message": (f"Events expected to {'lower' if direction < 0 else 'raise'} trust: "
                    f"{len(treated)} treated and {len(comparison)} comparison jurisdictions, all waves, "
                    "cell means weighted by their counts, errors clustered by jurisdiction."),
        "effects": effects, "event_study": studies,
        "specification": {"direction": direction, "treated": treated, "comparison": comparison,
                          "weights": "cell counts", "cluster": "jurisdiction"},
    }


def survey_estimates(survey: Survey) -> dict:
    """:func:`compute_estimates`, cached per app and survey until a new release is published."""
    store = current_app.extensions.setdefault("cts_estimate_cache", ({}, threading.Lock()))
    cache, lock = store
    events = tuple((e.jurisdiction, e.event_date.isoformat(), e.direction) for e in survey_events(survey))
    key = (survey.id, protected_cube(survey).release, survey.min_cell_size, hash(events))
    ttl = cache_seconds()
    with lock:
        hit = cache.get(survey.id)
        if hit and hit[0] == key and time.monotonic() - hit[1] < ttl:
            return hit[2]
    result = compute_estimates(survey)
    with lock:
        cache[survey.id] = (key, time.monotonic(), result)
    return result

"""Policy-effect estimates for the dashboard: DiD, DDD and the event study, on cell means.

The estimators from ``analysis`` run on jurisdiction x wave (x immigrant)
cell means weighted by their counts (``aggregates.model_cells``), never on a
page's worth of rows, so a 1M-response survey costs what an 8,000-cell one
does. Timing comes from the policy events: a jurisdiction is treated from
the first wave that opens on or after its first event. Results are cached per
app and survey until the response count changes.

The specification is fixed (all waves, jurisdictions and languages) so that
the figures a viewer sees cannot be varied to isolate a small cell; analysts
choose their own specifications in regression reports.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import select

from analysis.did import ddd, did
from analysis.errors import AnalysisError
from analysis.event_study import event_study

from .aggregates import Filters, aggregate, response_count
from .extensions import db
from .models import Jurisdiction, PolicyEvent, Survey

OUTCOMES = {"trust": "Trust in police", "willingness": "Willingness to report crime"}
ESTIMATORS = {"did": "Difference-in-differences (TWFE)", "ddd": "Triple differences (immigrant x treated x post)",
              "event_study": "Event study (Callaway-Sant'Anna), overall ATT"}
BOOTSTRAP_DRAWS = 999


@dataclass(frozen=True)
class Event:
    jurisdiction: str  # code
    event_date: date
    kind: str
    direction: int


def survey_events(survey: Survey) -> list[Event]:
    """The survey's policy events in one query (not one lazy load per jurisdiction), by date."""
    rows = db.session.execute(
        select(Jurisdiction.code, PolicyEvent.event_date, PolicyEvent.kind, PolicyEvent.direction)
        .join(PolicyEvent, PolicyEvent.jurisdiction_id == Jurisdiction.id)
        .where(Jurisdiction.survey_id == survey.id)
        .order_by(PolicyEvent.event_date, Jurisdiction.code)
    ).all()
    return [Event(*row) for row in rows]


@dataclass(frozen=True)
class Timing:
    """Each jurisdiction's first treated wave (0 = never) and the direction of its event."""

    first_treated: dict[str, int]
    direction: dict[str, int] = field(default_factory=dict)


def first_treated_wave(survey: Survey, event_date) -> int:  # noqa: ANN001
    """The first wave opening on or after the event (0 when every wave opened before it)."""
    for wave in survey.waves:
        if wave.opens_on >= event_date:
            return wave.number
    return 0


def treatment_timing(survey: Survey, direction: int | None = None) -> Timing:
    """Timing from each jurisdiction's first policy event (optionally only events of one direction).

    Jurisdictions whose first event has the other direction are left out of
    the comparison (they are neither treated nor untouched).
    """
    first: dict[str, int] = {j.code: 0 for j in survey.jurisdictions}
    signs: dict[str, int] = {}
    for event in survey_events(survey):  # by date: the first event of each jurisdiction comes first
        if event.jurisdiction in signs:
            continue
        signs[event.jurisdiction] = event.direction
        if direction is None or event.direction == direction:
            first[event.jurisdiction] = first_treated_wave(survey, event.event_date)
        else:
            del first[event.jurisdiction]
    return Timing(first, signs)


def dominant_direction(timing: Timing) -> int | None:
    if not timing.direction:
        return None
    values = list(timing.direction.values())
    return -1 if values.count(-1) >= values.count(1) else 1


def design_frame(cells: pd.DataFrame, timing: Timing) -> pd.DataFrame:
    """Cells with ``first_treated``, ``treated`` and ``post`` for the jurisdictions in the design."""
    frame = cells[cells["jurisdiction"].isin(timing.first_treated)].copy()
    frame["first_treated"] = frame["jurisdiction"].map(timing.first_treated).astype(int)
    frame["treated"] = (frame["first_treated"] > 0).astype(int)
    frame["post"] = ((frame["treated"] == 1) & (frame["wave"] >= frame["first_treated"])).astype(int)
    return frame


def _number(x: object) -> float | None:
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _published_n(survey: Survey, measure: str, subgroup: bool) -> int | None:
    """N as the dashboard may show it: from the suppressed aggregates, so it reveals nothing new."""
    by = ("immigrant",) if subgroup else ()
    table = aggregate(survey, by, Filters(), measures=(measure,))
    frame = table.frame
    if subgroup:
        frame = frame[frame["immigrant"].isin(["immigrant", "non_immigrant"])]
    values = frame[f"{measure}_n"]
    return None if values.isna().any() else int(values.sum())


def _row(outcome: str, estimator: str, result, n_obs: int | None) -> dict:  # noqa: ANN001
    low, high = result.ci
    return {"outcome": outcome, "outcome_label": OUTCOMES[outcome], "estimator": estimator,
            "estimator_label": ESTIMATORS[estimator], "estimate": _number(result.estimate),
            "se": _number(result.se), "ci_low": _number(low), "ci_high": _number(high),
            "p_value": _number(result.p_value), "n_obs": n_obs, "inference": result.inference,
            "notes": list(result.notes), "error": None}


def _failed(outcome: str, estimator: str, exc: Exception) -> dict:
    return {"outcome": outcome, "outcome_label": OUTCOMES[outcome], "estimator": estimator,
            "estimator_label": ESTIMATORS[estimator], "estimate": None, "se": None, "ci_low": None,
            "ci_high": None, "p_value": None, "n_obs": None, "inference": "", "notes": [],
            "error": f"not estimable: {exc}"}


def compute_estimates(survey: Survey) -> dict:
    """DiD, DDD and event study for trust and willingness; a JSON-ready dict."""
    from .aggregates import model_cells

    timing = treatment_timing(survey)
    direction = dominant_direction(timing)
    if direction is None:
        return {"message": "No policy events are recorded for this survey, so there is nothing to estimate.",
                "effects": [], "event_study": {}, "specification": {}}
    timing = treatment_timing(survey, direction)
    if response_count(survey.id) == 0:
        return {"message": "No responses yet, so there is nothing to estimate.", "effects": [],
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
                            "estimate": _number(att["estimate"]), "se": _number(att["se"]),
                            "ci_low": _number(att["ci_low"]), "ci_high": _number(att["ci_high"]),
                            "p_value": _number(att["p_value"]), "n_obs": _published_n(survey, outcome, False),
                            "inference": study.inference, "notes": list(study.notes)})
            studies[outcome] = {
                "periods": [{k: _number(getattr(r, k)) for k in ("rel_time", "estimate", "ci_low", "ci_high")}
                            for r in study.periods.itertuples()],
                "pretrend_p": _number(study.pretrend_p),
            }
        except (AnalysisError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            effects.append(_failed(outcome, "event_study", exc))
    treated = sorted(code for code, wave in timing.first_treated.items() if wave > 0)
    comparison = sorted(code for code, wave in timing.first_treated.items() if wave == 0)
    return {
        "message": (f"Events expected to {'lower' if direction < 0 else 'raise'} trust: "
                    f"{len(treated)} treated and {len(comparison)} comparison jurisdictions, all waves, "
                    "cell means weighted by their counts, errors clustered by jurisdiction."),
        "effects": effects, "event_study": studies,
        "specification": {"direction": direction, "treated": treated, "comparison": comparison,
                          "weights": "cell counts", "cluster": "jurisdiction"},
    }


def survey_estimates(survey: Survey) -> dict:
    """:func:`compute_estimates`, cached per app and survey until the response count changes."""
    store = current_app.extensions.setdefault("cts_estimate_cache", ({}, threading.Lock()))
    cache, lock = store
    events = tuple((e.jurisdiction, e.event_date.isoformat(), e.direction) for e in survey_events(survey))
    key = (survey.id, response_count(survey.id), survey.min_cell_size, hash(events))
    ttl = float(current_app.config.get("AGGREGATE_CACHE_SECONDS", 300))
    with lock:
        hit = cache.get(survey.id)
        if hit and hit[0] == key and time.monotonic() - hit[1] < ttl:
            return hit[2]
    result = compute_estimates(survey)
    with lock:
        cache[survey.id] = (key, time.monotonic(), result)
    return result

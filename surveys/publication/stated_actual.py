"""Stated willingness beside actual reports, for one survey's places and events.

The survey side is the dashboard's triple difference on the willingness scale
(immigrant x treated x post, cell means weighted by their counts, as in
``estimates``); the records side is the Poisson triple difference on the
imported counts (Hispanic victims x reporting-sensitive categories x treated x
post, ``analysis.counts.count_ddd``). Both use the same places and the same
policy events: a place is treated from the first wave (survey) or the first
period (records) starting on or after its first event. ``analysis.stated_actual``
lines them up and writes the sentence on whether they agree.

What is shown: the effects with their intervals and the police counts by
victim group and category (police open data, not respondents). When the
survey has victimization answers, a third line is the reporting rate among
victims (``analysis.victimization``: immigrant x treated x post on one row per
victim incident) with its power statement; its rates by group are respondent
data and pass the small-cell rule (the survey's ``min_cell_size``), and the
line is left out when the victims are fewer than that. The estimates are cached per survey until the
responses, imports or events change; the verdicts (each side against its hypothesis sentence and smallest
effect of interest: the frozen plan's or the form's in points for the survey, a stated percentage for the
records) are applied on each request, which costs nothing.
"""
from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import select

from analysis.counts import attach_events, count_ddd
from analysis.did import ddd
from analysis.errors import AnalysisError
from analysis.offences import BENCHMARK, SENSITIVE, category_label, group_label
from analysis.records import first_full_period
from analysis.stated_actual import StatedVsActual, stated_vs_actual
from analysis.stated_verdicts import DEFAULT_RECORDS_SESOI
from analysis.victimization import victim_reporting

from ..extensions import db
from ..models import Answer, Jurisdiction, Response, Survey, Wave
from ..studies.events import Timing, dominant_direction, survey_events, treatment_timing
from ..studies.instrument_store import parsed_instrument
from ..studies.records import period_spec, survey_counts, survey_imports
from . import plans
from .aggregates import model_cells, protected_cube, response_count
from .cube import cache_seconds
from .estimates import BOOTSTRAP_DRAWS, design_frame
from .hypothesis import Hypothesis, hypothesis, records_hypothesis

ESTIMABLE = (AnalysisError, ValueError, ArithmeticError, np.linalg.LinAlgError)


def _records_events(survey: Survey, places: set[str], treated: set[str], period: Any) -> dict[str, str | None]:
    """Place -> first treated records period, for the survey's treated places that have records."""
    first: dict[str, str | None] = {}
    for event in survey_events(survey):
        if event.jurisdiction in treated and event.jurisdiction in places and event.jurisdiction not in first:
            first[event.jurisdiction] = first_full_period(event.event_date, period)
    return first


def victim_rates_table(victims: Any) -> list[dict[str, Any]]:
    """The reporting rates among victims by group as shown: suppressed cells say so, with no number."""
    if victims is None:
        return []
    out = []
    for r in victims.rates.itertuples():
        hidden = bool(r.suppressed)
        out.append({"group": "Immigrant background" if r.immigrant == 1 else "Other respondents",
                    "places": "treated" if r.treated == 1 else "comparison",
                    "period": "after the event" if r.post == 1 else "before",
                    "incidents": None if hidden else int(r.incidents),
                    "rate": None if hidden or pd.isna(r.rate) else float(r.rate)})
    return out


def counts_table(counts: pd.DataFrame) -> list[dict[str, Any]]:
    """Reports by victim group and category over the whole file (police data, shown unsuppressed)."""
    if counts.empty:
        return []
    table = counts.groupby(["group", "category"], as_index=False)["count"].sum()
    return [{"group": group_label(r.group), "category": category_label(r.category),
             "set": "reporting-sensitive" if r.category in SENSITIVE else
             "benchmark" if r.category in BENCHMARK else "other", "reports": int(r.count)}
            for r in table.itertuples()]


def incident_types(survey: Survey) -> list[str]:
    """Incident types of the survey's victimization block: ``k`` with items ``victim_k`` and ``reported_k``."""
    ids = {q.id for q in parsed_instrument(survey.instrument).questions()}
    return [i.removeprefix("victim_") for i in sorted(ids) if i.startswith("victim_")
            and f"reported_{i.removeprefix('victim_')}" in ids]


def victim_frame(survey: Survey, types: list[str], timing: Timing) -> pd.DataFrame:
    """One row per respondent who answered a victim question: design columns and ``victim_k``/``reported_k``.

    Model input only (never displayed); read straight from the answers of those items, in the
    released waves only, so the line moves when a release is published, never with one submission.
    """
    items = [f"{p}_{k}" for k in types for p in ("victim", "reported")]
    released = [int(w) for w in protected_cube(survey).wave_numbers]  # released waves only, like every estimate
    rows = db.session.execute(
        select(Answer.response_id, Answer.item_id, Answer.code, Wave.number, Jurisdiction.code, Response.immigrant)
        .join(Response, Response.id == Answer.response_id).join(Wave, Wave.id == Response.wave_id)
        .join(Jurisdiction, Jurisdiction.id == Response.jurisdiction_id)
        .where(Response.survey_id == survey.id, Answer.item_id.in_(items), Wave.number.in_(released))
    ).all()
    long = pd.DataFrame(rows, columns=["rid", "item", "code", "wave", "jurisdiction", "immigrant"])
    if long.empty:
        return long
    frame = long.pivot_table(index=["rid", "wave", "jurisdiction", "immigrant"], columns="item", values="code",
                             aggfunc="first").reset_index()
    for item in items:
        if item not in frame:
            frame[item] = np.nan
    frame = frame[frame["jurisdiction"].isin(timing.first_treated)].copy()
    frame["immigrant"] = frame["immigrant"].astype(float)
    first = frame["jurisdiction"].map(timing.first_treated).astype(int)
    frame["treated"] = (first > 0).astype(int)
    frame["post"] = ((first > 0) & (frame["wave"] >= first)).astype(int)
    return frame.dropna(subset=["immigrant"])


def _victims(survey: Survey, timing: Timing) -> tuple[Any, str | None]:
    """(VictimReportingResult or None, why it is not shown)."""
    types = incident_types(survey)
    if not types:
        return None, None
    frame = victim_frame(survey, types, timing)
    if frame.empty:
        return None, "No respondent has answered the victimization questions yet."
    try:
        result = victim_reporting(frame, types, treated="treated", post="post", unit="jurisdiction", time="wave",
                                  subgroup="immigrant", min_count=survey.min_cell_size)
    except ESTIMABLE as exc:
        return None, f"Reporting among victims is not shown: {exc}"
    if result.counts["incidents"] < survey.min_cell_size:
        return None, "Reporting among victims is not shown: too few victims (small-cell rule)."
    return result, None


def compute(survey: Survey) -> dict[str, Any]:
    """The estimates: ``{"message", "parts" (or None), "counts", "period", victims...}``.

    ``parts`` holds the two results and what the comparison needs; the verdicts are applied
    by :func:`comparison`, so changing a smallest effect of interest never re-estimates.
    """
    counts, kind = survey_counts(survey)
    out: dict[str, Any] = {"message": None, "parts": None, "counts": counts_table(counts), "period": kind,
                           "victims": None, "victims_note": None, "victim_rates": []}
    if kind is None:
        out["message"] = "No police records have been imported for this survey yet."
        return out
    timing = treatment_timing(survey)
    direction = dominant_direction(timing)
    if direction is None:
        out["message"] = "No policy events are recorded for this survey, so there is nothing to compare."
        return out
    timing = treatment_timing(survey, direction)
    treated = {code for code, wave in timing.first_treated.items() if wave > 0}
    in_design = set(timing.first_treated)
    counts = counts[counts["place"].isin(in_design)]
    spec = period_spec(survey, kind)
    events = _records_events(survey, set(counts["place"]), treated, spec)
    try:
        cells = design_frame(model_cells(survey, "willingness", subgroup=True), timing)
        stated = ddd(cells, "mean", "treated", "post", "immigrant", unit="jurisdiction", time="wave",
                     weights="n", n_boot=BOOTSTRAP_DRAWS)
        actual = count_ddd(attach_events(counts, {p: t for p, t in events.items() if t is not None}))
    except ESTIMABLE as exc:
        out["message"] = f"Not estimable: {exc}"
        return out
    labels = [f"{place}: first treated {period}" for place, period in sorted(events.items()) if period]
    victims, out["victims_note"] = _victims(survey, timing)
    out["victims"] = victims
    out["victim_rates"] = victim_rates_table(victims)
    out["parts"] = {"stated": stated, "actual": actual, "victims": victims, "direction": direction,
                    "places": sorted(set(counts["place"])), "events": labels}
    return out


def plan_sesoi(survey: Survey) -> float | None:
    """The frozen plan's smallest effect of interest, when willingness is among its outcomes."""
    plan = plans.current_plan(survey)
    if plan is None:
        return None
    frozen = plans.plan_spec(plan)
    return float(frozen["sesoi"]) if "willingness" in frozen.get("outcomes", []) else None


def claims(survey: Survey, direction: int) -> tuple[Hypothesis, Hypothesis]:
    """(survey claim, records claim) for the events' entanglement and the scale's "higher means"."""
    entanglement = "more" if direction < 0 else "less"
    scale = parsed_instrument(survey.instrument).scales.get("willingness")
    label = scale.label.get("en", "willingness") if scale else "willingness"
    return (hypothesis(label, scale.higher_means if scale else None, entanglement, subgroup=True),
            records_hypothesis(entanglement))


def comparison(survey: Survey, parts: dict[str, Any], *, stated_sesoi: float | None,
               records_sesoi: float | None) -> StatedVsActual:
    """The side-by-side with each side's verdict against its hypothesis and SESOI."""
    stated_claim, records_claim = claims(survey, parts["direction"])
    return stated_vs_actual(parts["stated"], parts["actual"], victims=parts["victims"],
                            expected_sign=parts["direction"], stated_claim=stated_claim,
                            actual_claim=records_claim, stated_sesoi=stated_sesoi,
                            records_sesoi=records_sesoi, places=parts["places"], events=parts["events"],
                            include_components=False)


def _estimates(survey: Survey) -> dict[str, Any]:
    """:func:`compute`, cached per app and survey until responses, imports or events change."""
    store = current_app.extensions.setdefault("cts_stated_actual_cache", ({}, threading.Lock()))
    cache, lock = store
    events = tuple((e.jurisdiction, e.event_date.isoformat(), e.direction) for e in survey_events(survey))
    imports = tuple(i.id for i in survey_imports(survey))
    key = (survey.id, response_count(survey.id), survey.min_cell_size, imports, hash(events))
    with lock:
        hit = cache.get(survey.id)
        if hit and hit[0] == key and time.monotonic() - hit[1] < cache_seconds():
            return hit[2]
    result = compute(survey)
    with lock:
        cache[survey.id] = (key, time.monotonic(), result)
    return result


USE_PLAN = object()  # the stated SESOI default: the frozen plan's, if any


def cached(survey: Survey, *, stated_sesoi: Any = USE_PLAN,
           records_sesoi: float | None = DEFAULT_RECORDS_SESOI) -> dict[str, Any]:
    """The view: cached estimates plus ``result`` (the comparison with verdicts, or None) and the SESOIs used."""
    out = dict(_estimates(survey))
    chosen = plan_sesoi(survey) if stated_sesoi is USE_PLAN else stated_sesoi
    out.update(stated_sesoi=chosen, records_sesoi=records_sesoi, result=None)
    if out["parts"] is not None:
        out["result"] = comparison(survey, out["parts"], stated_sesoi=chosen, records_sesoi=records_sesoi)
    return out


__all__ = ["StatedVsActual", "cached", "comparison", "compute", "counts_table", "victim_rates_table"]

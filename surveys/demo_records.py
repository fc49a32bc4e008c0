"""Synthetic police records for the demo study, with a known effect on reporting.

``analysis.simulate.simulate_records`` draws monthly counts for the demo's
places over the months its waves cover up to this one, with the treated places switching on
in the first month starting on or after their policy event (exactly what the
stated-vs-actual view computes from the events). Hispanic victims' reporting of
reporting-sensitive crimes falls by ``DEMO_REPORTING_EFFECT`` (log points)
while crime itself stays flat, so the triple difference should recover it.
The counts are stored as one ``RecordImport`` directly (no incident file), so
the demo stays fast.
"""
from __future__ import annotations

import hashlib
from datetime import date

import pandas as pd
from sqlalchemy import insert

from analysis.records import first_full_period
from analysis.simulate import simulate_records

from .accounts.audit import record
from .extensions import db
from .models import RecordCount, RecordImport, Survey
from .studies.events import survey_events

DEMO_REPORTING_EFFECT = -0.25


def _months(first: date, last: date) -> list[str]:
    return [str(p) for p in pd.period_range(pd.Period(first, freq="M"), pd.Period(last, freq="M"), freq="M")]


def demo_record_counts(survey: Survey, seed: int, today: date | None = None) -> pd.DataFrame:
    """Monthly counts for the survey's places from its first wave to this month, events as in the survey."""
    months = _months(survey.waves[0].opens_on, min(survey.waves[-1].closes_on, today or date.today()))
    places = tuple(j.code for j in survey.jurisdictions)
    first_event: dict[str, date] = {}
    for event in survey_events(survey):
        first_event.setdefault(event.jurisdiction, event.event_date)
    first_treated = []
    for place in places:
        label = first_full_period(first_event[place], "month") if place in first_event else None
        first_treated.append(months.index(label) + 1 if label in months else 0)
    return simulate_records(n_places=len(places), places=places, n_periods=len(months), start=months[0],
                            first_treated=tuple(first_treated), reporting_effect=DEMO_REPORTING_EFFECT, seed=seed)


def add_demo_records(survey: Survey, seed: int, today: date | None = None) -> int:
    """Store one synthetic import of monthly counts for ``survey``; the number of count rows."""
    counts = demo_record_counts(survey, seed, today)
    digest = hashlib.sha256(counts[["place", "period", "group", "category", "count"]].to_csv(index=False)
                            .encode()).hexdigest()
    row = RecordImport(
        survey_id=survey.id, filename="demo-synthetic-records.csv", content_hash=digest,
        rows_fingerprint=hashlib.sha256(f"demo:{seed}:{digest}".encode()).hexdigest(), period="month",
        n_rows=int(counts["count"].sum()), n_counted=int(counts["count"].sum()),
        mapping={"synthetic": True, "reporting_effect": DEMO_REPORTING_EFFECT}, tally={},
        unmapped={}, summary="Synthetic demo records (analysis.simulate.simulate_records); every row counted.",
    )
    row.tally = {"counted": row.n_rows}
    db.session.add(row)
    db.session.flush()
    db.session.execute(insert(RecordCount), [
        {"import_id": row.id, "place": r.place, "period": r.period, "victim_group": r.group,
         "category": r.category, "count": int(r.count)} for r in counts.itertuples()])
    record("records.import", actor=None, organisation_id=survey.organisation_id, target=f"survey:{survey.id}",
           parameters={"import_id": row.id, "period": "month", "synthetic": True})
    return len(counts)

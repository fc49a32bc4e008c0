"""Policy events as the analysis sees them: which jurisdiction is treated from which wave.

A jurisdiction is treated from the first wave that opens on or after its first
policy event; jurisdictions with no event are the possible comparison group.
The dashboard estimates, the regression reports and the report form all read
the timing from here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import Jurisdiction, PolicyEvent, Survey


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


def never_treated(survey: Survey) -> list[Jurisdiction]:
    """Jurisdictions with no policy event: the possible comparison group."""
    with_events = {event.jurisdiction for event in survey_events(survey)}
    return [j for j in survey.jurisdictions if j.code not in with_events]


@dataclass(frozen=True)
class Timing:
    """Each jurisdiction's first treated wave (0 = never) and the direction of its event."""

    first_treated: dict[str, int]
    direction: dict[str, int] = field(default_factory=dict)


def first_treated_wave(survey: Survey, event_date: date) -> int:
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
    """The more common direction of the first events (-1 on a tie), None without events."""
    if not timing.direction:
        return None
    values = list(timing.direction.values())
    return -1 if values.count(-1) >= values.count(1) else 1

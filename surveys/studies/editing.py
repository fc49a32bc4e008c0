"""Changing a place, a wave or a policy event after it was made (the browser's edit pages), audited.

A place keeps its code (it is in every distributed ``?j=`` link and in the data);
its name and district may change. A wave keeps its number; its label and dates
may change, never to overlap another wave. Every change bumps the survey's
version (``studies.snapshot``), so respondents' pages see it at once. A policy event
may change in every field (place, type, date, entanglement, description, source),
checked as when it was recorded; the audit row keeps what it was before.
"""
from __future__ import annotations

from datetime import date

from ..extensions import db
from ..models import Jurisdiction, PolicyEvent, Researcher, Survey, Wave
from .service import StudyError, _audit, checked_event_fields


def update_jurisdiction(actor: Researcher, place: Jurisdiction, *, name: str, district: str | None) -> Jurisdiction:
    name = name.strip()
    if not name:
        raise StudyError("A jurisdiction needs a name.")
    place.name, place.district = name, (district or "").strip() or None
    _audit(actor, "jurisdiction.update", place.survey, code=place.code, name=place.name)
    db.session.commit()
    return place


def update_wave(actor: Researcher, wave: Wave, *, label: str, opens_on: date, closes_on: date) -> Wave:
    if closes_on < opens_on:
        raise StudyError("A wave cannot close before it opens.")
    for other in wave.survey.waves:
        if other.id != wave.id and opens_on <= other.closes_on and other.opens_on <= closes_on:
            raise StudyError(f"These dates overlap {other.label} ({other.opens_on} to {other.closes_on}).")
    wave.label = label.strip() or f"Wave {wave.number}"
    wave.opens_on, wave.closes_on = opens_on, closes_on
    _audit(actor, "wave.update", wave.survey, wave=wave.number, opens_on=opens_on.isoformat(),
           closes_on=closes_on.isoformat())
    db.session.commit()
    return wave


def policy_event_of(survey: Survey, event_id: int) -> PolicyEvent:
    """The survey's policy event ``event_id``; LookupError when it is not one of this survey's."""
    event = db.session.get(PolicyEvent, event_id)
    if event is None or event.jurisdiction.survey_id != survey.id:
        raise LookupError("No such policy event in this survey.")
    return event


def update_policy_event(actor: Researcher, survey: Survey, event: PolicyEvent, *, jurisdiction_id: int,
                        event_date: date, kind: str, entanglement: str, description: str,
                        source_url: str | None) -> PolicyEvent:
    jurisdiction, kind, direction, source_url = checked_event_fields(
        survey, jurisdiction_id=jurisdiction_id, kind=kind, entanglement=entanglement, source_url=source_url)
    before = {"was_jurisdiction": event.jurisdiction.code, "was_kind": event.kind,
              "was_event_date": event.event_date.isoformat(), "was_entanglement": event.entanglement}
    event.jurisdiction, event.event_date, event.kind = jurisdiction, event_date, kind
    event.direction, event.entanglement = direction, entanglement
    event.description, event.source_url = description.strip(), source_url
    _audit(actor, "policy_event.update", survey, event=event.id, **before, jurisdiction=jurisdiction.code,
           kind=kind, event_date=event_date.isoformat(), direction=direction, entanglement=entanglement)
    db.session.commit()
    return event

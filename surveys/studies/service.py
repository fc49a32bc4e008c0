"""Study management: surveys, jurisdictions, waves, policy events, invite codes.

The views in ``research/manage/routes.py`` call one function here each. Every
function checks what a form cannot (uniqueness, overlap, belonging to the same
survey), writes an audit row describing the change (never a response, never an
invite code in clear) and commits both together.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, insert, select

from ..accounts.audit import record
from ..extensions import db
from ..models import (
    ENTANGLEMENT_SIGN,
    Instrument,
    InviteCode,
    Jurisdiction,
    PolicyEvent,
    PolicyKind,
    Researcher,
    Survey,
    Wave,
)
from .invites import hash_invite_code, new_invite_code

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
MIN_CELL_FLOOR = 10
MAX_CODES_PER_BATCH = 5000
DATE_GRANULARITIES = ("day", "week")


class StudyError(ValueError):
    """A study change that cannot be made; the message says why."""


def _audit(actor: Researcher, action: str, survey: Survey, **parameters: object) -> None:
    record(action, actor=actor, organisation_id=survey.organisation_id, target=f"survey:{survey.id}",
           parameters={"slug": survey.slug, **parameters})


def default_date_granularity() -> str:
    """A new survey's date coarsening unless chosen: the ``DATE_GRANULARITY`` setting."""
    return str(current_app.config.get("DATE_GRANULARITY") or "day")


def default_min_cell_size() -> int:
    """A new survey's minimum cell size unless chosen: ``MIN_CELL_SIZE``, never below the floor."""
    return max(MIN_CELL_FLOOR, int(current_app.config.get("MIN_CELL_SIZE") or MIN_CELL_FLOOR))


def instruments() -> list[Instrument]:
    return list(db.session.scalars(select(Instrument).order_by(Instrument.key, Instrument.loaded_at.desc())))


def check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_PATTERN.match(slug) or slug.isdigit():
        raise StudyError(
            "A survey address may use lower-case letters, digits and dashes (not at either end), "
            "needs at least one letter, and is at most 80 characters."
        )
    if db.session.scalar(select(Survey.id).where(Survey.slug == slug)) is not None:
        raise StudyError(f"The address {slug!r} is taken; choose another.")
    return slug


def create_survey(
    actor: Researcher,
    *,
    instrument_id: int,
    slug: str,
    title: str,
    description: str = "",
    uses_invite_codes: bool = False,
    date_granularity: str | None = None,
    min_cell_size: int | None = None,
) -> Survey:
    """Create a survey; granularity and minimum cell size default to ``DATE_GRANULARITY`` and ``MIN_CELL_SIZE``."""
    if date_granularity is None:
        date_granularity = default_date_granularity()
    if min_cell_size is None:
        min_cell_size = default_min_cell_size()
    instrument = db.session.get(Instrument, instrument_id)
    if instrument is None or instrument.organisation_id not in (None, actor.organisation_id):
        raise StudyError("Choose a stored instrument.")
    if not instrument.published:
        raise StudyError("A draft questionnaire cannot be fielded: publish it first.")
    if date_granularity not in DATE_GRANULARITIES:
        raise StudyError("Submission dates are kept per day or per week.")
    if min_cell_size < MIN_CELL_FLOOR:
        raise StudyError(f"The minimum cell size cannot be below {MIN_CELL_FLOOR}.")
    if not title.strip():
        raise StudyError("A survey needs a title.")
    survey = Survey(
        organisation_id=actor.organisation_id,
        instrument=instrument,
        slug=check_slug(slug),
        title=title.strip(),
        description=description.strip(),
        uses_invite_codes=uses_invite_codes,
        date_granularity=date_granularity,
        min_cell_size=min_cell_size,
    )
    db.session.add(survey)
    db.session.flush()
    _audit(actor, "survey.create", survey, instrument=f"{instrument.key} {instrument.version}",
           uses_invite_codes=uses_invite_codes, date_granularity=date_granularity, min_cell_size=min_cell_size)
    db.session.commit()
    return survey


def add_jurisdiction(actor: Researcher, survey: Survey, *, name: str, code: str, district: str | None) -> Jurisdiction:
    code = code.strip().upper()
    if any(j.code == code for j in survey.jurisdictions):
        raise StudyError(f"This survey already has a jurisdiction with code {code}.")
    jurisdiction = Jurisdiction(survey=survey, name=name.strip(), code=code, district=(district or "").strip() or None)
    db.session.add(jurisdiction)
    db.session.flush()
    _audit(actor, "jurisdiction.create", survey, jurisdiction=jurisdiction.id, code=code)
    db.session.commit()
    return jurisdiction


def add_wave(actor: Researcher, survey: Survey, *, label: str, opens_on: date, closes_on: date) -> Wave:
    if closes_on < opens_on:
        raise StudyError("A wave cannot close before it opens.")
    for wave in survey.waves:
        if opens_on <= wave.closes_on and wave.opens_on <= closes_on:
            raise StudyError(f"These dates overlap {wave.label} ({wave.opens_on} to {wave.closes_on}).")
    number = max((w.number for w in survey.waves), default=0) + 1
    wave = Wave(survey=survey, number=number, label=label.strip() or f"Wave {number}",
                opens_on=opens_on, closes_on=closes_on, instrument_id=survey.instrument_id)
    db.session.add(wave)
    db.session.flush()
    _audit(actor, "wave.create", survey, wave=number, opens_on=opens_on.isoformat(), closes_on=closes_on.isoformat())
    db.session.commit()
    return wave


def set_wave_closed(actor: Researcher, wave: Wave, closed: bool) -> None:
    """Close (or reopen) a wave; closing writes out every buffered response of the survey.

    Closure is the one moment a batch smaller than the minimum cell size may leave the
    buffer (``studies.write_out.flush_survey``, which audits it).
    """
    from .write_out import flush_survey  # write_out imports the audit module this module also uses

    survey_id = wave.survey_id
    if wave.closed != closed:
        wave.closed = closed
        _audit(actor, "wave.close" if closed else "wave.reopen", wave.survey, wave=wave.number)
    db.session.commit()
    if closed:
        try:
            flush_survey(survey_id, reason="wave closed")
        except Exception:  # noqa: BLE001 - the wave is closed; the buffer keeps its responses for the CLI
            db.session.rollback()
            current_app.logger.warning("Writing out the buffer at wave closure failed; run flask flush-responses.")


def checked_event_fields(survey: Survey, *, jurisdiction_id: int, kind: str, entanglement: str,
                         source_url: str | None) -> tuple[Jurisdiction, str, int, str | None]:
    """A policy event's checked fields: (jurisdiction, kind, direction sign, source link or None)."""
    jurisdiction = next((j for j in survey.jurisdictions if j.id == jurisdiction_id), None)
    if jurisdiction is None:
        raise StudyError("Choose one of this survey's jurisdictions.")
    try:
        kind = PolicyKind(kind).value
    except ValueError:
        raise StudyError("Choose a kind of policy change from the list.") from None
    if entanglement not in ENTANGLEMENT_SIGN:
        raise StudyError("Say whether the change means more or less entanglement of local police "
                         "with immigration enforcement.")
    source_url = (source_url or "").strip() or None
    if source_url and not re.match(r"^https?://[^\s/]+\S*$", source_url):
        raise StudyError("The source link must be an http:// or https:// address.")
    return jurisdiction, kind, ENTANGLEMENT_SIGN[entanglement], source_url


def record_policy_event(
    actor: Researcher,
    survey: Survey,
    *,
    jurisdiction_id: int,
    event_date: date,
    kind: str,
    entanglement: str,
    description: str,
    source_url: str | None,
) -> PolicyEvent:
    jurisdiction, kind, direction, source_url = checked_event_fields(
        survey, jurisdiction_id=jurisdiction_id, kind=kind, entanglement=entanglement, source_url=source_url)
    event = PolicyEvent(jurisdiction=jurisdiction, event_date=event_date, kind=kind, direction=direction,
                        entanglement=entanglement, description=description.strip(), source_url=source_url)
    db.session.add(event)
    db.session.flush()
    _audit(actor, "policy_event.create", survey, event=event.id, jurisdiction=jurisdiction.code, kind=kind,
           event_date=event_date.isoformat(), direction=direction, entanglement=entanglement)
    db.session.commit()
    return event


def create_invite_codes(actor: Researcher, survey: Survey, *, count: int, batch: str) -> list[str]:
    """Make ``count`` one-time codes; returns them in clear (to print once). Only hashes are stored."""
    if not survey.uses_invite_codes:
        raise StudyError("This survey does not use invite codes.")
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise StudyError(f"Create between 1 and {MAX_CODES_PER_BATCH} codes at a time.")
    batch = batch.strip()[:100]
    codes: dict[str, str] = {}
    while len(codes) < count:
        code = new_invite_code()
        codes[hash_invite_code(survey, code)] = code
    db.session.execute(
        insert(InviteCode),
        [{"survey_id": survey.id, "code_hash": digest, "used": False, "batch": batch} for digest in codes],
    )
    _audit(actor, "invite_codes.create", survey, count=count, batch=batch)
    db.session.commit()
    return sorted(codes.values())


@dataclass(frozen=True)
class BatchSummary:
    batch: str
    total: int
    used: int | None  # None: fewer than the survey's minimum cell size (suppressed)


def invite_code_batches(survey: Survey) -> list[BatchSummary]:
    """Codes per batch and how many were used; small used-counts are suppressed."""
    rows = db.session.execute(
        select(InviteCode.batch, func.count(), func.sum(func.cast(InviteCode.used, db.Integer)))
        .where(InviteCode.survey_id == survey.id)
        .group_by(InviteCode.batch)
        .order_by(InviteCode.batch)
    ).all()
    out = []
    for batch, total, used in rows:
        used = int(used or 0)
        unused = int(total) - used
        hidden = 0 < used < survey.min_cell_size or 0 < unused < survey.min_cell_size
        out.append(BatchSummary(batch=batch or "(no batch name)", total=int(total), used=None if hidden else used))
    return out


def update_survey(
    actor: Researcher, survey: Survey, *, title: str, description: str, min_cell_size: int, archived: bool,
    min_answered_share: float | None = None,
) -> None:
    """Change what can change once responses may exist.

    The instrument, the address, invite-code mode and date granularity stay as
    created: changing them mid-fielding would mix incomparable responses.
    """
    if min_cell_size < MIN_CELL_FLOOR:
        raise StudyError(f"The minimum cell size cannot be below {MIN_CELL_FLOOR}.")
    if not title.strip():
        raise StudyError("A survey needs a title.")
    if min_answered_share is not None and not 0 <= min_answered_share <= 1:
        raise StudyError("The minimum share of answered items is a number from 0 to 1.")
    before = {"title": survey.title, "min_cell_size": survey.min_cell_size, "archived": survey.archived,
              "min_answered_share": survey.min_answered_share}
    survey.title, survey.description = title.strip(), description.strip()
    survey.min_cell_size, survey.archived = min_cell_size, archived
    if min_answered_share is not None:
        survey.min_answered_share = min_answered_share
    after = {"title": survey.title, "min_cell_size": min_cell_size, "archived": archived,
             "min_answered_share": survey.min_answered_share}
    changed = {key: {"from": before[key], "to": after[key]} for key in before if before[key] != after[key]}
    _audit(actor, "survey.update", survey, changed=changed)
    db.session.commit()


def delete_policy_event(actor: Researcher, survey: Survey, event_id: int) -> PolicyEvent:
    """Remove a mistaken policy event of this survey (the audit row keeps what it was)."""
    event = db.session.get(PolicyEvent, event_id)
    if event is None or event.jurisdiction.survey_id != survey.id:
        raise LookupError("No such policy event in this survey.")
    _audit(actor, "policy_event.delete", survey, event=event.id, jurisdiction=event.jurisdiction.code,
           kind=event.kind, event_date=event.event_date.isoformat(), direction=event.direction)
    db.session.delete(event)
    db.session.commit()
    return event

"""Study management: surveys, jurisdictions, waves, policy events, invite codes.

The views in ``research/manage_routes.py`` call one function here each. Every
function checks what a form cannot (uniqueness, overlap, belonging to the same
survey), commits, and writes an audit row describing the change (never a
response, never an invite code in clear).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select

from .audit import record
from .extensions import db
from .models import Instrument, InviteCode, Jurisdiction, PolicyEvent, PolicyKind, Researcher, Survey, Wave
from .submission import hash_invite_code

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
MIN_CELL_FLOOR = 10
MAX_CODES_PER_BATCH = 5000
# No 0/O, 1/I/L, 5/S, 8/B: codes are read off paper and typed on phones.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"
CODE_LENGTH = 10  # 26**10 ~ 2**47: guessing one is hopeless at the submission rate limit


class StudyError(ValueError):
    """A study change that cannot be made; the message says why."""


def _audit(actor: Researcher, action: str, survey: Survey, **parameters: object) -> None:
    record(action, actor=actor, organisation_id=survey.organisation_id, target=f"survey:{survey.id}",
           parameters={"slug": survey.slug, **parameters})


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
    date_granularity: str = "day",
    min_cell_size: int = MIN_CELL_FLOOR,
) -> Survey:
    instrument = db.session.get(Instrument, instrument_id)
    if instrument is None:
        raise StudyError("Choose a stored instrument.")
    if date_granularity not in ("day", "week"):
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
                opens_on=opens_on, closes_on=closes_on)
    db.session.add(wave)
    db.session.flush()
    _audit(actor, "wave.create", survey, wave=number, opens_on=opens_on.isoformat(), closes_on=closes_on.isoformat())
    db.session.commit()
    return wave


def set_wave_closed(actor: Researcher, wave: Wave, closed: bool) -> None:
    if wave.closed != closed:
        wave.closed = closed
        _audit(actor, "wave.close" if closed else "wave.reopen", wave.survey, wave=wave.number)
    db.session.commit()


def record_policy_event(
    actor: Researcher,
    survey: Survey,
    *,
    jurisdiction_id: int,
    event_date: date,
    kind: str,
    direction: int,
    description: str,
    source_url: str | None,
) -> PolicyEvent:
    jurisdiction = next((j for j in survey.jurisdictions if j.id == jurisdiction_id), None)
    if jurisdiction is None:
        raise StudyError("Choose one of this survey's jurisdictions.")
    try:
        kind = PolicyKind(kind).value
    except ValueError:
        raise StudyError("Choose a kind of policy change from the list.") from None
    if direction not in (-1, 1):
        raise StudyError("The expected direction is +1 (raises trust) or -1 (lowers trust).")
    source_url = (source_url or "").strip() or None
    if source_url and not re.match(r"^https?://[^\s/]+\S*$", source_url):
        raise StudyError("The source link must be an http:// or https:// address.")
    event = PolicyEvent(jurisdiction=jurisdiction, event_date=event_date, kind=kind, direction=direction,
                        description=description.strip(), source_url=source_url)
    db.session.add(event)
    db.session.flush()
    _audit(actor, "policy_event.create", survey, event=event.id, jurisdiction=jurisdiction.code, kind=kind,
           event_date=event_date.isoformat(), direction=direction)
    db.session.commit()
    return event


def new_invite_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


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
    actor: Researcher, survey: Survey, *, title: str, description: str, min_cell_size: int, archived: bool
) -> None:
    """Change what can change once responses may exist.

    The instrument, the address, invite-code mode and date granularity stay as
    created: changing them mid-fielding would mix incomparable responses.
    """
    if min_cell_size < MIN_CELL_FLOOR:
        raise StudyError(f"The minimum cell size cannot be below {MIN_CELL_FLOOR}.")
    if not title.strip():
        raise StudyError("A survey needs a title.")
    before = {"title": survey.title, "min_cell_size": survey.min_cell_size, "archived": survey.archived}
    survey.title, survey.description = title.strip(), description.strip()
    survey.min_cell_size, survey.archived = min_cell_size, archived
    after = {"title": survey.title, "min_cell_size": min_cell_size, "archived": archived}
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

"""A per-worker snapshot of each live survey: what the respondent pages read on every request.

Why: every survey page used to load the survey, its waves and its places
through the ORM (three queries and the ORM's per-row work) and the final submit
reloaded them after its first commit. The snapshot is a frozen copy (plain
dataclasses, safe to share between requests and threads) plus the parsed
instrument, kept per process and per database.

Invalidation: ``Survey.version`` is bumped by every change the app makes to a
survey, its waves or its places (a ``before_flush`` hook on every session,
``bump_versions``). Each request reads one indexed row (``id, version`` by
slug, which also notices an archived survey) and reloads the snapshot when the
version moved. So a wave closed (or reopened, or re-dated) in the app is seen
by the very next request on every worker: the staleness bound for wave closure
is zero, apart from requests already past their check when the closure
commits (a submission racing the closure may still be stored for the wave;
``flask flush-responses`` writes it out). Changes made outside the app (raw SQL
on ``wave``) do not bump the version: a snapshot is reloaded at least every
``SNAPSHOT_MAX_AGE_SECONDS`` whatever the version says. Whether a wave is open
today is computed from the snapshot's dates on every request.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..extensions import db
from ..models import Instrument, Jurisdiction, Organisation, Survey, Wave
from .instrument_store import parsed_instrument
from .trust import TrustBlock

SNAPSHOT_MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True)
class WaveSnapshot:
    id: int
    survey_id: int
    number: int
    label: str
    opens_on: date
    closes_on: date
    closed: bool

    def is_open(self, day: date) -> bool:
        return not self.closed and self.opens_on <= day <= self.closes_on


@dataclass(frozen=True)
class PlaceSnapshot:
    id: int
    name: str
    code: str
    district: str | None


@dataclass(frozen=True)
class OrganisationSnapshot:
    id: int
    name: str


@dataclass(frozen=True)
class SurveySnapshot:
    """The survey as the respondent pages see it (the attributes they read of ``Survey``)."""

    id: int
    version: int
    slug: str
    title: str
    description: str
    uses_invite_codes: bool
    date_granularity: str
    min_cell_size: int
    invite_salt: str
    organisation: OrganisationSnapshot
    waves: tuple[WaveSnapshot, ...]
    jurisdictions: tuple[PlaceSnapshot, ...]
    trust: TrustBlock = TrustBlock()
    min_answered_share: float = 0.5

    def wave_open_on(self, day: date) -> WaveSnapshot | None:
        return next((wave for wave in self.waves if wave.is_open(day)), None)


@dataclass(frozen=True)
class _Entry:
    survey: SurveySnapshot
    instrument: Any
    loaded_at: float


_entries: dict[tuple[str, str], _Entry] = {}
_lock = threading.Lock()
# The per-request version check, built once: run on the session's Core connection it skips the
# ORM's statement handling, and its cache key is memoized on this object.
_SURVEYS = Survey.__table__
CURRENT_VERSION = (
    select(_SURVEYS.c.id, _SURVEYS.c.version)
    .where(_SURVEYS.c.slug == bindparam("s_slug"), _SURVEYS.c.archived.is_(False))
)


def _load(slug: str) -> _Entry | None:
    survey = db.session.scalar(
        select(Survey)
        .where(Survey.slug == slug, Survey.archived.is_(False))
        .options(
            joinedload(Survey.instrument).defer(Instrument.source_yaml),
            joinedload(Survey.organisation),
            selectinload(Survey.waves),
            selectinload(Survey.jurisdictions),
        )
    )
    if survey is None:
        return None
    organisation: Organisation = survey.organisation
    snapshot = SurveySnapshot(
        id=survey.id, version=survey.version or 1, slug=survey.slug, title=survey.title,
        description=survey.description or "", uses_invite_codes=bool(survey.uses_invite_codes),
        date_granularity=survey.date_granularity, min_cell_size=survey.min_cell_size,
        invite_salt=survey.invite_salt,
        organisation=OrganisationSnapshot(organisation.id, organisation.name),
        waves=tuple(WaveSnapshot(w.id, w.survey_id, w.number, w.label, w.opens_on, w.closes_on, bool(w.closed))
                    for w in survey.waves),
        jurisdictions=tuple(PlaceSnapshot(j.id, j.name, j.code, j.district) for j in survey.jurisdictions),
        trust=TrustBlock.from_json(survey.trust),
        min_answered_share=float(survey.min_answered_share if survey.min_answered_share is not None else 0.5),
    )
    return _Entry(snapshot, parsed_instrument(survey.instrument), time.monotonic())


def survey_snapshot(slug: str) -> tuple[SurveySnapshot, Any] | None:
    """The live survey at ``slug`` and its parsed instrument, from this worker's snapshot when current."""
    current = db.session.connection().execute(CURRENT_VERSION, {"s_slug": slug}).first()
    key = (str(db.engine.url), slug)
    if current is None:
        _entries.pop(key, None)
        return None
    entry = _entries.get(key)
    fresh = (entry is not None and entry.survey.id == current.id and entry.survey.version == (current.version or 1)
             and time.monotonic() - entry.loaded_at < SNAPSHOT_MAX_AGE_SECONDS)
    if not fresh:
        loaded = _load(slug)
        if loaded is None:
            return None
        with _lock:
            _entries[key] = entry = loaded
    assert entry is not None
    return entry.survey, entry.instrument


def _survey_ids(session: Session) -> set[int]:
    """Surveys whose respondent-facing rows this flush changes."""
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Survey):
            if obj.id is not None and obj not in session.new and session.is_modified(obj):
                ids.add(obj.id)
        elif isinstance(obj, (Wave, Jurisdiction)):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            survey_id = obj.survey_id if obj.survey_id is not None else getattr(obj.survey, "id", None)
            if survey_id is not None:
                ids.add(survey_id)
    return ids


@event.listens_for(Session, "before_flush")
def bump_versions(session: Session, _context: Any, _instances: Any) -> None:
    """Bump ``Survey.version`` of every survey whose own row, waves or places this flush changes."""
    ids = _survey_ids(session)
    if not ids:
        return
    with session.no_autoflush:
        for survey_id in ids:
            survey = session.get(Survey, survey_id)
            if survey is not None:
                survey.version = (survey.version or 1) + 1

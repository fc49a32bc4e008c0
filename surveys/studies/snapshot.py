"""A per-worker snapshot of each live survey: what the respondent pages read on every request.

Why: every survey page used to load the survey, its waves and its places
through the ORM (three queries and the ORM's per-row work) and the final submit
reloaded them after its first commit. The snapshot is a frozen copy (plain
dataclasses, safe to share between requests and threads) plus the parsed
instrument, kept per process and per database.

Invalidation: ``Survey.version`` is bumped by every change the app makes to a
survey, its waves or its places (a ``before_flush`` hook on every session,
``bump_versions``), and the committing process drops its own snapshot of that
survey at once (``after_commit``). Other workers read one indexed row (``id,
version`` by slug, which also notices an archived survey) at most once every
``VERSION_CHECK_SECONDS`` per survey, and reload the snapshot when the version
moved. **Staleness bound:** a change made in the app is seen by the next
request of the process that made it, and by every other worker within
``VERSION_CHECK_SECONDS`` (1 s). For wave closure that second does not let a
response into a closed wave: the submit transaction inserts into the buffer
only while the wave row says it is open (``submission.INSERT_BUFFERED``, a
conditional INSERT checked in the same transaction, under SQLite's write
lock), so a submission that saw the wave open in a stale snapshot is refused
(409) and stores nothing. Changes made outside the app (raw SQL on ``wave``)
do not bump the version: a snapshot is reloaded at least every
``SNAPSHOT_MAX_AGE_SECONDS`` whatever the version says. Whether a wave is open
today is computed from the snapshot's dates on every request.

Why the interval: the version check was one query, a tenth of the final
submit's CPU (``bench/README.md``), on every respondent request.
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
VERSION_CHECK_SECONDS = 1.0


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


@dataclass
class _Entry:
    survey: SurveySnapshot
    instrument: Any
    loaded_at: float
    checked_at: float  # the last time the version was read from the database


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
    now = time.monotonic()
    return _Entry(snapshot, parsed_instrument(survey.instrument), now, now)


def survey_snapshot(slug: str) -> tuple[SurveySnapshot, Any] | None:
    """The live survey at ``slug`` and its parsed instrument, from this worker's snapshot when current.

    The version is read from the database only when this worker's snapshot of the survey was last
    checked ``VERSION_CHECK_SECONDS`` ago or more (see the module docstring for the bound).
    """
    key = (str(db.engine.url), slug)
    entry = _entries.get(key)
    now = time.monotonic()
    if (entry is not None and now - entry.checked_at < VERSION_CHECK_SECONDS
            and now - entry.loaded_at < SNAPSHOT_MAX_AGE_SECONDS):
        return entry.survey, entry.instrument
    current = db.session.connection().execute(CURRENT_VERSION, {"s_slug": slug}).first()
    if current is None:
        _entries.pop(key, None)
        return None
    fresh = (entry is not None and entry.survey.id == current.id and entry.survey.version == (current.version or 1)
             and now - entry.loaded_at < SNAPSHOT_MAX_AGE_SECONDS)
    if fresh:
        assert entry is not None
        entry.checked_at = now
    else:
        loaded = _load(slug)
        if loaded is None:
            return None
        with _lock:
            _entries[key] = entry = loaded
    return entry.survey, entry.instrument


def forget_all() -> None:
    """Drop every snapshot of this process (a database emptied or restored outside the app)."""
    with _lock:
        _entries.clear()


def forget_surveys(survey_ids: set[int]) -> None:
    """Drop this process's snapshots of these surveys: the next request reloads them."""
    with _lock:
        for key in [k for k, e in _entries.items() if e.survey.id in survey_ids]:
            _entries.pop(key, None)


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
    session.info.setdefault(_CHANGED, set()).update(ids)
    with session.no_autoflush:
        for survey_id in ids:
            survey = session.get(Survey, survey_id)
            if survey is not None:
                survey.version = (survey.version or 1) + 1


_CHANGED = "cts_snapshot_changed_surveys"


@event.listens_for(Session, "after_commit")
def forget_committed(session: Session) -> None:
    """Once a change to a survey commits, this process reloads its snapshot at the next request."""
    changed = session.info.pop(_CHANGED, None)
    if changed:
        forget_surveys(changed)


@event.listens_for(Session, "after_rollback")
def _forget_nothing(session: Session) -> None:
    session.info.pop(_CHANGED, None)

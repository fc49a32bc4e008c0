"""Instrument versions made in the browser: drafts, publishing, import, reviews, fielding.

A published version is immutable (surveys field it, responses and waves point at it); a
draft is changed in place and cannot be fielded. Changing a published version makes a new
draft with the next version number. Every change goes through the loader: the document is
dumped to YAML and parsed by ``surveys.instruments.parse_instrument``, so the browser accepts
exactly what a file would (``InstrumentError`` lists the problems, each with its path).
"""
from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from sqlalchemy import or_, select

from ..accounts.audit import record
from ..extensions import db
from ..instruments import DEFAULT_INSTRUMENT_PATH, InstrumentError, Problem, parse_instrument
from ..instruments import document as doc
from ..instruments.model import Instrument as ParsedInstrument
from ..models import Instrument, Researcher, Survey
from .instrument_store import InstrumentConflict


class VersionError(ValueError):
    """A version change that cannot be made (e.g. publishing a published version)."""


def _audit(actor: Researcher, action: str, row: Instrument, **parameters: object) -> None:
    record(action, actor=actor, target=f"instrument:{row.id}",
           parameters={"instrument": row.key, "version": row.version, **parameters})


def visible_instruments(actor: Researcher) -> list[Instrument]:
    """Shared instruments and those of the actor's organisation, by key then newest first."""
    query = select(Instrument).where(or_(Instrument.organisation_id.is_(None),
                                         Instrument.organisation_id == actor.organisation_id))
    return list(db.session.scalars(query.order_by(Instrument.key, Instrument.loaded_at.desc(), Instrument.id.desc())))


def published_instruments(actor: Researcher) -> list[Instrument]:
    """What a survey may be fielded with."""
    return [row for row in visible_instruments(actor) if row.published]


def instrument_for(actor: Researcher, instrument_id: int) -> Instrument | None:
    row = db.session.get(Instrument, instrument_id)
    if row is None or row.organisation_id not in (None, actor.organisation_id):
        return None
    return row


def _taken(key: str) -> set[str]:
    return set(db.session.scalars(select(Instrument.version).where(Instrument.key == key)))


def _store(actor: Researcher, text: str, *, parent: Instrument | None = None) -> Instrument:
    parsed = parse_instrument(text, source_name="the questionnaire")
    if parsed.version in _taken(parsed.id):
        raise InstrumentConflict(f"Version {parsed.version} of {parsed.id} exists already; give this one another "
                                 "version number.")
    row = Instrument(key=parsed.id, version=parsed.version, title=_title(parsed), source_yaml=text,
                     sha256=parsed.sha256, status="draft", organisation_id=actor.organisation_id,
                     parent_id=parent.id if parent else None, created_by_id=actor.id,
                     reviews=dict(parent.reviews or {}) if parent else {})
    db.session.add(row)
    db.session.flush()
    return row


def _title(parsed: ParsedInstrument) -> str:
    return (parsed.title.get(parsed.default_language) or parsed.id)[:300]


def create_draft(actor: Researcher, *, key: str, base: str, languages: list[str]) -> Instrument:
    """A new instrument ``key``: the bundled default ("default") or its smallest valid part ("empty")."""
    default_text = DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8")
    default = doc.load(default_text)
    data = doc.empty_document(default, languages, key) if base == "empty" else default
    data["id"] = key
    taken = _taken(key)
    if data["version"] in taken:
        data["version"] = doc.next_version(str(data["version"]), taken)
    row = _store(actor, doc.dump(data))
    _audit(actor, "instrument.create", row, base=base)
    db.session.commit()
    return row


def import_yaml(actor: Researcher, raw: bytes, filename: str) -> Instrument:
    """An uploaded file, checked by the loader and stored as a draft (publish it to field it)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InstrumentError(filename, [Problem(f"the file is not UTF-8 text (byte {exc.start})")]) from None
    row = _store(actor, text)
    _audit(actor, "instrument.import", row, filename=filename[:200])
    db.session.commit()
    return row


def new_draft(actor: Researcher, row: Instrument) -> Instrument:
    """A draft copy of ``row`` with the next free version number."""
    data = doc.load(row.source_yaml)
    data["version"] = doc.next_version(str(data["version"]), _taken(row.key))
    draft = _store(actor, doc.dump(data), parent=row)
    _audit(actor, "instrument.draft", draft, parent=row.version)
    db.session.commit()
    return draft


def save_document(actor: Researcher, row: Instrument, data: dict) -> Instrument:
    """Store a changed document. On a published version the change goes into a new draft.

    Raises ``InstrumentError`` (nothing stored) when the loader refuses the document.
    """
    if row.published:
        data["version"] = doc.next_version(str(data.get("version")), _taken(row.key))
        data["id"] = row.key
        text = doc.dump(data)
        parse_instrument(text, source_name="the questionnaire")  # refuse before making a draft
        draft = _store(actor, text, parent=row)
        _audit(actor, "instrument.draft", draft, parent=row.version)
        db.session.commit()
        return draft
    text = doc.dump(data)
    parsed = parse_instrument(text, source_name="the questionnaire")
    if (parsed.id, parsed.version) != (row.key, row.version) and parsed.version in _taken(parsed.id):
        raise InstrumentError("the questionnaire", [Problem(
            f"version {parsed.version} of {parsed.id} exists already", path="version")])
    row.key, row.version, row.title = parsed.id, parsed.version, _title(parsed)
    row.source_yaml, row.sha256 = text, parsed.sha256
    _audit(actor, "instrument.edit", row)
    db.session.commit()
    return row


def publish(actor: Researcher, row: Instrument) -> None:
    if row.published:
        raise VersionError(f"Version {row.version} is published already.")
    row.status, row.published_at = "published", datetime.now(UTC)
    _audit(actor, "instrument.publish", row)
    db.session.commit()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def mark_reviewed(actor: Researcher, row: Instrument, item_id: str, language: str, wording: str) -> None:
    """Record that ``actor`` checked the ``language`` wording of ``item_id`` (drafts only)."""
    if row.published:
        raise VersionError("A published version cannot change; make a draft to record reviews.")
    reviews = {key: dict(value) for key, value in (row.reviews or {}).items()}
    reviews.setdefault(item_id, {})[language] = {"by": actor.email, "on": date.today().isoformat(),
                                                 "text": text_hash(wording)}
    row.reviews = reviews  # a new dict: the JSON column sees the change
    _audit(actor, "instrument.review", row, item=item_id, language=language)
    db.session.commit()


def review_state(row: Instrument, item_id: str, language: str, wording: str) -> dict | None:
    """The review of an item's wording: {"by", "on", "current"} (current: the wording is unchanged)."""
    review = (row.reviews or {}).get(item_id, {}).get(language)
    if not review:
        return None
    return {"by": review["by"], "on": review["on"], "current": review.get("text") == text_hash(wording)}


def field_with(actor: Researcher, survey: Survey, row: Instrument, today: date) -> None:
    """Switch ``survey`` to a published version. Waves not yet open move with it; open or past
    waves keep the version they were fielded with (refused while a wave is open)."""
    if not row.published:
        raise VersionError("Only a published version can be fielded; publish the draft first.")
    if any(w.is_open(today) for w in survey.waves):
        raise VersionError("A wave is open: close it first, so that one wave is answered with one version.")
    survey.instrument_id = row.id
    for wave in survey.waves:
        if wave.status(today) == "scheduled":
            wave.instrument_id = row.id
    record("survey.instrument", actor=actor, organisation_id=survey.organisation_id, target=f"survey:{survey.id}",
           parameters={"slug": survey.slug, "instrument": f"{row.key} {row.version}"})
    db.session.commit()

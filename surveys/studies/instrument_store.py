"""Keeping instruments in the database, and getting the parsed form back.

The YAML text is stored whole, so a survey keeps answering with the exact
questionnaire it was created with even after the file on disk changes. A
(key, version) pair is immutable: loading different text under the same
version is refused; bump the version instead.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..instruments import Instrument as ParsedInstrument
from ..instruments import InstrumentError, load_instrument, parse_instrument
from ..models import Instrument


class InstrumentConflict(ValueError):
    """Same id and version as a stored instrument, but different content."""


def store_instrument(path: str | Path) -> tuple[Instrument, bool]:
    """Validate the file at ``path`` and store it. Returns (row, created).

    Raises ``InstrumentError`` (every problem listed) for an invalid file,
    ``FileNotFoundError`` for a missing one, ``InstrumentConflict`` for a
    changed file that kept its version.
    """
    parsed = load_instrument(path)
    existing = db.session.scalar(
        select(Instrument).where(Instrument.key == parsed.id, Instrument.version == parsed.version)
    )
    if existing is not None:
        if existing.sha256 != parsed.sha256:
            raise InstrumentConflict(
                f"Instrument {parsed.id} version {parsed.version} is already loaded with different content; "
                "give the changed file a new version number."
            )
        return existing, False
    title = parsed.title.get(parsed.default_language) or next(iter(parsed.title.values()), parsed.id)
    row = Instrument(
        key=parsed.id, version=parsed.version, title=title, source_yaml=parsed.source_text, sha256=parsed.sha256
    )
    db.session.add(row)
    db.session.commit()
    return row, True


_PARSED: dict[str, ParsedInstrument] = {}
_PARSED_LIMIT = 64


def parsed_instrument(row: Instrument) -> ParsedInstrument:
    """The parsed definition of a stored instrument, cached per process by content hash.

    The cache is keyed on ``sha256`` alone, so a hit never touches ``source_yaml``:
    callers on hot paths (every respondent request) may load the row with that
    large column deferred, and it is fetched only the first time a worker sees
    the instrument. Stored instruments are immutable, so entries never go stale.
    """
    cached = _PARSED.get(row.sha256)
    if cached is None:
        cached = parse_instrument(row.source_yaml, source_name=f"instrument {row.sha256[:12]}")
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[row.sha256] = cached
    return cached


__all__ = ["InstrumentConflict", "InstrumentError", "parsed_instrument", "store_instrument"]

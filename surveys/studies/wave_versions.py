"""Which instrument version each wave was fielded with, and what that means for comparisons.

A wave records its instrument (``Wave.instrument_id``, set when the wave is added and moved
with the survey until it opens). When waves compared in the dashboard or a report used
different versions, the items whose wording, options or scales differ are named, with a
link to the diff, so that a change in an answer is not read as a change in opinion.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..extensions import db
from ..instruments.diff import changed_items
from ..models import Instrument, Survey
from .instrument_store import parsed_instrument

MAX_ITEMS_NAMED = 12


@dataclass(frozen=True)
class VersionNote:
    before: Instrument
    after: Instrument
    waves_before: tuple[int, ...]
    waves_after: tuple[int, ...]
    items: tuple[str, ...]  # the items answered differently under the two versions

    @property
    def sentence(self) -> str:
        def waves(numbers: tuple[int, ...]) -> str:
            return ("wave " if len(numbers) == 1 else "waves ") + ", ".join(map(str, numbers))

        named = ", ".join(self.items[:MAX_ITEMS_NAMED]) + (" …" if len(self.items) > MAX_ITEMS_NAMED else "")
        what = (f"{len(self.items)} item{'s' if len(self.items) != 1 else ''} changed ({named}): compare "
                "them across these waves with care." if self.items else
                "no item's wording, options or scales changed.")
        return (f"The compared waves used different versions of the questionnaire: {waves(self.waves_before)} "
                f"version {self.before.version}, {waves(self.waves_after)} version {self.after.version}; {what}")


def version_notes(survey: Survey, wave_numbers: Iterable[int] | None = None) -> list[VersionNote]:
    """One note per change of version between consecutive compared waves (none when all share one)."""
    wanted = set(wave_numbers) if wave_numbers is not None else None
    runs: list[tuple[int, list[int]]] = []
    for wave in sorted(survey.waves, key=lambda w: w.number):
        if wanted is not None and wave.number not in wanted:
            continue
        instrument_id = wave.instrument_id or survey.instrument_id
        if runs and runs[-1][0] == instrument_id:
            runs[-1][1].append(wave.number)
        else:
            runs.append((instrument_id, [wave.number]))
    notes = []
    for (id_a, waves_a), (id_b, waves_b) in zip(runs, runs[1:], strict=False):
        a, b = db.session.get(Instrument, id_a), db.session.get(Instrument, id_b)
        if a is None or b is None:
            continue
        items = tuple(changed_items(parsed_instrument(a), parsed_instrument(b)))
        notes.append(VersionNote(a, b, tuple(waves_a), tuple(waves_b), items))
    return notes

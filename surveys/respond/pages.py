"""Which questions a page shows, in which order, and which pages there are.

One page per instrument block. The server decides visibility (``show_if``):
a question whose condition depends on an earlier page is shown or left out
here; one whose condition depends on a question on the same page is shown
with a plain-words hint ("only if you answered ...") that the optional
JavaScript turns into live hiding. Whatever the browser does, the answers
the server keeps are pruned with the instrument's own ``visible`` rule.

Randomised blocks and grids are shuffled with a seed kept in the respondent's
state, so the order stays the same across language switches and page visits.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LiveCondition:
    """A show_if on a question of the same page: hide unless ``item`` has one of ``codes``."""

    item: str
    codes: tuple[int, ...]


@dataclass(frozen=True)
class Unit:
    """One thing on a page: a question, or a grid (``question.rows`` are its answerable rows)."""

    question: Any
    live: LiveCondition | None = None

    @property
    def answerable(self) -> tuple[Any, ...]:
        return tuple(self.question.rows) if self.question.rows else (self.question,)


def _rng(seed: int, block_id: str) -> random.Random:
    return random.Random(f"{seed}:{block_id}")  # noqa: S311 - presentation order, not security


def _live_condition(instrument: Any, question: Any, block_id: str, answers: Mapping[str, Any]) -> tuple[bool, Any]:
    """(shown, live condition) for ``question`` on the page of ``block_id``.

    Walks the show_if chain: a link to a question on another page is decided
    now from ``answers``; the first link to a question on this page becomes
    the live condition (the browser, and the server on submit, decide it).
    """
    live = None
    condition = question.show_if
    while condition is not None:
        target = instrument.question(condition.item)
        if target.block_id == block_id:
            if live is None:
                live = LiveCondition(condition.item, tuple(condition.codes))
        elif not instrument.visible(target, answers) or not _picked(answers.get(target.id), condition.codes):
            return False, None
        condition = target.show_if
    return True, live


def _picked(value: Any, codes: tuple[int, ...]) -> bool:
    chosen = set(value) if isinstance(value, list) else {value}
    return bool(chosen & set(codes))


def page_units(instrument: Any, page: int, seed: int, answers: Mapping[str, Any]) -> list[Unit]:
    """The units shown on ``page`` (index into ``instrument.blocks``), in presentation order."""
    block = instrument.blocks[page]
    units = []
    for question in block.ordered(_rng(seed, block.id)):
        shown, live = _live_condition(instrument, question, block.id, answers)
        if shown:
            units.append(Unit(question, live))
    return units


def page_questions(instrument: Any, page: int) -> list[Any]:
    """Every answerable question of ``page``, shown or not (order does not matter here)."""
    block = instrument.blocks[page]
    return [row for unit in block.questions for row in (unit.rows or (unit,))]


def page_count(instrument: Any) -> int:
    return len(instrument.blocks)


def is_empty(instrument: Any, page: int, answers: Mapping[str, Any]) -> bool:
    """True when earlier answers hide every question of ``page``: the page is skipped."""
    return not page_units(instrument, page, 0, answers)


def next_page(instrument: Any, page: int, answers: Mapping[str, Any]) -> int | None:
    """The next non-empty page after ``page``, or None when ``page`` is the last."""
    for candidate in range(page + 1, page_count(instrument)):
        if not is_empty(instrument, candidate, answers):
            return candidate
    return None


def previous_page(instrument: Any, page: int, answers: Mapping[str, Any]) -> int | None:
    for candidate in range(page - 1, -1, -1):
        if not is_empty(instrument, candidate, answers):
            return candidate
    return None


def first_page(instrument: Any, answers: Mapping[str, Any]) -> int:
    return next_page(instrument, -1, answers) or 0


def progress(instrument: Any, page: int, answers: Mapping[str, Any]) -> tuple[int, int]:
    """(position, total) among the pages this respondent sees, for "Page 2 of 5"."""
    shown = [p for p in range(page_count(instrument)) if p == page or not is_empty(instrument, p, answers)]
    return shown.index(page) + 1, len(shown)

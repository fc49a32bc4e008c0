"""Checking one answer against its question, and turning answers into numbers.

Nothing here raises on odd input: every value a client could send (None, bools, floats,
nested lists, huge strings) is either accepted or described as a problem.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .checks import NUMERIC_TYPES  # the loader's rule of what a scale may list: the types scored here

if TYPE_CHECKING:  # pragma: no cover
    from .model import Question

# Text that PostgreSQL cannot store (NUL) or that only hides things: control and format
# characters other than line breaks and tabs.
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def is_blank(value: object) -> bool:
    """An unanswered question: absent, None, blank text or an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, tuple)) and len(value) == 0


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad_characters(text: str) -> bool:
    return any(
        unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in _ALLOWED_CONTROLS for ch in text
    )


def _within(question: Question, value: Any) -> bool:
    """Inside the question's range (scale and number items always have one)."""
    return question.low is not None and question.high is not None and question.low <= value <= question.high


def problem(question: Question, value: Any) -> tuple[str, dict] | None:
    """What is wrong with a non-blank answer to ``question``: (message kind, params) or None."""
    kind = question.type
    if kind == "multiple":
        codes = question.codes
        if not isinstance(value, (list, tuple)) or not all(_whole(v) and v in codes for v in value):
            return "choices", {}
        if len(set(value)) != len(value):
            return "choices", {}
        exclusive = [v for v in value if v in question.exclusive_codes]
        if exclusive and len(value) > 1:
            return "exclusive", {"option": exclusive[0]}
        return None
    if kind in ("single", "likert", "grid"):
        return None if _whole(value) and value in question.codes else ("choice", {})
    if kind == "scale":
        ok = _whole(value) and _within(question, value)
        return None if ok else ("scale", {"low": question.low, "high": question.high})
    if kind == "number":
        ok = _whole(value) or (isinstance(value, float) and math.isfinite(value))
        ok = ok and _within(question, value)
        return None if ok else ("number", {"low": question.low, "high": question.high})
    # text
    if not isinstance(value, str):
        return "text", {}
    if _bad_characters(value):
        return "characters", {}
    if question.max_length is not None and len(value) > question.max_length:
        return "too_long", {"max": question.max_length, "length": len(value)}
    return None


def valid_value(question: Question, value: Any) -> bool:
    return not is_blank(value) and problem(question, value) is None


def numeric(question: Question, value: Any) -> float | None:
    """The answer as a number for scoring: None when blank, invalid or a 'missing' option."""
    if question.type not in NUMERIC_TYPES or not valid_value(question, value):
        return None
    if value in question.missing_codes:
        return None
    return float(value)


def chosen(question: Question, value: Any) -> set[int]:
    """The codes a valid answer picked (one for single choice, several for multiple)."""
    if not valid_value(question, value):
        return set()
    return set(value) if isinstance(value, (list, tuple)) else {value}


def visible(by_id: Mapping[str, Question], question: Question, answers: Mapping) -> bool:
    """Whether ``question``'s show_if holds (and the question it depends on is shown)."""
    condition = question.show_if
    while condition is not None:
        target = by_id[condition.item]
        if not chosen(target, answers.get(target.id)) & set(condition.codes):
            return False
        condition = target.show_if
    return True

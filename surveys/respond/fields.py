"""WTForms fields for instrument questions: parse what the browser posted, strictly.

Every posted value is checked against the question it answers: option codes
must be the question's own, numbers must be in range, text must fit the cap and
hold only printable characters. A field never raises on odd input; it records
a problem that the form shows next to the question, in the respondent's
language. Rendering is done by the templates (``templates/respond/_questions.html``),
which need full control of fieldsets, legends and ARIA attributes.
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from wtforms.fields import Field
from wtforms.validators import StopValidation

from .messages import answer_message

# Text PostgreSQL cannot store (NUL) or that only hides things; line breaks and tabs are fine.
_ALLOWED_CONTROLS = {"\n", "\t"}
# Digits (any script: Python's \d and int() accept Arabic-Indic digits), one optional decimal mark.
_NUMBER = re.compile(r"^[+-]?\d{1,12}(?:[.,]\d{1,6})?$")
_CODE = re.compile(r"^-?\d{1,7}$")
MAX_RAW_NUMBER = 40


def field_name(question_id: str) -> str:
    """The HTML name of a question's field (prefixed, so no id can clash with csrf_token, state...)."""
    return f"q_{question_id}"


def _label(option: Any, language: str, default: str) -> str:
    return option.label.get(language) or option.label.get(default) or str(option.code)


class AnswerField(Field):
    """Base: keeps the raw strings to redisplay and the parsed answer (or a problem)."""

    def __init__(self, *, question: Any, language: str = "en", default_language: str = "en", **kwargs: Any):
        super().__init__(**kwargs)
        self.question = question
        self.language = language
        self.default_language = default_language
        self.raw: list[str] = []
        self.problem: tuple[str, dict[str, Any]] | None = None

    # -- WTForms protocol --------------------------------------------------------------
    def process_data(self, value: Any) -> None:
        self.data = value
        self.raw = self.to_raw(value)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = [str(v) for v in valuelist]
        self.problem = None
        self.data = self.parse(self.raw)

    def pre_validate(self, form: Any) -> None:
        if self.problem is not None:
            kind, params = self.problem
            raise StopValidation(answer_message(kind, **params))

    # -- per type ----------------------------------------------------------------------
    def to_raw(self, value: Any) -> list[str]:
        return [] if value is None else [str(value)]

    def parse(self, raw: list[str]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def fail(self, kind: str, **params: Any) -> Any:
        """Note the problem and give None, so a parser can ``return self.fail(...)``."""
        self.problem = (kind, params)
        return None

    @property
    def blank(self) -> bool:
        return self.data is None or self.data == []


class CodeField(AnswerField):
    """One option code: single choice, Likert, a grid row, a 0-10 scale."""

    def parse(self, raw: list[str]) -> int | None:
        values = [v for v in raw if v.strip()]
        if not values:
            return None
        if len(values) > 1 or not _CODE.match(values[0].strip()):
            return self.fail("choice")
        code = int(values[0])
        if code not in self.question.codes:
            return self.fail("choice")
        return code


class CodesField(AnswerField):
    """Several option codes: multiple choice. Exclusive options (prefer not to say, nobody) stand alone."""

    def to_raw(self, value: Any) -> list[str]:
        return [str(v) for v in value or []]

    def process_data(self, value: Any) -> None:
        super().process_data(list(value or []))

    def parse(self, raw: list[str]) -> list[int]:
        values = [v.strip() for v in raw if v.strip()]
        if len(values) > len(self.question.options) or not all(_CODE.match(v) for v in values):
            self.fail("choices")
            return []
        codes = [int(v) for v in values]
        if len(set(codes)) != len(codes) or not set(codes) <= self.question.codes:
            self.fail("choices")
            return []
        standalone = self.question.exclusive_codes  # "prefer not to say", "nobody": never with others
        alone = [o for o in self.question.options if o.code in codes and o.code in standalone]
        if alone and len(codes) > 1:
            self.fail("exclusive", label=_label(alone[0], self.language, self.default_language))
            return []
        order = {o.code: i for i, o in enumerate(self.question.options)}
        return sorted(codes, key=order.__getitem__)


class NumberField(AnswerField):
    """A number in the question's range; a decimal comma is accepted (e.g. Spanish "2,5")."""

    def parse(self, raw: list[str]) -> int | float | None:
        text = raw[0].strip() if len(raw) == 1 else ("" if not raw else "\x00")
        if not text:
            return None
        low, high = self.question.low, self.question.high
        if len(text) > MAX_RAW_NUMBER or not _NUMBER.match(text):
            return self.fail("not_a_number", low=_plain(low), high=_plain(high))
        parsed = float(text.replace(",", "."))
        if not math.isfinite(parsed):
            return self.fail("not_a_number", low=_plain(low), high=_plain(high))
        number: int | float = int(parsed) if parsed.is_integer() else parsed
        if not low <= number <= high:
            return self.fail("number", low=_plain(low), high=_plain(high))
        return number


class TextAnswerField(AnswerField):
    """Short free text, capped at the question's ``max_length`` (line breaks count as one)."""

    def parse(self, raw: list[str]) -> str | None:
        if len(raw) > 1:
            return self.fail("text")
        text = (raw[0] if raw else "").replace("\r\n", "\n").replace("\r", "\n").strip()
        if not text:
            return None
        if any(unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in _ALLOWED_CONTROLS for ch in text):
            return self.fail("characters")
        if len(text) > self.question.max_length:
            return self.fail("too_long", max=self.question.max_length, length=len(text))
        return text


def _plain(number: Any) -> Any:
    return int(number) if isinstance(number, float) and number.is_integer() else number


FIELD_TYPES: dict[str, type[AnswerField]] = {
    "single": CodeField,
    "likert": CodeField,
    "grid": CodeField,
    "scale": CodeField,
    "multiple": CodesField,
    "number": NumberField,
    "text": TextAnswerField,
}


def parse_answer(question: Any, raw: list[Any], language: str,
                 default_language: str) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
    """(parsed answer, problem or None) for posted strings: exactly what the question's field
    computes in ``process_formdata``, without a form to bind it to (``forms.final_page_answers``)."""
    parser = object.__new__(FIELD_TYPES[question.type])  # Field.__new__ would give an UnboundField
    parser.question, parser.language, parser.default_language = question, language, default_language
    parser.problem = None
    data = parser.parse([str(v) for v in raw])
    return data, parser.problem


def field_for(question: Any, language: str, default_language: str) -> AnswerField:
    """An unbound field for ``question`` (WTForms binds it when the form class is instantiated)."""
    return FIELD_TYPES[question.type](question=question, language=language, default_language=default_language)

"""The loaded instrument: frozen dataclasses and what can be asked of them."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from . import answers as _answers
from .messages import message

Translated = dict  # language code -> text


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself: "Español", "العربية"
    direction: str  # "ltr" | "rtl"
    reviewed: bool  # has a human translator (or, for the source language, a methodologist) checked it?


@dataclass(frozen=True)
class Option:
    code: int
    label: Translated
    missing: bool = False  # "prefer not to say", "don't know": excluded from scores and flags
    exclusive: bool = False  # multiple choice: cannot be ticked with others ("missing" ones never can)

    def __hash__(self) -> int:
        return hash(self.code)


@dataclass(frozen=True)
class Condition:
    """``show_if`` and flag definitions: true when the answer to ``item`` is one of ``codes``."""

    item: str
    codes: tuple[int, ...]

    def as_dict(self) -> dict:
        return {"item": self.item, "in": list(self.codes)}


@dataclass(frozen=True)
class Question:
    """An item. Answerable ones are everything but a grid's container (its rows are answerable)."""

    id: str
    type: str  # single | likert | grid | multiple | scale | number | text
    text: Translated
    options: tuple[Option, ...] = ()
    low: int | float | None = None  # numeric range of substantive answers, None for single/multiple/text
    high: int | float | None = None
    max_length: int | None = None
    required: bool = False
    reverse: bool = False
    show_if: Condition | None = None
    source: str = ""
    block_id: str = ""
    grid_id: str | None = None  # set on grid rows
    help: Translated | None = None
    rows: tuple[Question, ...] = ()  # set on a grid's container
    randomize: bool = False  # a grid's rows are shown in random order
    anchors: dict[str, Translated] | None = None  # scale items: {"low": ..., "high": ...}
    # Could single a respondent out combined with others (age band, gender...): generalised or
    # suppressed in the safe microdata export until every combination occurs k times.
    quasi_identifier: bool = False

    def __hash__(self) -> int:
        return hash((self.id, self.grid_id))

    @property
    def answerable(self) -> bool:
        return not self.rows

    # Computed once per question (``cached_property`` writes the instance's __dict__, which a
    # frozen dataclass allows): validation and scoring ask for them for every answer of every
    # submission, and building the sets each time was a tenth of a submission's CPU.
    @cached_property
    def codes(self) -> frozenset[int]:
        return frozenset(o.code for o in self.options)

    @cached_property
    def missing_codes(self) -> frozenset[int]:
        return frozenset(o.code for o in self.options if o.missing)

    @cached_property
    def exclusive_codes(self) -> frozenset[int]:
        return frozenset(o.code for o in self.options if o.missing or o.exclusive)


@dataclass(frozen=True)
class Block:
    id: str
    title: Translated
    randomize: bool
    questions: tuple[Question, ...]  # as written: a grid is one entry whose .rows are the answerable rows
    intro: Translated | None = None

    def ordered(self, rng: random.Random) -> tuple[Question, ...]:
        """The block's entries in presentation order (shuffled where the instrument says so)."""
        units = list(self.questions)
        if self.randomize:
            rng.shuffle(units)
        out = []
        for unit in units:
            if unit.randomize and unit.rows:
                rows = list(unit.rows)
                rng.shuffle(rows)
                unit = replace(unit, rows=tuple(rows))
            out.append(unit)
        return tuple(out)


@dataclass(frozen=True)
class Scale:
    id: str
    label: Translated
    items: tuple[str, ...]
    min_items: int
    low: int | float
    high: int | float
    reverse: tuple[str, ...] = ()  # the items that are reverse-coded before averaging
    # What a higher score means (more_trust, more_willingness, more_fear, more_involvement);
    # with the hypothesis it fixes each outcome's expected sign (surveys/publication/hypothesis.py).
    higher_means: str | None = None


@dataclass(frozen=True, eq=False)
class Instrument:
    id: str
    version: str
    title: Translated
    languages: tuple[Language, ...]
    default_language: str
    texts: dict[str, Translated]
    blocks: tuple[Block, ...]
    scales: dict[str, Scale]
    flags: dict[str, Condition]
    option_sets: dict[str, tuple[Option, ...]] = field(repr=False)
    description: str = field(default="", repr=False)
    source_text: str = field(default="", repr=False)
    sha256: str = ""
    source_name: str = ""
    _questions: tuple[Question, ...] = field(default=(), repr=False)
    _by_id: dict[str, Question] = field(default_factory=dict, repr=False)

    # --- structure --------------------------------------------------------------------
    def questions(self) -> tuple[Question, ...]:
        """Every answerable question in instrument order, grid rows in place of their grid."""
        return self._questions

    def question(self, question_id: str) -> Question:
        return self._by_id[question_id]

    def language(self, code: str) -> Language:
        for lang in self.languages:
            if lang.code == code:
                return lang
        raise KeyError(code)

    @property
    def language_codes(self) -> tuple[str, ...]:
        return tuple(lang.code for lang in self.languages)

    def text_for(self, key_or_dict: str | Mapping[str, str], language: str) -> str:
        """A page text by key (``"consent"``) or any translated dict, in ``language`` or the default."""
        texts = self.texts[key_or_dict] if isinstance(key_or_dict, str) else key_or_dict
        return texts.get(language) or texts[self.default_language]

    def scale_definitions(self) -> dict[str, dict]:
        return {
            s.id: {"items": list(s.items), "reverse": list(s.reverse), "min_items": s.min_items,
                   "low": s.low, "high": s.high}
            for s in self.scales.values()
        }

    # --- answers ----------------------------------------------------------------------
    def visible(self, question: Question | str, answers: Mapping) -> bool:
        q = self._by_id[question] if isinstance(question, str) else question
        return _answers.visible(self._by_id, q, answers)

    def validate_answers(self, answers: Mapping, language: str | None = None) -> dict[str, str]:
        """Question id -> what is wrong, in ``language``; an empty dict means all is well."""
        language = language if language in self.language_codes else self.default_language
        found: dict[str, str] = {}
        for key in answers:
            if key not in self._by_id:
                found[str(key)] = message("unknown", language)
        by_id = self._by_id
        for q in self._questions:
            value = answers.get(q.id)
            # Most questions have no show_if: skip the call (this loop runs for every question
            # of every submission).
            if q.show_if is not None and not _answers.visible(by_id, q, answers):
                if not _answers.is_blank(value):
                    found[q.id] = message("hidden", language)
            elif _answers.is_blank(value):
                if q.required:
                    found[q.id] = message("required", language)
            else:
                wrong = _answers.problem(q, value)
                if wrong is not None:
                    kind, params = wrong
                    if kind == "exclusive":
                        option = next(o for o in q.options if o.code == params["option"])
                        params = {"label": self.text_for(option.label, language)}
                    found[q.id] = message(kind, language, **params)
        return found

    def prune_hidden(self, answers: Mapping) -> dict:
        """The answers without those to questions that show_if hides (e.g. after a changed mind)."""
        return {key: value for key, value in answers.items()
                if key not in self._by_id or self.visible(self._by_id[key], answers)}

    def score(self, answers: Mapping) -> dict[str, float | None]:
        """Scale scores: the mean of valid, shown, reverse-coded items, or None below min_items."""
        scores: dict[str, float | None] = {}
        by_id = self._by_id
        for scale in self.scales.values():
            values = []
            for item in scale.items:
                q = by_id[item]
                shown = q.show_if is None or _answers.visible(by_id, q, answers)
                number = _answers.numeric(q, answers.get(item)) if shown else None
                if number is not None:
                    values.append(scale.low + scale.high - number if item in scale.reverse else number)
            scores[scale.id] = sum(values) / len(values) if len(values) >= scale.min_items else None
        return scores

    def flag(self, name: str, answers: Mapping) -> bool | None:
        """A flag's value: None when its item is unanswered, hidden, invalid or a 'missing' option."""
        condition = self.flags[name]
        q = self._by_id[condition.item]
        picked = _answers.chosen(q, answers.get(q.id)) if self.visible(q, answers) else set()
        substantive = picked - q.missing_codes
        if not substantive:
            return None
        return bool(substantive & set(condition.codes))

    def flag_values(self, answers: Mapping) -> dict[str, bool | None]:
        return {name: self.flag(name, answers) for name in self.flags}

    def is_immigrant(self, answers: Mapping) -> bool | None:
        return self.flag("immigrant", answers)

    def __repr__(self) -> str:
        return (f"Instrument(id={self.id!r}, version={self.version!r}, "
                f"languages={list(self.language_codes)}, questions={len(self._questions)})")

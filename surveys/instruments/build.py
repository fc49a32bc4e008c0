"""Build the frozen Instrument from a document that passed every check."""

from __future__ import annotations

import hashlib
from typing import cast

from .checks import SCALE_DEFAULT
from .model import Block, Condition, Instrument, Language, Option, Question, Scale


def _options(raw: list) -> tuple[Option, ...]:
    return tuple(
        Option(o["code"], dict(o["label"]), bool(o.get("missing", False)), bool(o.get("exclusive", False)))
        for o in raw
    )


def _condition(raw: dict | None) -> Condition | None:
    return Condition(raw["item"], tuple(raw["in"])) if raw else None


def _range(options: tuple[Option, ...]) -> tuple[int | None, int | None]:
    codes = [o.code for o in options if not o.missing]
    return (min(codes), max(codes)) if codes else (None, None)


def _scale_options(low: int, high: int, anchors: dict, languages: list[str]) -> tuple[Option, ...]:
    """0..10 style items as options, the end points labelled with their anchors."""
    def label(code: int) -> dict:
        end = anchors["low"] if code == low else anchors["high"] if code == high else None
        return {lang: f"{code} – {end[lang]}" if end else str(code) for lang in languages}

    return tuple(Option(code, label(code)) for code in range(low, high + 1))


def _question(raw: dict, block_id: str, option_sets: dict, languages: list[str]) -> Question:
    kind = raw["type"]
    common = {
        "id": raw["id"], "type": kind, "text": dict(raw["text"]),
        "required": bool(raw.get("required", False)), "reverse": bool(raw.get("reverse", False)),
        "show_if": _condition(raw.get("show_if")), "source": raw["source"], "block_id": block_id,
        "help": dict(raw["help"]) if "help" in raw else None,
        "quasi_identifier": bool(raw.get("quasi_identifier", False)),
    }
    if kind in ("single", "likert", "grid", "multiple"):
        options = option_sets[raw["options"]] if isinstance(raw["options"], str) else _options(raw["options"])
        low, high = _range(options) if kind in ("likert", "grid") else (None, None)
        question = Question(options=options, low=low, high=high, **common)
        if kind != "grid":
            return question
        rows = tuple(
            Question(
                id=row["id"], type="grid", text=dict(row["text"]), options=options, low=low, high=high,
                required=bool(row.get("required", question.required)), reverse=bool(row.get("reverse", False)),
                show_if=question.show_if, source=row.get("source", question.source), block_id=block_id,
                grid_id=question.id, help=dict(row["help"]) if "help" in row else None,
            )
            for row in raw["rows"]
        )
        return Question(options=options, low=low, high=high, rows=rows,
                        randomize=bool(raw.get("randomize", False)), **common)
    if kind == "scale":
        low, high = raw.get("min", SCALE_DEFAULT[0]), raw.get("max", SCALE_DEFAULT[1])
        anchors = {end: dict(raw["anchors"][end]) for end in ("low", "high")}
        return Question(options=_scale_options(low, high, anchors, languages), low=low, high=high,
                        anchors=anchors, **common)
    if kind == "number":
        return Question(low=raw["min"], high=raw["max"], **common)
    return Question(max_length=raw["max_length"], **common)


def build(data: dict, source_text: str, source_name: str) -> Instrument:
    languages = tuple(Language(lang["code"], lang["name"], lang["direction"], lang["reviewed"])
                      for lang in data["languages"])
    codes = [lang.code for lang in languages]
    option_sets = {name: _options(raw) for name, raw in data.get("option_sets", {}).items()}
    blocks = tuple(
        Block(
            id=block["id"], title=dict(block["title"]), randomize=bool(block.get("randomize", False)),
            questions=tuple(_question(item, block["id"], option_sets, codes) for item in block["items"]),
            intro=dict(block["intro"]) if "intro" in block else None,
        )
        for block in data["blocks"]
    )
    questions = tuple(row for block in blocks for unit in block.questions for row in (unit.rows or (unit,)))
    by_id = {q.id: q for q in questions}
    scales = {}
    for name, raw in data.get("scales", {}).items():
        first = by_id[raw["items"][0]]
        scales[name] = Scale(
            id=name, label=dict(raw["label"]), items=tuple(raw["items"]), min_items=raw["min_items"],
            low=cast("int | float", first.low), high=cast("int | float", first.high),  # scale items have a range
            reverse=tuple(i for i in raw["items"] if by_id[i].reverse),
            higher_means=raw.get("higher_means"),
        )
    return Instrument(
        id=data["id"], version=data["version"], title=dict(data["title"]), languages=languages,
        default_language=data["default_language"],
        texts={key: dict(value) for key, value in data["texts"].items()},
        blocks=blocks, scales=scales,
        flags={name: cast(Condition, _condition(raw)) for name, raw in data["flags"].items()},
        option_sets=option_sets, description=data.get("description", ""), source_text=source_text,
        sha256=hashlib.sha256(source_text.encode("utf-8")).hexdigest(), source_name=source_name,
        _questions=questions, _by_id=by_id,
    )

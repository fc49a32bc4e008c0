"""The mapping page's data: column guesses, value rows with suggestions, and the posted mapping.

Columns are chosen first (GET parameters, so the page can profile just those
columns: never an address column); then each value of the district, offence
and victim columns gets a target. The posted form becomes the JSON mapping of
``analysis.records.RecordsMapping`` (the same the CLI reads).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analysis.offences import CATEGORY_LABELS

from ...models import Survey
from ...studies.records import EXCLUDE, GROUPS, PERIODS, guess_category, guess_group, guess_place

ROLES = ("date", "category", "district", "victim")
_HINTS = {"date": ("date", "occurred", "reported", "time"),
          "category": ("offense", "offence", "crime", "type", "category", "nibrs", "ucr"),
          "district": ("district", "precinct", "beat", "division", "sector", "area"),
          "victim": ("ethnic", "race", "hispanic")}


class MappingError(ValueError):
    """The form names a column the file does not have, or maps nothing."""


def guess_columns(header: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for role, words in _HINTS.items():
        for column in header:
            name = column.casefold()
            if column not in out.values() and any(w in name for w in words):
                out[role] = column
                break
    return out


def chosen_columns(header: list[str], args: Mapping[str, str]) -> dict[str, str]:
    """Columns named in ``args`` (else guessed); an unknown column name is a MappingError."""
    guesses = guess_columns(header)
    out = {}
    for role in ROLES:
        value = args.get(role, guesses.get(role, "")) if role in args or not args else args.get(role, "")
        if value:
            if value not in header:
                raise MappingError(f"the file has no column {value!r}")
            out[role] = value
    return out


@dataclass(frozen=True)
class ValueRow:
    index: int
    value: str
    rows: int
    suggested: str


def value_rows(role: str, survey: Survey, profile: Any, column: str | None) -> list[ValueRow]:
    if not column:
        return []
    frame = profile.values[column]
    guess = {"district": lambda v: guess_place(survey, v), "category": guess_category,
             "victim": guess_group}[role]
    return [ValueRow(i, str(v), int(n), guess(str(v))) for i, (v, n) in enumerate(zip(frame["value"], frame["rows"],
                                                                                        strict=True))]


_FIELD = re.compile(r"^(d|c|v)(v|t)(\d{1,4})$")


def mapping_from_form(form: Mapping[str, str], survey: Survey, header: list[str]) -> tuple[dict[str, Any], str]:
    """(mapping dict, period) from the posted form; MappingError for a column or target the page never offered."""
    columns = {}
    for role in ROLES:
        value = form.get(role, "")
        if value:
            if value not in header:
                raise MappingError(f"the file has no column {value!r}")
            columns[role] = value
    for role in ("date", "category", "district"):
        if role not in columns:
            raise MappingError(f"choose the {role} column")
    period = form.get("period", "month")
    if period not in PERIODS:
        raise MappingError(f"period must be one of {', '.join(PERIODS)}")
    pairs: dict[tuple[str, str], dict[str, str]] = {}
    for key, value in form.items():
        hit = _FIELD.match(key)
        if hit:
            pairs.setdefault((hit.group(1), hit.group(3)), {})[hit.group(2)] = value
    places = {j.code for j in survey.jurisdictions}
    allowed = {"d": places | {EXCLUDE}, "c": set(CATEGORY_LABELS) | {EXCLUDE}, "v": set(GROUPS)}
    maps: dict[str, dict[str, Any]] = {"d": {}, "c": {}, "v": {}}
    for (kind, _), pair in pairs.items():
        original, target = pair.get("v"), pair.get("t") or ""
        if original is None or target == "":
            continue  # left unmapped: its rows are tallied as unknown
        if target not in allowed[kind]:
            raise MappingError(f"{target!r} is not one of the offered choices")
        maps[kind][original] = None if target == EXCLUDE else target
    mapping: dict[str, Any] = {"date": columns["date"], "category": columns["category"],
                               "district": columns["district"], "categories": maps["c"],
                               "day_first": form.get("day_first") == "y"}
    mapping["districts"] = maps["d"]
    if "victim" in columns:
        mapping["victim"] = columns["victim"]
        mapping["victim_groups"] = {k: v for k, v in maps["v"].items() if v != "unknown"}
    return mapping, period

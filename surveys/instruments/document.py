"""The instrument as an editable document: the YAML-equivalent dict, and back to YAML text.

The questionnaire editor never validates on its own: it changes this dict, dumps it with
:func:`dump` and hands the text to :func:`surveys.instruments.parse_instrument`, the loader
every file goes through, so a page accepts exactly what a file would. Pure Python (PyYAML).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterator
from typing import cast

import yaml

from .errors import InstrumentError
from .yaml_lines import load_with_lines

# Where an item sits in the document: ("blocks", b, "items", i) or, for a grid row, with ("rows", r).
ItemPath = tuple


def load(text: str, source_name: str = "<instrument>") -> dict:
    """The document behind valid or invalid YAML text (a mapping), else InstrumentError."""
    data, _lines, problems = load_with_lines(text)
    if not isinstance(data, dict):
        raise InstrumentError(source_name, problems or [])
    return data


def dump(data: dict) -> str:
    """YAML text for the document: keys in their order, every language written as itself."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)


def empty_document(default: dict, languages: list[str], key: str) -> dict:
    """The smallest valid instrument: the default's page texts and its one required item.

    An instrument needs one block with one item and the ``immigrant`` flag (schema), so "empty"
    keeps the default's ``born_abroad`` question (with its option set) and page texts, in the
    chosen languages; everything else is added in the editor.
    """
    def only(translated: dict) -> dict:
        return {lang: text for lang, text in translated.items() if lang in languages}

    flag = default["flags"]["immigrant"]
    item = copy.deepcopy(next(i for _b, _p, i in walk_items(default) if i.get("id") == flag["item"]))
    item = cast(dict, localise(item, only))
    sets = {}
    if isinstance(item.get("options"), str):
        sets[item["options"]] = localise(copy.deepcopy(default["option_sets"][item["options"]]), only)
    return {
        "id": key,
        "version": "0.1",
        "title": {lang: "New questionnaire" for lang in languages},
        "languages": [dict(lang) for lang in default["languages"] if lang["code"] in languages],
        "default_language": languages[0],
        "texts": {name: only(text) for name, text in default["texts"].items()},
        **({"option_sets": sets} if sets else {}),
        "blocks": [{"id": "about_you", "title": {lang: "About you" for lang in languages}, "items": [item]}],
        "flags": {"immigrant": dict(flag)},
    }


def localise(node: object, only: Callable[[dict[str, str]], object]) -> object:
    """``node`` with every translated mapping (keys that look like language codes) passed to ``only``."""
    if isinstance(node, dict):
        if node and all(isinstance(k, str) and 2 <= len(k) <= 8 and isinstance(v, str) for k, v in node.items()) \
                and not {"id", "type", "item", "source"} & set(node):
            return only(node)
        return {k: localise(v, only) for k, v in node.items()}
    if isinstance(node, list):
        return [localise(v, only) for v in node]
    return node


def walk_items(data: dict) -> Iterator[tuple[int, ItemPath, dict]]:
    """Every item entry (grids as one entry) with its block index and path."""
    for b, block in enumerate(data.get("blocks") or []):
        for i, item in enumerate(block.get("items") or []):
            yield b, ("blocks", b, "items", i), item


def find_item(data: dict, item_id: str) -> tuple[ItemPath, dict] | None:
    """An item entry (or a grid) by id."""
    for _b, path, item in walk_items(data):
        if item.get("id") == item_id:
            return path, item
    return None


def item_ids(data: dict, types: Collection[str] | None = None) -> list[str]:
    """Every answerable item id in order (grid rows in place of their grid); with ``types``, only
    those of these item types (a grid's rows count as type ``grid``), e.g. what a scale can list."""
    out: list[str] = []
    for _b, _path, item in walk_items(data):
        if types is not None and item.get("type") not in types:
            continue
        rows = item.get("rows") if item.get("type") == "grid" else None
        out.extend(str(r.get("id")) for r in rows) if rows else out.append(str(item.get("id")))
    return out


def next_version(version: str, taken: set[str]) -> str:
    """The next free version after ``version``: its last number plus one ("1.1.0" -> "1.1.1")."""
    parts = version.split(".")
    head, last = parts[:-1], parts[-1]
    digits = "".join(ch for ch in last if ch.isdigit())
    number = int(digits) if digits and last.isdigit() else 0
    base = parts if not last.isdigit() else head
    while True:
        number += 1
        candidate = ".".join([*base, str(number)])
        if candidate not in taken and len(candidate) <= 40:
            return candidate

"""Semantic checks the JSON Schema cannot express.

They run even when the schema found problems, so that one load reports everything; each
check therefore looks before it leaps and passes over parts the schema already rejected.

Past 300 lines on purpose: every check beyond the schema lives on one ``Checker``, so a
new rule goes next to the rules it interacts with (ids, options, conditions, scales).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Problem
from .locate import Locator

CHOICE_TYPES = ("single", "likert", "grid", "multiple")
NUMERIC_TYPES = ("likert", "grid", "scale", "number")  # have a range; may form scales (answers.numeric scores them)
LIKERT_POINTS = (4, 5, 7)
SCALE_DEFAULT = (0, 10)
# keys that only make sense for some item types
_ONLY_FOR = {
    "options": CHOICE_TYPES,
    "rows": ("grid",),
    "randomize": ("grid",),
    "max_length": ("text",),
    "min": ("number", "scale"),
    "max": ("number", "scale"),
    "anchors": ("scale",),
    "reverse": ("likert", "scale", "number"),  # grid rows carry their own
}


@dataclass
class ItemInfo:
    """What the cross-reference checks need to know about one answerable item."""

    type: str
    path: tuple
    block: int
    codes: set[int] = field(default_factory=set)  # every option code, missing ones included
    missing: set[int] = field(default_factory=set)
    low: float | None = None
    high: float | None = None


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _code(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Checker:
    def __init__(self, data: dict, where: Locator):
        self.data = data
        self.where = where
        self.problems: list[Problem] = []
        self.languages = [
            lang["code"] for lang in _list(data.get("languages")) if isinstance(_dict(lang).get("code"), str)
        ]
        self.items: dict[str, ItemInfo] = {}
        self.grids: dict[str, tuple] = {}

    def add(self, path: tuple, message: str) -> None:
        self.problems.append(self.where.problem(path, message))

    def run(self) -> list[Problem]:
        self.check_languages()
        self.translated(("title",), self.data.get("title"))
        for key, text in _dict(self.data.get("texts")).items():
            self.translated(("texts", key), text)
        for name, options in _dict(self.data.get("option_sets")).items():
            self.options_ok(("option_sets", name), options)
        self.check_blocks()
        self.check_scales()
        for name, condition in _dict(self.data.get("flags")).items():
            self.condition(("flags", name), condition, before=None)
        return self.problems

    # --- languages and translations -------------------------------------------------
    def check_languages(self) -> None:
        seen: set[object] = set()
        for i, lang in enumerate(_list(self.data.get("languages"))):
            code = _dict(lang).get("code")
            if isinstance(code, str) and code in seen:
                self.add(("languages", i, "code"), f"language '{code}' is declared twice")
            seen.add(code)
        default = self.data.get("default_language")
        if isinstance(default, str) and self.languages and default not in self.languages:
            self.add(("default_language",), f"default language '{default}' is not among the declared languages")

    def translated(self, path: tuple, value: object) -> None:
        if not isinstance(value, dict) or not self.languages:
            return
        for lang in self.languages:
            if lang not in value:
                self.add(path, f"missing the '{lang}' translation")
            elif isinstance(value[lang], str) and not value[lang].strip():
                self.add(path + (lang,), f"the '{lang}' translation is blank")
        for lang in value:
            if lang not in self.languages:
                self.add(path + (lang,), f"text in '{lang}', which is not a declared language")

    # --- options ----------------------------------------------------------------------
    def options_ok(self, path: tuple, options: object) -> None:
        seen: set[int | None] = set()
        for i, option in enumerate(_list(options)):
            option = _dict(option)
            self.translated(path + (i, "label"), option.get("label"))
            code = _code(option.get("code"))
            if code is not None and code in seen:
                self.add(path + (i, "code"), f"option code {code} is used twice")
            seen.add(code)

    def resolve_options(self, path: tuple, options: object) -> list:
        if isinstance(options, str):
            sets = _dict(self.data.get("option_sets"))
            if options not in sets:
                known = ", ".join(sorted(sets)) or "none defined"
                self.add(path, f"unknown option set '{options}' (known: {known})")
            return _list(sets.get(options))
        self.options_ok(path, options)
        return _list(options)

    # --- blocks and items -------------------------------------------------------------
    def check_blocks(self) -> None:
        blocks = _list(self.data.get("blocks"))
        block_ids: dict[str, tuple] = {}
        for b, block in enumerate(blocks):
            block = _dict(block)
            path = ("blocks", b)
            self.unique(block.get("id"), path, block_ids, "block")
            self.translated(path + ("title",), block.get("title"))
            self.translated(path + ("intro",), block.get("intro"))
            for i, item in enumerate(_list(block.get("items"))):
                self.check_item(path + ("items", i), _dict(item), b, block.get("randomize") is True)

    def unique(self, ident: object, path: tuple, seen: dict[str, tuple], what: str) -> None:
        if not isinstance(ident, str):
            return
        if ident in seen:
            first = self.where.line(seen[ident])
            self.add(path + ("id",), f"duplicate {what} id '{ident}' (first used on line {first})")
        else:
            seen[ident] = path

    def check_item(self, path: tuple, item: dict, block: int, randomized: bool) -> None:
        kind = item.get("type")
        for key in item:
            if key in _ONLY_FOR and isinstance(kind, str) and kind not in _ONLY_FOR[key]:
                self.add(
                    path + (key,), f"'{key}' does not apply to a {kind} item (only to: {', '.join(_ONLY_FOR[key])})"
                )
        for key in ("text", "help"):
            self.translated(path + (key,), item.get(key))
        for end in ("low", "high"):
            self.translated(path + ("anchors", end), _dict(item.get("anchors")).get(end))
        if "show_if" in item:
            self.condition(path + ("show_if",), item["show_if"], before=(block, randomized))
        info = ItemInfo(str(kind), path, block)
        if kind in CHOICE_TYPES and "options" in item:
            self.choice_codes(
                path + ("options",), kind, self.resolve_options(path + ("options",), item["options"]), info
            )
        elif kind in ("scale", "number"):
            self.numeric_range(path, item, info)
        if kind != "grid":
            self.register(item.get("id"), path, info)
            return
        self.register(item.get("id"), path, None)
        for r, row in enumerate(_list(item.get("rows"))):
            row = _dict(row)
            for key in ("text", "help"):
                self.translated(path + ("rows", r, key), row.get(key))
            row_info = ItemInfo("grid", path + ("rows", r), block, info.codes, info.missing, info.low, info.high)
            self.register(row.get("id"), path + ("rows", r), row_info)

    def register(self, ident: object, path: tuple, info: ItemInfo | None) -> None:
        if not isinstance(ident, str):
            return
        if ident in self.items or ident in self.grids:
            first = self.items[ident].path if ident in self.items else self.grids[ident]
            self.add(path + ("id",), f"duplicate item id '{ident}' (first used on line {self.where.line(first)})")
        elif info is None:
            self.grids[ident] = path
        else:
            self.items[ident] = info

    def choice_codes(self, path: tuple, kind: str, options: list, info: ItemInfo) -> None:
        for option in options:
            option = _dict(option)
            code = _code(option.get("code"))
            if code is None:
                continue
            info.codes.add(code)
            if option.get("missing") is True:
                info.missing.add(code)
            if option.get("exclusive") is True and kind != "multiple":
                self.add(path, f"option {code} is marked 'exclusive', which only applies to multiple-choice items")
        substantive = sorted(info.codes - info.missing)
        if kind in ("likert", "grid") and substantive:
            if len(substantive) not in LIKERT_POINTS or substantive[-1] - substantive[0] != len(substantive) - 1:
                self.add(
                    path,
                    f"a {kind} item needs 4, 5 or 7 answer options with consecutive codes "
                    f"(not counting 'missing: true' options); got codes {substantive}",
                )
            info.low, info.high = substantive[0], substantive[-1]
        if kind == "multiple" and len(info.missing) > 0 and len(substantive) == 0:
            self.add(path, "a multiple-choice item needs at least one option that is not 'missing: true'")

    def numeric_range(self, path: tuple, item: dict, info: ItemInfo) -> None:
        low, high = item.get("min"), item.get("max")
        if item.get("type") == "scale":
            low = SCALE_DEFAULT[0] if low is None else low
            high = SCALE_DEFAULT[1] if high is None else high
            if not (_code(low) is not None and _code(high) is not None and 2 <= high - low <= 20):
                self.add(
                    path, f"a scale item needs whole-number min and max, 2 to 20 points apart (got {low} and {high})"
                )
                return
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and not isinstance(low, bool):
            if low >= high:
                self.add(path + ("min",), f"min ({low}) must be smaller than max ({high})")
            else:
                info.low, info.high = low, high

    # --- cross references -------------------------------------------------------------
    def condition(self, path: tuple, condition: object, before: tuple | None) -> None:
        """A show_if (before = (its block's index, whether that block is randomized)) or a flag (None).

        Items register as they are checked, so for a show_if only earlier items are known.
        """
        target_id = _dict(condition).get("item")
        if not isinstance(target_id, str):
            return
        target = self.items.get(target_id)
        if target is None:
            if target_id in self.grids:
                self.add(path + ("item",), f"'{target_id}' is a grid; refer to one of its rows")
            elif before is None or target_id not in self._all_ids():
                self.add(path + ("item",), f"refers to unknown item '{target_id}'")
            else:
                self.add(path + ("item",), f"refers to '{target_id}', which does not come earlier in the instrument")
            return
        if before is not None and target.block == before[0] and before[1]:
            self.add(
                path + ("item",), f"refers to '{target_id}' in the same randomized block, whose order is not fixed"
            )
        if target.type in ("text", "number"):
            self.add(path + ("item",), f"'{target_id}' is a {target.type} item; conditions need a choice or scale item")
            return
        if not target.codes and target.low is None:
            return  # its options are broken, which is reported where they are
        for i, code in enumerate(_list(_dict(condition).get("in"))):
            code = _code(code)
            if code is None:
                continue
            exists = (
                code in target.codes if target.codes
                else (target.low is not None and target.high is not None and target.low <= code <= target.high)
            )
            if not exists:
                known = sorted(target.codes) if target.codes else f"{target.low}..{target.high}"
                self.add(path + ("in", i), f"code {code} is not an answer option of '{target_id}' (codes: {known})")
            elif before is None and code in target.missing:
                self.add(
                    path + ("in", i),
                    f"code {code} of '{target_id}' is a 'missing: true' option; "
                    "a flag is unknown (None) for it, not true",
                )

    def _all_ids(self) -> set[str]:
        """Every item id in the document, also the ones that come later than the current item."""
        ids: set[str] = set()
        for block in _list(self.data.get("blocks")):
            for item in _list(_dict(block).get("items")):
                candidates = [_dict(item).get("id"), *(_dict(row).get("id") for row in _list(_dict(item).get("rows")))]
                # A malformed id (a list, a mapping) is reported by the schema check; it is no item id here.
                ids.update(c for c in candidates if isinstance(c, str))
        return ids

    def check_scales(self) -> None:
        for name, scale in _dict(self.data.get("scales")).items():
            path = ("scales", name)
            scale = _dict(scale)
            self.translated(path + ("label",), scale.get("label"))
            if name in self.items or name in self.grids:
                self.add(path, f"scale id '{name}' is also an item id; scale scores and items share one table")
            members = _list(scale.get("items"))
            ranges: dict[tuple, str] = {}
            for i, item_id in enumerate(members):
                info = self.items.get(item_id) if isinstance(item_id, str) else None
                if not isinstance(item_id, str):
                    continue
                if item_id in members[:i]:
                    self.add(path + ("items", i), f"item '{item_id}' is listed twice")
                elif info is None:
                    hint = "; list its rows instead" if item_id in self.grids else ""
                    self.add(path + ("items", i), f"unknown item '{item_id}'{hint}")
                elif info.type not in NUMERIC_TYPES:
                    self.add(
                        path + ("items", i),
                        f"item '{item_id}' is a {info.type} item; scales need likert, grid, scale or number items",
                    )
                elif info.low is not None:
                    ranges.setdefault((info.low, info.high), item_id)
            if len(ranges) > 1:
                described = "; ".join(f"{low}..{high} ({first} …)" for (low, high), first in ranges.items())
                self.add(path + ("items",), f"items must share one code range; found {described}")
            min_items = _code(scale.get("min_items"))
            if min_items is not None and members and min_items > len(members):
                self.add(path + ("min_items",), f"min_items ({min_items}) is more than the {len(members)} items listed")
        for name in _dict(self.data.get("flags")):
            if name in self.items or name in _dict(self.data.get("scales")):
                self.add(("flags", name), f"flag id '{name}' is also an item or scale id")


def semantic_problems(data: object, where: Locator) -> list[Problem]:
    if not isinstance(data, dict):
        return []
    return Checker(data, where).run()

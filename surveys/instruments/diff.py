"""What changed between two versions of an instrument: wording per language, options, scales.

Compares two parsed instruments item by item (answerable items, grid rows included), so a
researcher sees exactly which answers are not comparable across waves fielded with the
two versions. Pure Python: used by the editor's diff page and the reports' version warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Instrument, Question

# Changes that make an item's answers not comparable as they stand (help text is not one).
SUBSTANTIVE = frozenset({"added", "removed", "type", "wording", "options", "range", "scale", "reverse", "show_if"})


@dataclass(frozen=True)
class Change:
    item: str  # an item id, or "scale:<id>" for a scale's own changes
    kind: str  # added | removed | type | wording | help | options | range | scale | reverse | show_if
    language: str | None
    before: str
    after: str


def _options(q: Question, language: str) -> str:
    return "; ".join(f"{o.code} = {o.label.get(language, '')}{' (missing)' if o.missing else ''}" for o in q.options)


def _item_changes(a: Question, b: Question, languages: list[str]) -> list[Change]:
    out: list[Change] = []
    if a.type != b.type:
        out.append(Change(a.id, "type", None, a.type, b.type))
    for lang in languages:
        before, after = a.text.get(lang, ""), b.text.get(lang, "")
        if before != after:
            out.append(Change(a.id, "wording", lang, before, after))
        help_a, help_b = (a.help or {}).get(lang, ""), (b.help or {}).get(lang, "")
        if help_a != help_b:
            out.append(Change(a.id, "help", lang, help_a, help_b))
    if [(o.code, o.missing, o.exclusive) for o in a.options] != [(o.code, o.missing, o.exclusive) for o in b.options]:
        out.append(Change(a.id, "options", None, _options(a, languages[0]), _options(b, languages[0])))
    else:
        for lang in languages:
            if [o.label.get(lang) for o in a.options] != [o.label.get(lang) for o in b.options]:
                out.append(Change(a.id, "options", lang, _options(a, lang), _options(b, lang)))
    if (a.low, a.high, a.max_length) != (b.low, b.high, b.max_length) and not a.options:
        out.append(Change(a.id, "range", None, f"{a.low}..{a.high}", f"{b.low}..{b.high}"))
    if a.reverse != b.reverse:
        out.append(Change(a.id, "reverse", None, str(a.reverse).lower(), str(b.reverse).lower()))
    cond_a = f"{a.show_if.item} in {list(a.show_if.codes)}" if a.show_if else "always shown"
    cond_b = f"{b.show_if.item} in {list(b.show_if.codes)}" if b.show_if else "always shown"
    if cond_a != cond_b:
        out.append(Change(a.id, "show_if", None, cond_a, cond_b))
    return out


def _memberships(inst: Instrument) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for scale in inst.scales.values():
        for item in scale.items:
            found.setdefault(item, []).append(scale.id)
    return found


def diff(a: Instrument, b: Instrument) -> list[Change]:
    """Every change from ``a`` to ``b`` in instrument order (``b``'s, then items only in ``a``)."""
    languages = [code for code in a.language_codes if code in b.language_codes] or list(b.language_codes)
    old = {q.id: q for q in a.questions()}
    new = {q.id: q for q in b.questions()}
    in_a, in_b = _memberships(a), _memberships(b)
    out: list[Change] = []
    for q in b.questions():
        if q.id not in old:
            out.append(Change(q.id, "added", None, "", q.text.get(languages[0], "")))
            continue
        out.extend(_item_changes(old[q.id], q, languages))
        if sorted(in_a.get(q.id, [])) != sorted(in_b.get(q.id, [])):
            out.append(Change(q.id, "scale", None, ", ".join(sorted(in_a.get(q.id, []))) or "none",
                              ", ".join(sorted(in_b.get(q.id, []))) or "none"))
    out.extend(Change(q.id, "removed", None, q.text.get(languages[0], ""), "")
               for q in a.questions() if q.id not in new)
    for name in sorted(set(a.scales) | set(b.scales)):
        sa, sb = a.scales.get(name), b.scales.get(name)
        before = f"{', '.join(sa.items)} (at least {sa.min_items})" if sa else "no such scale"
        after = f"{', '.join(sb.items)} (at least {sb.min_items})" if sb else "no such scale"
        if before != after:
            out.append(Change(f"scale:{name}", "scale", None, before, after))
    return out


def changed_items(a: Instrument, b: Instrument) -> list[str]:
    """The items whose answers the two versions collect differently (wording, options, scales...)."""
    seen: dict[str, None] = {}
    for change in diff(a, b):
        if change.kind in SUBSTANTIVE and not change.item.startswith("scale:"):
            seen[change.item] = None
    return list(seen)

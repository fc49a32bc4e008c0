"""Editor forms: the posted fields in, the YAML-equivalent document out; the loader's problems back.

Field names are paths inside the item (``text.es``, ``options[2].code``, ``show_if.in``), so
a problem the loader reports at ``blocks[1].items[3].text.es`` is shown beside the field
``text.es`` of that item's form. Nothing is checked here that the loader checks: a value
that cannot be read as a number is passed on as text and the loader says what is wrong.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import FileField, RadioField, SelectChoice, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ...instruments import Problem
from ...instruments.checks import CHOICE_TYPES
from ...instruments.locate import format_path

ITEM_TYPES = (("single", "Single choice"), ("likert", "Likert (4, 5 or 7 points)"), ("grid", "Grid of likert rows"),
              ("multiple", "Multiple choice"), ("scale", "Numeric scale (0–10 style)"), ("number", "Number"),
              ("text", "Free text"))
BLANK_ROWS = 2  # empty option and grid-row lines offered below the existing ones


class NewInstrumentForm(FlaskForm):
    key = StringField("Instrument id (lower-case letters, digits and dashes)",
                      validators=[DataRequired(), Length(max=64),
                                  Regexp(r"^[a-z][a-z0-9-]{0,63}$", message="Use lower-case letters, digits and "
                                         "dashes, starting with a letter.")])
    base = RadioField("Start from", default="default", choices=[
        SelectChoice("default", "The bundled Civic Trust questionnaire (every item, three languages)"),
        SelectChoice("empty", "An empty questionnaire (page texts and the one required item only)")])
    languages = SelectMultipleField("Languages (for an empty questionnaire; the first is the default)",
                                    default=["en"], option_widget=CheckboxInput(),
                                    widget=ListWidget(prefix_label=False))
    submit = SubmitField("Create draft")


class ImportForm(FlaskForm):
    file = FileField("Instrument file (YAML)")
    submit = SubmitField("Import")


def number(raw: str) -> int | float | str | None:
    """A whole number or a decimal; the text itself when it is neither (the loader reports it)."""
    raw = raw.strip()
    if not raw:
        return None
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def _translated(form: Mapping[str, str], name: str, languages: list[str]) -> dict[str, str]:
    return {lang: form.get(f"{name}.{lang}", "").strip() for lang in languages}


def _optional_translated(form: Mapping[str, str], name: str, languages: list[str]) -> dict[str, str] | None:
    value = _translated(form, name, languages)
    return value if any(value.values()) else None


def _count(form: Mapping[str, str], name: str) -> int:
    """How many option or row lines the form had (a bad or huge count reads as none / is capped)."""
    raw = str(form.get(name, "0")).strip()
    return min(int(raw), 500) if raw.isdigit() else 0


def _options(form: Mapping[str, str], languages: list[str]) -> list[dict]:
    out = []
    for n in range(_count(form, "option_count")):
        code = form.get(f"options[{n}].code", "").strip()
        label = _translated(form, f"options[{n}].label", languages)
        if not code and not any(label.values()):
            continue
        option: dict = {"code": number(code) if code else code, "label": label}
        for flag in ("missing", "exclusive"):
            if form.get(f"options[{n}].{flag}"):
                option[flag] = True
        out.append(option)
    return out


def _rows(form: Mapping[str, str], languages: list[str], old_rows: list[dict]) -> list[dict]:
    kept = {row.get("id"): row for row in old_rows if isinstance(row, dict)}
    out = []
    for n in range(_count(form, "row_count")):
        ident = form.get(f"rows[{n}].id", "").strip()
        text = _translated(form, f"rows[{n}].text", languages)
        if not ident and not any(text.values()):
            continue
        row = {key: value for key, value in kept.get(ident, {}).items() if key not in ("id", "text", "reverse")}
        row = {"id": ident, "text": text, **row}
        if form.get(f"rows[{n}].reverse"):
            row["reverse"] = True
        out.append(row)
    return out


def item_from_form(form: Mapping[str, str], languages: list[str], old: dict) -> dict:
    """The item entry the form describes; sections that do not apply to its type are left out."""
    kind = form.get("type", "").strip()
    item: dict = {"id": form.get("id", "").strip(), "type": kind, "text": _translated(form, "text", languages)}
    help_text = _optional_translated(form, "help", languages)
    if help_text:
        item["help"] = help_text
    item["source"] = form.get("source", "").strip()
    for flag in ("required", "reverse", "randomize", "quasi_identifier"):
        if form.get(flag):
            item[flag] = True
    if form.get("show_if.item", "").strip():
        codes = [number(c) for c in form.get("show_if.in", "").replace(";", ",").split(",") if c.strip()]
        item["show_if"] = {"item": form["show_if.item"].strip(), "in": codes}
    if kind in CHOICE_TYPES:
        chosen = form.get("option_set", "").strip()
        item["options"] = chosen or _options(form, languages)
    if kind == "grid":
        item["rows"] = _rows(form, languages, old.get("rows") or [])
    if kind in ("number", "scale"):
        for end in ("min", "max"):
            value = number(form.get(end, ""))
            if value is not None:
                item[end] = value
    if kind == "text":
        item["max_length"] = number(form.get("max_length", "")) or ""
    if kind == "scale":
        item["anchors"] = {end: _translated(form, f"anchors.{end}", languages) for end in ("low", "high")}
    return item


def block_from_form(form: Mapping[str, str], languages: list[str], old: dict) -> dict:
    block: dict = {"id": form.get("block.id", "").strip(), "title": _translated(form, "block.title", languages)}
    intro = _optional_translated(form, "block.intro", languages)
    if intro:
        block["intro"] = intro
    if form.get("block.randomize"):
        block["randomize"] = True
    block["items"] = old.get("items", [])
    return block


def errors_by_field(problems: list[Problem], prefix: tuple) -> tuple[dict[str, list[str]], list[str]]:
    """The loader's problems under ``prefix``, by field name (the path below it); the rest as a list."""
    base = format_path(prefix)
    fields: dict[str, list[str]] = {}
    elsewhere: list[str] = []
    for problem in problems:
        path = problem.path
        if base and (path == base or path.startswith(base + ".") or path.startswith(base + "[")):
            name = path[len(base):].lstrip(".")
            if not name and problem.message.startswith("missing required key '"):
                name = problem.message.split("'")[1]
            fields.setdefault(name, []).append(problem.message)
        else:
            elsewhere.append(str(problem) if not base else f"{path or 'file'}: {problem.message}")
    return fields, elsewhere

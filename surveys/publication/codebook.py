"""The codebook that travels with every row-level export: what each column means.

Built from the survey's stored instrument (the exact YAML it was fielded
with): item wording in every language, option codes and labels, scale
definitions (items, reverse-coded items, minimum answered), the source of each
item, and the instrument's id, version and SHA-256. The variable names are the
export's column names (``item_columns``), so the two always match.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..instruments import CORE_SCALES
from ..models import Survey
from ..studies.instrument_store import parsed_instrument

META_VARIABLES = [
    ("response_id", "Random identifier of the response (UUID4); carries no order and no link to an invite code."),
    ("wave", "Wave number."),
    ("wave_label", "Wave label."),
    ("jurisdiction", "Jurisdiction code."),
    ("jurisdiction_name", "Jurisdiction name."),
    ("language", "Language the respondent answered in."),
    ("instrument_version", "Instrument version answered."),
    ("submitted_on", "Submission date as stored (the day, or the Monday of the week); never a time."),
    ("immigrant", "Immigrant background (born abroad or a parent born abroad): 1 yes, 0 no, empty unknown."),
    ("flag_straightlining", "Data quality, at submission: 1 when every answered grid got one same answer."),
    ("flag_nonresponse", "Data quality, at submission: 1 when under 80% of the questions that applied were answered."),
]


def _translations(instrument: Any, texts: dict | None) -> dict[str, str]:
    if not texts:
        return {}
    return {code: instrument.text_for(texts, code) for code in instrument.language_codes}


def item_columns(instrument: Any) -> list[tuple[str, Any, int | None]]:
    """(column name, question, option code) for every item column, in instrument order.

    A multiple-choice item becomes one 0/1 column per option (``<item>_<code>``);
    every other item is one column.
    """
    columns: list[tuple[str, Any, int | None]] = []
    for question in instrument.questions():
        if question.type == "multiple":
            columns += [(f"{question.id}_{option.code}", question, option.code) for option in question.options]
        else:
            columns.append((question.id, question, None))
    return columns


def codebook(survey: Survey) -> dict:
    """The codebook as a JSON-ready dict."""
    instrument = parsed_instrument(survey.instrument)
    scale_of = {item: scale_id for scale_id, scale in instrument.scales.items() for item in scale.items}
    variables: list[dict] = [{"name": name, "kind": "design", "description": text} for name, text in META_VARIABLES]
    definitions = instrument.scale_definitions()
    for scale_id, scale in instrument.scales.items():
        variables.append({
            "name": scale_id if scale_id in CORE_SCALES else f"score_{scale_id}",
            "kind": "scale", "type": "number", "text": _translations(instrument, scale.label),
            "definition": definitions[scale_id],
        })
    for name, question, code in item_columns(instrument):
        entry: dict[str, Any] = {
            "name": name, "kind": "item", "question_id": question.id, "type": question.type,
            "text": _translations(instrument, question.text), "source": question.source,
            "scale": scale_of.get(question.id), "reverse": bool(question.reverse),
        }
        if code is not None:
            option = next(o for o in question.options if o.code == code)
            entry["type"] = "multiple (1 = chosen, 0 = not chosen)"
            entry["option"] = {"code": code, "label": _translations(instrument, option.label)}
        elif question.options:
            entry["options"] = [{"code": o.code, "label": _translations(instrument, o.label), "missing": o.missing}
                                for o in question.options]
        if question.low is not None:
            entry["range"] = [question.low, question.high]
        variables.append(entry)
    return {
        "instrument": {"id": instrument.id, "version": instrument.version, "sha256": survey.instrument.sha256,
                       "title": _translations(instrument, instrument.title)},
        "survey": {"slug": survey.slug, "title": survey.title, "date_granularity": survey.date_granularity},
        "languages": [{"code": lang.code, "name": lang.name, "reviewed": lang.reviewed}
                      for lang in instrument.languages],
        "scales": definitions,
        "variables": variables,
    }


def codebook_json(survey: Survey) -> str:
    return json.dumps(codebook(survey), ensure_ascii=False, indent=2)


def codebook_csv(survey: Survey) -> str:
    """One row per variable: wording and option labels per language in their own columns."""
    book = codebook(survey)
    languages = [lang["code"] for lang in book["languages"]]
    header = ["variable", "kind", "type", "scale", "reverse", "source", "definition"]
    header += [f"text_{code}" for code in languages] + [f"options_{code}" for code in languages]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for var in book["variables"]:
        definition = ""
        if var["kind"] == "design":
            definition = var["description"]
        elif var["kind"] == "scale":
            d = var["definition"]
            definition = (f"mean of {', '.join(d['items'])}; reverse-coded: {', '.join(d['reverse']) or 'none'}; "
                          f"at least {d['min_items']} answered; range {d['low']}-{d['high']}")
        row = [var["name"], var["kind"], var.get("type", ""), var.get("scale") or "",
               "yes" if var.get("reverse") else "", var.get("source", ""), definition]
        row += [var.get("text", {}).get(code, "") for code in languages]
        for code in languages:
            if "options" in var:
                row.append("; ".join(f"{o['code']}={o['label'].get(code, '')}" for o in var["options"]))
            elif "option" in var:
                row.append(f"{var['option']['code']}={var['option']['label'].get(code, '')}")
            else:
                row.append("")
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value

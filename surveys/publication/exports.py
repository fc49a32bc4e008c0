"""Writing export files: row-level data (CSV, Stata, SPSS, Parquet) and suppressed aggregate tables.

Row-level exports hold one row per response and one column per item, as the
codebook (``surveys.publication.codebook``) describes, and nothing that could re-identify
a respondent beyond their answers:

* rows are ordered by the random response id, never by insertion order;
* the only date is ``submitted_on`` exactly as stored (day or week start);
* there is no invite-code column (the database links none to a response);
* CSV text that a spreadsheet would run as a formula (``= + - @``, tab, CR)
  starts with an apostrophe.

Aggregate exports are :func:`surveys.publication.aggregates.aggregate` tables, already
suppressed; suppressed figures are empty cells with ``suppressed`` true.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select

from ..extensions import db
from ..instruments import CORE_SCALES
from ..models import Answer, Response, Survey
from ..studies.instrument_store import parsed_instrument
from .aggregates import AggregateTable
from .codebook import META_VARIABLES, item_columns, neutralise

STATA_LABEL_MAX = 80


@dataclass(frozen=True)
class ExportFile:
    """An export ready to send: bytes, a file name and a media type."""

    content: bytes
    filename: str
    mimetype: str
    rows: int


def _responses(survey: Survey) -> pd.DataFrame:
    columns = [Response.id, Response.wave_id, Response.jurisdiction_id, Response.language,
               Response.instrument_version, Response.submitted_on, Response.immigrant,
               Response.flag_straightlining, Response.flag_nonresponse,
               *[getattr(Response, s) for s in CORE_SCALES], Response.scores]
    rows = db.session.execute(select(*columns).where(Response.survey_id == survey.id)).all()
    frame = pd.DataFrame(rows, columns=[c.key for c in columns])
    frame["id"] = frame["id"].astype(str)
    return frame


def _answers(survey: Survey) -> pd.DataFrame:
    statement = (select(Answer.response_id, Answer.item_id, Answer.code, Answer.number, Answer.text)
                 .join(Response, Response.id == Answer.response_id).where(Response.survey_id == survey.id))
    frame = pd.DataFrame(db.session.execute(statement).all(),
                         columns=["response_id", "item_id", "code", "number", "text"])
    frame["response_id"] = frame["response_id"].astype(str)
    return frame


def response_frame(survey: Survey) -> pd.DataFrame:
    """One row per response, ordered by its random id; columns as in the codebook."""
    instrument = parsed_instrument(survey.instrument)
    responses = _responses(survey)
    waves = {w.id: w for w in survey.waves}
    places = {j.id: j for j in survey.jurisdictions}
    out = pd.DataFrame({
        "response_id": responses["id"],
        "wave": [waves[w].number for w in responses["wave_id"]],
        "wave_label": [waves[w].label for w in responses["wave_id"]],
        "jurisdiction": [places[j].code for j in responses["jurisdiction_id"]],
        "jurisdiction_name": [places[j].name for j in responses["jurisdiction_id"]],
        "language": responses["language"],
        "instrument_version": responses["instrument_version"],
        "submitted_on": responses["submitted_on"],
        "immigrant": responses["immigrant"].map({True: 1.0, False: 0.0}).astype(float),
        "flag_straightlining": responses["flag_straightlining"].astype(bool).astype(int),
        "flag_nonresponse": responses["flag_nonresponse"].astype(bool).astype(int),
    })
    for scale_id in instrument.scales:
        if scale_id in CORE_SCALES:
            out[scale_id] = responses[scale_id].astype(float)
        else:
            out[f"score_{scale_id}"] = [float(s.get(scale_id)) if s and s.get(scale_id) is not None else np.nan
                                        for s in responses["scores"]]
    out = pd.concat([out, _item_frame(instrument, survey, out["response_id"])], axis=1)
    return out.sort_values("response_id", kind="stable").reset_index(drop=True)


def _item_frame(instrument, survey: Survey, ids: pd.Series) -> pd.DataFrame:
    answers = _answers(survey)
    index = pd.Index(ids, name="response_id")
    columns: dict[str, pd.Series] = {}
    grouped = {item: part for item, part in answers.groupby("item_id", sort=False)}
    for name, question, code in item_columns(instrument):
        part = grouped.get(question.id)
        if part is None or part.empty:
            columns[name] = pd.Series(np.nan if question.type != "text" else None, index=index,
                                      dtype=object if question.type == "text" else float)
            continue
        if code is not None:  # one 0/1 column per option; NaN where the item was not answered
            answered = pd.Index(part["response_id"].unique())
            chosen = pd.Index(part.loc[part["code"] == code, "response_id"].unique())
            values = pd.Series(np.nan, index=index)
            values[index.isin(answered)] = 0.0
            values[index.isin(chosen)] = 1.0
            columns[name] = values
        elif question.type == "text":
            columns[name] = part.set_index("response_id")["text"].reindex(index).astype(object)
        elif question.type == "number":
            columns[name] = part.set_index("response_id")["number"].reindex(index).astype(float)
        else:
            columns[name] = part.set_index("response_id")["code"].reindex(index).astype(float)
    frame = pd.DataFrame(columns, index=index)
    return frame.reset_index(drop=True)


def _labels(survey: Survey, frame: pd.DataFrame) -> tuple[dict[str, str], dict[str, dict]]:
    """Variable labels (default-language wording) and value labels (option codes) for Stata/SPSS."""
    instrument = parsed_instrument(survey.instrument)
    language = instrument.default_language
    variable = {name: text for name, text in META_VARIABLES}
    values: dict[str, dict] = {"immigrant": {0: "no", 1: "yes"}}
    for scale_id, scale in instrument.scales.items():
        name = scale_id if scale_id in CORE_SCALES else f"score_{scale_id}"
        variable[name] = f"Scale score: {instrument.text_for(scale.label, language)}"
    for name, question, code in item_columns(instrument):
        text = instrument.text_for(question.text, language)
        if code is not None:
            option = next(o for o in question.options if o.code == code)
            text = f"{text} [{instrument.text_for(option.label, language)}]"
            values[name] = {0: "not chosen", 1: "chosen"}
        elif question.options:
            values[name] = {o.code: instrument.text_for(o.label, language) for o in question.options}
        variable[name] = text
    variable = {k: v for k, v in variable.items() if k in frame.columns}
    return variable, {k: v for k, v in values.items() if k in frame.columns}


def _short(labels: dict[str, str], limit: int) -> dict[str, str | None]:
    return {k: (v if len(v) <= limit else v[: limit - 1] + "…") for k, v in labels.items()}


def _text_filled(frame: pd.DataFrame) -> pd.DataFrame:
    """Stata and SPSS want one type per column: missing text becomes an empty string."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and column != "submitted_on":
            out[column] = out[column].fillna("").astype(str)
    return out


def _via_file(writer: Callable[[str], None], suffix: str) -> bytes:
    handle, path = tempfile.mkstemp(suffix=suffix)
    os.close(handle)
    try:
        writer(path)
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def write_csv(frame: pd.DataFrame) -> bytes:
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or str(safe[column].dtype) in ("str", "string"):
            safe[column] = safe[column].map(neutralise)
    return safe.to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_dta(frame: pd.DataFrame, survey: Survey) -> bytes:
    import pyreadstat

    variable, values = _labels(survey, frame)
    data = _text_filled(frame)
    return _via_file(lambda p: pyreadstat.write_dta(
        data, p, column_labels=_short(variable, STATA_LABEL_MAX), variable_value_labels=values, version=15), ".dta")


def write_sav(frame: pd.DataFrame, survey: Survey) -> bytes:
    import pyreadstat

    variable, values = _labels(survey, frame)
    data = _text_filled(frame)
    return _via_file(lambda p: pyreadstat.write_sav(
        data, p, column_labels=_short(variable, 250), variable_value_labels=values), ".sav")


def write_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


ROW_FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "dta": ("application/x-stata-dta", "dta"),
    "sav": ("application/x-spss-sav", "sav"),
    "parquet": ("application/vnd.apache.parquet", "parquet"),
}


def export_responses(survey: Survey, fmt: str, frame: pd.DataFrame | None = None,
                     suffix: str = "responses") -> ExportFile:
    """The survey's responses (or ``frame``, e.g. safe microdata) in ``fmt`` (csv, dta, sav, parquet)."""
    if fmt not in ROW_FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: choose {', '.join(ROW_FORMATS)}.")
    if frame is None:
        frame = response_frame(survey)
    if fmt == "csv":
        content = write_csv(frame)
    elif fmt == "dta":
        content = write_dta(frame, survey)
    elif fmt == "sav":
        content = write_sav(frame, survey)
    else:
        content = write_parquet(frame)
    mimetype, extension = ROW_FORMATS[fmt]
    return ExportFile(content, f"{survey.slug}-{suffix}.{extension}", mimetype, len(frame))


def aggregate_csv(table: AggregateTable) -> bytes:
    frame = table.frame.copy()
    for dimension in table.by:
        frame[dimension] = frame[dimension].map(lambda v: "all" if v is None else v)
    frame["n"] = frame["n"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    return write_csv(frame)


def aggregate_json(table: AggregateTable, survey: Survey, fieldwork: list[dict] | None = None) -> bytes:
    """The table as JSON; ``fieldwork``: perturbed progress of open waves (``publication.fieldwork``)."""
    body = {
        "survey": survey.slug, "by": list(table.by), "filters": table.filters.as_dict(),
        "min_cell_size": table.min_cell_size, "suppressed_cells": table.suppressed_cells,
        "rows": table.records(), "release": table.release,
    }
    if fieldwork is not None:
        body["fieldwork"] = fieldwork
    return json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")

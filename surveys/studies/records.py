"""Police records for a survey: import a city's CSV as counts, read the counts back.

The web pages and the ``flask records-import`` command share this service.
The file is read by ``analysis.records.import_records`` (streamed in blocks,
aggregated on the spot); what is stored is the ``RecordImport`` (fingerprints,
mapping, the tally of rows by reason, the most frequent unmapped values) and
its ``RecordCount`` rows. No incident row is ever stored: open-data exports
can hold addresses.

A re-upload is refused twice over: the bytes' SHA-256 is checked before the
file is read (the cheap case), and the importer compares the rows fingerprint
(the same incidents in another order or with other columns).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import insert, select

from analysis.errors import DuplicateUpload
from analysis.incidents import OFFENCE_SPELLINGS, VICTIM_SPELLINGS
from analysis.offences import BENCHMARK, CATEGORY_LABELS, FOCUS_GROUP, SENSITIVE
from analysis.records import RecordsMapping, file_sha256, import_records

from ..accounts.audit import record
from ..extensions import db
from ..models import RecordCount, RecordImport, Researcher, Survey

PERIODS = {"month": "Month", "week": "Week (Monday start)", "wave": "Survey wave"}
GROUPS = {FOCUS_GROUP: "Hispanic or Latino", "other": "Other", "unknown": "Not recorded"}
EXCLUDE = "-"  # form value of "do not count this offence type / district"
__all__ = ["EXCLUDE", "GROUPS", "PERIODS", "ImportedRecords", "category_choices", "import_for_survey",
           "known_fingerprints", "period_spec", "survey_counts", "survey_imports", "wave_label"]


def category_choices() -> list[tuple[str, str]]:
    """Categories a researcher can map offence types to, saying which set each belongs to."""
    def role(code: str) -> str:
        return "reporting-sensitive" if code in SENSITIVE else "benchmark" if code in BENCHMARK else ""
    return [(code, f"{label} ({role(code)})") for code, label in CATEGORY_LABELS.items()]


def wave_label(number: int) -> str:
    return f"wave-{number:02d}"


def period_spec(survey: Survey, period: str) -> str | list[list[str]]:
    """The importer's period argument: ``week``/``month``, or the survey's waves as custom periods."""
    if period == "wave":
        if not survey.waves:
            raise ValueError("the survey has no waves to count by")
        return [[wave_label(w.number), w.opens_on.isoformat(), w.closes_on.isoformat()] for w in survey.waves]
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    return period


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def guess_place(survey: Survey, value: str) -> str:
    """A jurisdiction code whose code or name the district value spells, else ''."""
    text = _norm(value)
    words = set(re.split(r"[^0-9a-z]+", text))
    for j in survey.jurisdictions:
        if text in (_norm(j.code), _norm(j.name)) or _norm(j.code) in words or _norm(j.name) in text:
            return j.code
    return ""


_CATEGORY_SPELLINGS = {_norm(s): c for c, spellings in OFFENCE_SPELLINGS.items() for s in spellings}
_GROUP_SPELLINGS = {_norm(s): g for g, spellings in VICTIM_SPELLINGS.items() for s in spellings}


def guess_category(value: str) -> str:
    return _CATEGORY_SPELLINGS.get(_norm(value), "")


def guess_group(value: str) -> str:
    return _GROUP_SPELLINGS.get(_norm(value), "unknown")


@dataclass(frozen=True)
class ImportedRecords:
    """The stored import and the importer's result (for the summary sentence and hints)."""

    row: RecordImport
    summary: str
    hints: tuple[str, ...]


def known_fingerprints(survey: Survey) -> set[str]:
    """Content hashes and rows fingerprints of the survey's imports."""
    rows = db.session.execute(
        select(RecordImport.content_hash, RecordImport.rows_fingerprint).where(RecordImport.survey_id == survey.id)
    )
    return {value for pair in rows for value in pair}


def import_for_survey(
    survey: Survey,
    path: str | Path,
    mapping: Mapping[str, Any],
    *,
    period: str,
    filename: str,
    actor: Researcher | None,
) -> ImportedRecords:
    """Import ``path`` under ``mapping`` for ``survey``; store counts only; audit it.

    Raises ``DuplicateUpload`` for a file (or the same incidents) seen before,
    ``analysis.errors.AnalysisError`` / ``ValueError`` for a mapping or file
    the importer cannot use (their messages are for the researcher).
    """
    codes = {j.code for j in survey.jurisdictions}
    unknown_places = sorted({str(v) for v in mapping.get("districts", {}).values() if v is not None} - codes)
    if unknown_places:
        raise ValueError(f"districts mapped to places the survey does not have: {', '.join(unknown_places)}")
    known = known_fingerprints(survey)
    digest = file_sha256(str(path))
    if digest in known:
        raise DuplicateUpload("this file was imported for this survey before (same SHA-256); nothing was stored")
    spec = RecordsMapping.from_dict({**mapping, "period": period_spec(survey, period)})
    try:
        result = import_records(str(path), spec, known_fingerprints=known)
    except DuplicateUpload as exc:
        raise DuplicateUpload(f"{exc}; nothing was stored") from None
    row = RecordImport(
        survey_id=survey.id,
        researcher_id=actor.id if actor is not None else None,
        filename=Path(filename).name[:200],
        content_hash=result.content_hash,
        rows_fingerprint=result.rows_fingerprint,
        period=period,
        n_rows=result.n_rows,
        n_counted=result.n_counted,
        mapping=spec.to_dict(),
        tally={r.reason: int(r.rows) for r in result.tally.itertuples() if r.rows},
        unmapped={reason: [[str(v), int(n)] for v, n in zip(frame["value"], frame["rows"], strict=True)]
                  for reason, frame in result.unmapped.items() if len(frame)},
        summary=result.summary_sentence(),
    )
    db.session.add(row)
    db.session.flush()
    counts = result.counts
    cells = [{"import_id": row.id, "place": str(p), "period": str(t), "victim_group": str(g), "category": str(c),
              "count": int(n)}
             for p, t, g, c, n in zip(counts["place"], counts["period"], counts["group"], counts["category"],
                                      counts["count"], strict=True)]
    if cells:
        db.session.execute(insert(RecordCount), cells)
    record(
        "records.import",
        actor=actor,
        organisation_id=survey.organisation_id,
        target=f"survey:{survey.id}",
        parameters={"import_id": row.id, "period": period, "rows": result.n_rows, "counted": result.n_counted,
                    "content_hash": result.content_hash},
    )
    db.session.commit()
    return ImportedRecords(row=row, summary=row.summary, hints=tuple(result.hints))


def survey_imports(survey: Survey) -> list[RecordImport]:
    return list(db.session.scalars(
        select(RecordImport).where(RecordImport.survey_id == survey.id).order_by(RecordImport.id.desc())
    ))


def survey_counts(survey: Survey) -> tuple[pd.DataFrame, str | None]:
    """Counts of the imports sharing the latest import's period, summed: (``place, period, group,
    category, count``, period kind), or an empty frame and ``None`` when nothing was imported."""
    imports = survey_imports(survey)
    columns = ["place", "period", "group", "category", "count"]
    if not imports:
        return pd.DataFrame(columns=columns), None
    kind = imports[0].period
    ids = [i.id for i in imports if i.period == kind]
    rows = db.session.execute(
        select(RecordCount.place, RecordCount.period, RecordCount.victim_group, RecordCount.category,
               RecordCount.count).where(RecordCount.import_id.in_(ids))
    ).all()
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.groupby(columns[:4], as_index=False)["count"].sum()
    return frame, kind

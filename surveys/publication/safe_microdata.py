"""Safe microdata: the default row-level export, k-anonymous on its quasi-identifiers (issue 10).

Exact day + place + language alone made 71% of the demo's rows unique; with
age band, gender, born abroad and years in country, 97.5%. The default export
for analysts therefore:

* gives dates at wave level only (``submitted_on`` is dropped; ``wave`` stays);
* withholds free text (every ``text`` item's column is dropped);
* treats as quasi-identifiers the design columns ``wave``, ``jurisdiction``,
  ``language``, ``immigrant`` and every item the instrument marks
  ``quasi_identifier: true``, and locally suppresses them (sets them missing),
  least useful first, in the rows whose combination occurs fewer than ``k``
  times, until every combination occurs at least ``k`` times (``k`` is the
  survey's ``microdata_k``, default 5); rows still below ``k`` with every
  quasi-identifier suppressed are left out.

The achieved ``k``, the number of suppressed values and the share of unique
rows (before and after) are measured here and shown on the export page and in
the codebook. ``pycanon`` measures the same k but pins numpy < 2.1 and pandas
< 3, which this project cannot take, so k is measured with one ``groupby``
(the definition: the smallest equivalence class over the quasi-identifiers).
Restricted microdata (exact day, free text) is ``exports.response_frame`` and
needs an admin's grant (``publication.grants``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..models import Survey
from ..studies.instrument_store import parsed_instrument
from .codebook import item_columns
from .exports import response_frame

DEFAULT_K = 5
# Design columns that are quasi-identifiers; suppressed last (the analysis needs them most).
DESIGN_QUASI_IDENTIFIERS = ("wave", "jurisdiction", "language", "immigrant")
# Columns that merely restate another one, masked with it.
FOLLOWS = {"wave_label": "wave", "jurisdiction_name": "jurisdiction"}
WITHHELD = ("submitted_on",)


@dataclass(frozen=True)
class SafeMicrodata:
    """The safe rows and what protecting them cost."""

    frame: pd.DataFrame
    k: int
    achieved_k: int | None  # None: no rows
    quasi_identifiers: tuple[str, ...]
    suppressed_values: int
    dropped_rows: int
    unique_share_before: float
    unique_share_after: float
    withheld_columns: tuple[str, ...]

    def summary(self) -> dict:
        return {"k": self.k, "achieved_k": self.achieved_k, "quasi_identifiers": list(self.quasi_identifiers),
                "suppressed_values": self.suppressed_values, "dropped_rows": self.dropped_rows,
                "unique_share_before": round(self.unique_share_before, 4),
                "unique_share_after": round(self.unique_share_after, 4),
                "withheld_columns": list(self.withheld_columns)}


def microdata_k(survey: Survey) -> int:
    return int(getattr(survey, "microdata_k", None) or DEFAULT_K)


def class_sizes(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """For each row, how many rows share its quasi-identifier values (missing counts as a value)."""
    if frame.empty:
        return pd.Series([], dtype=int)
    keys = frame[columns].astype(object).where(frame[columns].notna(), "\x00missing")
    return keys.groupby(columns, dropna=False, sort=False)[columns[0]].transform("size").astype(int)


def quasi_identifier_columns(survey: Survey) -> tuple[list[str], list[str]]:
    """(quasi-identifier columns in suppression order, free-text columns)."""
    instrument = parsed_instrument(survey.instrument)
    items = [(name, question) for name, question, _ in item_columns(instrument)]
    marked = [name for name, question in items if question.quasi_identifier]
    text = [name for name, question in items if question.type == "text"]
    # Items first, the later (finer) ones first; then the design columns, wave last.
    return [*reversed(marked), *reversed(DESIGN_QUASI_IDENTIFIERS)], text


def _unique_share(frame: pd.DataFrame, columns: list[str]) -> float:
    if frame.empty:
        return 0.0
    return float((class_sizes(frame, columns) == 1).mean())


def safe_microdata(survey: Survey) -> SafeMicrodata:
    """The survey's responses as safe microdata (see the module docstring)."""
    k = microdata_k(survey)
    order, text = quasi_identifier_columns(survey)
    frame = response_frame(survey)
    withheld = tuple(c for c in (*WITHHELD, *text) if c in frame.columns)
    frame = frame.drop(columns=list(withheld))
    columns = [c for c in order if c in frame.columns]
    before = _unique_share(frame, columns)
    suppressed = 0
    for column in columns:
        sizes = class_sizes(frame, columns)
        small = (sizes < k).to_numpy()
        if not small.any():
            break
        hit = small & frame[column].notna().to_numpy()
        suppressed += int(hit.sum())
        frame[column] = frame[column].astype(object)
        frame.loc[hit, column] = np.nan
    sizes = class_sizes(frame, columns)
    keep = (sizes >= k).to_numpy() if len(frame) else np.zeros(0, dtype=bool)
    dropped = int((~keep).sum())
    frame = frame[keep].reset_index(drop=True)
    for follower, leader in FOLLOWS.items():
        if follower in frame.columns and leader in frame.columns:
            frame[follower] = frame[follower].where(frame[leader].notna())
    for column in columns:  # back to numbers where the column held numbers
        converted = pd.to_numeric(frame[column], errors="coerce")
        if converted.notna().sum() == frame[column].notna().sum():
            frame[column] = converted
    achieved = int(class_sizes(frame, columns).min()) if len(frame) else None
    return SafeMicrodata(frame=frame, k=k, achieved_k=achieved, quasi_identifiers=tuple(columns),
                         suppressed_values=suppressed, dropped_rows=dropped, unique_share_before=before,
                         unique_share_after=_unique_share(frame, columns), withheld_columns=withheld)

"""The cube behind every published count: its shape and the one GROUP BY that fills it.

``count_cells`` runs the one query (wave x jurisdiction x language x immigrant
background, with counts, sums and sums of squares of the stored scale scores
on the indexed ``response`` table) over the waves a release adds.
``surveys.publication.releases`` protects and freezes the result; a
``ProtectedCube`` is what a release holds, with every margin and its masks.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from flask import current_app
from sqlalchemy import Row, func, select

from ..extensions import db
from ..instruments import CORE_SCALES
from ..models import Response, Survey, Wave

MEASURES = CORE_SCALES  # the published measures are the instrument's core scales
IMMIGRANT_LEVELS = ("immigrant", "non_immigrant", "unknown")


@dataclass
class ProtectedCube:
    """Counts and score sums by wave x jurisdiction x language x immigrant, with margins and masks."""

    survey_id: int
    min_cell_size: int
    rows: int
    wave_numbers: tuple[int, ...]
    jurisdiction_codes: tuple[str, ...]
    languages: tuple[str, ...]
    counts: np.ndarray
    mask: np.ndarray
    measure_n: dict[str, np.ndarray] = field(default_factory=dict)
    measure_sum: dict[str, np.ndarray] = field(default_factory=dict)
    measure_sumsq: dict[str, np.ndarray] = field(default_factory=dict)
    measure_mask: dict[str, np.ndarray] = field(default_factory=dict)
    release: int | None = None  # the release number it was read from

    def categories(self, dimension: str) -> tuple:
        return {"wave": self.wave_numbers, "jurisdiction": self.jurisdiction_codes,
                "language": self.languages, "immigrant": IMMIGRANT_LEVELS}[dimension]


def response_count(survey_id: int) -> int:
    """The cheap change signal: responses only ever arrive (and rarely leave) whole."""
    return int(db.session.scalar(select(func.count()).select_from(Response).where(Response.survey_id == survey_id))
               or 0)


def _query_cells(survey_id: int, wave_ids: Sequence[int] | None = None) -> Sequence[Row]:
    columns = [Response.wave_id, Response.jurisdiction_id, Response.language, Response.immigrant]
    measures = []
    for name in MEASURES:
        col = getattr(Response, name)
        measures += [func.count(col), func.sum(col), func.sum(col * col)]
    statement = select(*columns, func.count(), *measures).where(Response.survey_id == survey_id)
    if wave_ids is not None:
        statement = statement.where(Response.wave_id.in_(list(wave_ids)))
    return db.session.execute(statement.group_by(*columns)).all()


@dataclass
class BaseCells:
    """Unprotected counts and score sums by wave x jurisdiction x language x immigrant (no margins)."""

    wave_numbers: tuple[int, ...]
    jurisdiction_codes: tuple[str, ...]
    languages: tuple[str, ...]
    counts: np.ndarray
    n: dict[str, np.ndarray]
    sums: dict[str, np.ndarray]
    sumsq: dict[str, np.ndarray]


def count_cells(survey: Survey, waves: Sequence[Wave]) -> BaseCells:
    """Run the one GROUP BY over ``waves`` of ``survey`` (model input; never shown as is)."""
    jurisdictions = list(survey.jurisdictions)
    wave_index = {w.id: i for i, w in enumerate(waves)}
    jurisdiction_index = {j.id: i for i, j in enumerate(jurisdictions)}
    cells = _query_cells(survey.id, [w.id for w in waves]) if waves else []
    languages = tuple(sorted({c[2] for c in cells}))
    language_index = {code: i for i, code in enumerate(languages)}
    shape = (len(waves), len(jurisdictions), len(languages), len(IMMIGRANT_LEVELS))
    counts = np.zeros(shape, dtype=np.int64)
    n = {m: np.zeros(shape, dtype=np.int64) for m in MEASURES}
    sums = {m: np.zeros(shape) for m in MEASURES}
    sumsq = {m: np.zeros(shape) for m in MEASURES}
    for cell in cells:
        wave_id, jurisdiction_id, language, immigrant = cell[:4]
        if wave_id not in wave_index or jurisdiction_id not in jurisdiction_index:
            continue  # a response pointing outside the survey's own waves: never shown
        where = (wave_index[wave_id], jurisdiction_index[jurisdiction_id], language_index[language],
                 0 if immigrant is True else 1 if immigrant is False else 2)
        counts[where] += int(cell[4])
        for i, name in enumerate(MEASURES):
            valid, total, squares = cell[5 + 3 * i: 8 + 3 * i]
            n[name][where] += int(valid or 0)
            sums[name][where] += float(total or 0.0)
            sumsq[name][where] += float(squares or 0.0)
    return BaseCells(tuple(w.number for w in waves), tuple(j.code for j in jurisdictions), languages,
                     counts, n, sums, sumsq)


def min_cell_size(survey: Survey) -> int:
    """The survey's ``k`` (``MIN_CELL_SIZE`` only for a survey stored without one)."""
    return int(survey.min_cell_size or current_app.config.get("MIN_CELL_SIZE", 10))


def cache_seconds() -> float:
    """How long cached estimates may live at all (``AGGREGATE_CACHE_SECONDS``)."""
    return float(current_app.config.get("AGGREGATE_CACHE_SECONDS", 300))


def recheck_seconds() -> float:
    """How long a survey's released cube is served before the latest release is looked up again."""
    return float(current_app.config.get("AGGREGATE_RECHECK_SECONDS", 30))

"""The protected cube behind every published count: one GROUP BY, suppressed, cached per survey.

``build_cube`` runs the one query (wave x jurisdiction x language x immigrant
background, with counts, sums and sums of squares of the stored scale scores
on the indexed ``response`` table), extends it by every margin and protects it
with :func:`surveys.suppression.protect`. ``protected_cube`` caches it per app
and survey with its ``min_cell_size``; it is rechecked against the survey's
response count (one ``count(*)``) at most every ``AGGREGATE_RECHECK_SECONDS``
(30 s; 0 in tests), and rebuilt after ``AGGREGATE_CACHE_SECONDS`` (300 s) in
any case, a backstop for deletions. Only ``surveys.aggregates`` reads it.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from .extensions import db
from .models import Response, Survey
from .suppression import extend_with_margins, protect

MEASURES = ("trust", "willingness", "fear", "involvement")
IMMIGRANT_LEVELS = ("immigrant", "non_immigrant", "unknown")
CACHE_SIZE = 16


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

    def categories(self, dimension: str) -> tuple:
        return {"wave": self.wave_numbers, "jurisdiction": self.jurisdiction_codes,
                "language": self.languages, "immigrant": IMMIGRANT_LEVELS}[dimension]


def _cache() -> tuple[OrderedDict, threading.Lock]:
    store = current_app.extensions.setdefault("cts_aggregate_cache", (OrderedDict(), threading.Lock()))
    return store


def response_count(survey_id: int) -> int:
    """The cheap change signal: responses only ever arrive (and rarely leave) whole."""
    return int(db.session.scalar(select(func.count()).select_from(Response).where(Response.survey_id == survey_id)))


def _query_cells(survey_id: int) -> list:
    columns = [Response.wave_id, Response.jurisdiction_id, Response.language, Response.immigrant]
    measures = []
    for name in MEASURES:
        col = getattr(Response, name)
        measures += [func.count(col), func.sum(col), func.sum(col * col)]
    statement = (
        select(*columns, func.count(), *measures)
        .where(Response.survey_id == survey_id)
        .group_by(*columns)
    )
    return db.session.execute(statement).all()


def build_cube(survey: Survey, rows: int | None = None) -> ProtectedCube:
    """Run the one GROUP BY and protect the result (uncached; see :func:`protected_cube`)."""
    waves = list(survey.waves)
    jurisdictions = list(survey.jurisdictions)
    wave_index = {w.id: i for i, w in enumerate(waves)}
    jurisdiction_index = {j.id: i for i, j in enumerate(jurisdictions)}
    cells = _query_cells(survey.id)
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
    k = int(survey.min_cell_size or current_app.config.get("MIN_CELL_SIZE", 10))
    mask = protect(counts, k)
    cube = ProtectedCube(
        survey_id=survey.id, min_cell_size=k, rows=int(counts.sum()) if rows is None else rows,
        wave_numbers=tuple(w.number for w in waves),
        jurisdiction_codes=tuple(j.code for j in jurisdictions),
        languages=languages, counts=extend_with_margins(counts), mask=mask,
    )
    for name in MEASURES:
        cube.measure_n[name] = extend_with_margins(n[name])
        cube.measure_sum[name] = extend_with_margins(sums[name])
        cube.measure_sumsq[name] = extend_with_margins(sumsq[name])
        # A mean resting on fewer than k valid answers is hidden too (with its complements).
        cube.measure_mask[name] = protect(n[name], k, initial=mask)
    return cube


def _recheck_seconds() -> float:
    """How long a cached cube is served without even counting (``AGGREGATE_RECHECK_SECONDS``)."""
    return float(current_app.config.get("AGGREGATE_RECHECK_SECONDS", 30))


def protected_cube(survey: Survey) -> ProtectedCube:
    """The survey's protected cube, from the per-app cache when the data has not changed.

    A cached cube younger than ``AGGREGATE_RECHECK_SECONDS`` is served as is;
    after that one ``count(*)`` decides whether it still holds (responses
    arrive whole, so the count moves with every submission), and after
    ``AGGREGATE_CACHE_SECONDS`` it is rebuilt regardless (a backstop for
    deletions that leave the count unchanged).
    """
    k = int(survey.min_cell_size or current_app.config.get("MIN_CELL_SIZE", 10))
    shape = hash((tuple(w.id for w in survey.waves), tuple(j.id for j in survey.jurisdictions)))
    ttl = float(current_app.config.get("AGGREGATE_CACHE_SECONDS", 300))
    store, lock = _cache()
    now = time.monotonic()
    with lock:
        hit = store.get(survey.id)
    if hit is not None and hit["k"] == k and hit["shape"] == shape and now - hit["built"] < ttl:
        if now - hit["checked"] < _recheck_seconds():
            return hit["cube"]
        if response_count(survey.id) == hit["cube"].rows:
            hit["checked"] = now
            return hit["cube"]
    rows = response_count(survey.id)
    cube = build_cube(survey, rows)
    with lock:
        store.pop(survey.id, None)
        store[survey.id] = {"cube": cube, "k": k, "shape": shape, "built": now, "checked": now}
        while len(store) > CACHE_SIZE:
            store.popitem(last=False)
    return cube


def invalidate(survey_id: int) -> None:
    """Forget a survey's cube (after deleting responses, say)."""
    store, lock = _cache()
    with lock:
        store.pop(survey_id, None)

"""Counting responses for display: the one place that does it, always with the small-cell rule.

Every chart, table, API answer and aggregate export calls :func:`aggregate`.
It reads a *protected cube* of the survey: one ``GROUP BY`` over the indexed
``response`` table (wave x jurisdiction x language x immigrant background,
with counts, sums and sums of squares of the stored scale scores), extended
by every margin and passed through :func:`surveys.suppression.protect`. A
published figure is then either a cell of that cube or a sum of cells that are
all published; a sum over a selection that includes a suppressed cell (say,
three of five jurisdictions) is itself suppressed. So whatever filters a reader
combines, everything they see is a linear combination of the protected cube's
published cells, and no suppressed cell can be derived from it.

The cube is cached per app and survey with its ``min_cell_size``; it is
rechecked against the survey's response count (one ``count(*)``) at most every
``AGGREGATE_RECHECK_SECONDS`` (30 s; 0 in tests), and rebuilt after
``AGGREGATE_CACHE_SECONDS`` (300 s) in any case, a backstop for deletions.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from flask import current_app
from scipy import stats
from sqlalchemy import func, select

from .extensions import db
from .models import Response, Survey
from .suppression import extend_with_margins, protect

DIMENSIONS = ("wave", "jurisdiction", "language", "immigrant")
MEASURES = ("trust", "willingness", "fear", "involvement")
IMMIGRANT_LEVELS = ("immigrant", "non_immigrant", "unknown")
ALL = None  # the value a margin row carries in a dimension it sums over
CACHE_SIZE = 16


class UnknownDimension(ValueError):
    """A grouping or filter that the aggregates do not offer."""


@dataclass(frozen=True)
class Filters:
    """Which part of the survey to show. ``None`` means everything."""

    waves: tuple[int, ...] | None = None  # wave numbers
    jurisdictions: tuple[str, ...] | None = None  # jurisdiction codes
    language: str | None = None

    def as_dict(self) -> dict:
        return {"waves": list(self.waves) if self.waves else None,
                "jurisdictions": list(self.jurisdictions) if self.jurisdictions else None,
                "language": self.language}


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


@dataclass(frozen=True)
class AggregateTable:
    """A suppressed table: one row per group (and margin rows when asked), plus what it means."""

    survey_id: int
    by: tuple[str, ...]
    filters: Filters
    min_cell_size: int
    frame: pd.DataFrame
    # The categories of each ``by`` dimension in row order (None last = the margin): the frame is
    # their full product in C order, so a column reshapes into a grid (see ``grid``).
    axes: tuple[tuple, ...] = ()

    def grid(self, column: str) -> np.ndarray:
        """``column`` as an array with one axis per ``by`` dimension (in ``axes`` order)."""
        return self.frame[column].to_numpy().reshape([len(a) for a in self.axes])

    @property
    def suppressed_cells(self) -> int:
        return int(self.frame["suppressed"].sum())

    def records(self) -> list[dict]:
        """JSON-ready rows: suppressed figures are ``None``."""
        out = []
        for rec in self.frame.to_dict(orient="records"):
            row = {}
            for key, value in rec.items():
                if isinstance(value, float) and not np.isfinite(value):
                    value = None
                elif isinstance(value, np.generic):
                    value = value.item()
                row[key] = value
            if row.get("n") is not None:
                row["n"] = int(row["n"])
            out.append(row)
        return out


# --- the cube ---------------------------------------------------------------------------------


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


def available_languages(survey: Survey) -> tuple[str, ...]:
    """Languages a filter may name: the app's, the instrument's and any found in the data."""
    found = set(current_app.config.get("LANGUAGES", ()))
    found.update(protected_cube(survey).languages)
    from .instrument_store import InstrumentError, parsed_instrument

    try:
        found.update(parsed_instrument(survey.instrument).language_codes)
    except InstrumentError:  # an instrument that no longer parses adds no languages
        current_app.logger.warning("instrument of survey %s does not parse", survey.id)
    return tuple(sorted(found))


def invalidate(survey_id: int) -> None:
    """Forget a survey's cube (after deleting responses, say)."""
    store, lock = _cache()
    with lock:
        store.pop(survey_id, None)


# --- reading the cube ---------------------------------------------------------------------------


def _selection(cube: ProtectedCube, dimension: str, filters: Filters) -> list[int] | None:
    """Indices of the selected categories, or None for "all of them"."""
    categories = cube.categories(dimension)
    if dimension == "wave" and filters.waves is not None:
        wanted = set(filters.waves)
    elif dimension == "jurisdiction" and filters.jurisdictions is not None:
        wanted = set(filters.jurisdictions)
    elif dimension == "language" and filters.language is not None:
        wanted = {filters.language}
    else:
        return None
    chosen = [i for i, c in enumerate(categories) if c in wanted]
    return None if len(chosen) == len(categories) and dimension != "language" else chosen


def _reduce(values: np.ndarray, mask: np.ndarray, axis: int, chosen: list[int] | None):
    """Sum ``values`` (and OR ``mask``) over the chosen categories of ``axis``, keeping the axis."""
    total = values.shape[axis] - 1
    if chosen is None:  # everything: the published margin itself
        return np.take(values, [total], axis=axis), np.take(mask, [total], axis=axis)
    return (np.take(values, chosen, axis=axis).sum(axis=axis, keepdims=True),
            np.take(mask, chosen, axis=axis).any(axis=axis, keepdims=True))


def _along(values: np.ndarray, mask: np.ndarray, axis: int, chosen: list[int] | None, margin: bool):
    """Keep the chosen categories of a grouping axis (plus their margin when asked)."""
    members = list(range(values.shape[axis] - 1)) if chosen is None else chosen
    kept_v, kept_m = np.take(values, members, axis=axis), np.take(mask, members, axis=axis)
    if margin:
        total_v, total_m = _reduce(values, mask, axis, chosen)
        kept_v = np.concatenate([kept_v, total_v], axis=axis)
        kept_m = np.concatenate([kept_m, total_m], axis=axis)
    return kept_v, kept_m


def _slice(cube: ProtectedCube, values: np.ndarray, mask: np.ndarray, by: Sequence[str],
           filters: Filters, margins: bool) -> tuple[np.ndarray, np.ndarray]:
    for axis, dimension in enumerate(DIMENSIONS):
        chosen = _selection(cube, dimension, filters)
        if dimension in by:
            values, mask = _along(values, mask, axis, chosen, margins)
        else:
            values, mask = _reduce(values, mask, axis, chosen)
    order = [DIMENSIONS.index(d) for d in by] + [i for i, d in enumerate(DIMENSIONS) if d not in by]
    values = np.transpose(values, order).reshape([values.shape[i] for i in order][: len(by)] or [1])
    mask = np.transpose(mask, order).reshape(values.shape)
    return values, mask


def _axes(cube: ProtectedCube, by: Sequence[str], filters: Filters, margins: bool) -> tuple[tuple, ...]:
    axes = []
    for dimension in by:
        chosen = _selection(cube, dimension, filters)
        categories = cube.categories(dimension)
        members = [categories[i] for i in (range(len(categories)) if chosen is None else chosen)]
        axes.append(tuple(members + ([ALL] if margins else [])))
    return tuple(axes)


def _labels(cube: ProtectedCube, by: Sequence[str], filters: Filters, margins: bool) -> dict[str, pd.Series]:
    axes = _axes(cube, by, filters, margins)
    grids = np.meshgrid(*[np.array(a, dtype=object) for a in axes], indexing="ij") if axes else []
    return {d: pd.Series(list(g.ravel()), dtype=object) for d, g in zip(by, grids, strict=True)}


def aggregate(
    survey: Survey,
    by: Sequence[str] = ("wave", "jurisdiction"),
    filters: Filters | None = None,
    *,
    margins: bool = False,
    measures: Sequence[str] = MEASURES,
) -> AggregateTable:
    """Counts and scale means by ``by``, suppressed by the survey's small-cell rule.

    Parameters
    ----------
    survey
        The survey whose responses are counted.
    by
        Grouping dimensions, any of ``wave``, ``jurisdiction``, ``language``,
        ``immigrant``. Dimensions not listed are summed over the filter's selection.
    filters
        Waves, jurisdictions and language to include.
    margins
        Add rows for the totals over each grouping dimension (value ``None``).
    measures
        Scale scores whose means (with 95% intervals) are reported.

    Returns
    -------
    AggregateTable
        Columns: the ``by`` dimensions, ``n`` (NaN when suppressed),
        ``suppressed``, and per measure ``<m>_n`` (valid answers), ``<m>_mean``, ``<m>_ci_low``,
        ``<m>_ci_high`` (NaN when hidden) and ``<m>_suppressed``.
    """
    by = tuple(by)
    unknown = [d for d in by if d not in DIMENSIONS] + [m for m in measures if m not in MEASURES]
    if unknown or len(set(by)) != len(by):
        raise UnknownDimension(f"cannot group by or measure {', '.join(unknown) or 'a dimension twice'}")
    filters = filters or Filters()
    cube = protected_cube(survey)
    columns: dict[str, object] = dict(_labels(cube, by, filters, margins))
    if filters.language is not None and filters.language not in cube.languages:
        size = len(next(iter(columns.values()))) if columns else 1
        columns.update(n=np.zeros(size), suppressed=np.zeros(size, dtype=bool))
        for name in measures:
            columns.update({f"{name}_n": np.zeros(size), f"{name}_mean": np.full(size, np.nan),
                            f"{name}_ci_low": np.full(size, np.nan),
                            f"{name}_ci_high": np.full(size, np.nan), f"{name}_suppressed": np.zeros(size, bool)})
        return AggregateTable(survey.id, by, filters, cube.min_cell_size, pd.DataFrame(columns),
                              _axes(cube, by, filters, margins))
    counts, hidden = _slice(cube, cube.counts, cube.mask, by, filters, margins)
    columns["n"] = np.where(hidden, np.nan, counts.astype(float)).ravel()
    columns["suppressed"] = hidden.ravel()
    for name in measures:
        n_valid, m_hidden = _slice(cube, cube.measure_n[name], cube.measure_mask[name], by, filters, margins)
        total, _ = _slice(cube, cube.measure_sum[name], cube.measure_mask[name], by, filters, margins)
        squares, _ = _slice(cube, cube.measure_sumsq[name], cube.measure_mask[name], by, filters, margins)
        mean, low, high = _mean_and_interval(n_valid.astype(float), total, squares)
        shown = ~m_hidden & (n_valid > 0)
        columns[f"{name}_n"] = np.where(m_hidden, np.nan, n_valid.astype(float)).ravel()
        columns[f"{name}_mean"] = np.where(shown, mean, np.nan).ravel()
        columns[f"{name}_ci_low"] = np.where(shown, low, np.nan).ravel()
        columns[f"{name}_ci_high"] = np.where(shown, high, np.nan).ravel()
        columns[f"{name}_suppressed"] = m_hidden.ravel()
    return AggregateTable(survey.id, by, filters, cube.min_cell_size, pd.DataFrame(columns),
                          _axes(cube, by, filters, margins))


def _mean_and_interval(n: np.ndarray, total: np.ndarray, squares: np.ndarray):
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        variance = np.maximum(squares - n * mean**2, 0.0) / (n - 1)
        dfs, where = np.unique(np.maximum(n - 1, 1), return_inverse=True)  # few distinct sizes: one ppf each
        half = stats.t.ppf(0.975, dfs)[where].reshape(n.shape) * np.sqrt(variance / n)
    half = np.where(n > 1, half, np.nan)
    return mean, mean - half, mean + half


def model_cells(survey: Survey, measure: str, *, subgroup: bool = False) -> pd.DataFrame:
    """Unsuppressed cell means for the estimators: jurisdiction x wave (x immigrant 0/1).

    Model input only, never displayed: the estimators weight each cell by its
    count (``n``), which gives the same point estimates as respondent rows
    (DESIGN.md, "Scaling out"). Cells with no valid answer are left out;
    respondents of unknown background are left out of the subgroup cells.
    """
    if measure not in MEASURES:
        raise UnknownDimension(f"no measure {measure!r}")
    cube = protected_cube(survey)
    n = cube.measure_n[measure][:-1, :-1, -1, :-1]  # wave x jurisdiction x immigrant level, all languages
    total = cube.measure_sum[measure][:-1, :-1, -1, :-1]
    if subgroup:
        n, total, levels = n[:, :, :2], total[:, :, :2], (1, 0)
    else:
        n, total, levels = n.sum(axis=2, keepdims=True), total.sum(axis=2, keepdims=True), (None,)
    waves, places, groups = np.meshgrid(np.array(cube.wave_numbers), np.array(cube.jurisdiction_codes, dtype=object),
                                        np.array(levels, dtype=object), indexing="ij")
    frame = pd.DataFrame({"wave": waves.ravel(), "jurisdiction": places.ravel(), "immigrant": groups.ravel(),
                          "n": n.ravel().astype(float), "sum": total.ravel()})
    frame = frame[frame["n"] > 0].copy()
    frame["mean"] = frame["sum"] / frame["n"]
    frame = frame.drop(columns="sum")
    if not subgroup:
        frame = frame.drop(columns="immigrant")
    else:
        frame["immigrant"] = frame["immigrant"].astype(int)
    return frame.reset_index(drop=True)

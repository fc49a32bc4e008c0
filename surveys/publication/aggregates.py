"""Counting responses for display: the one place that does it, always with the small-cell rule.

Every chart, table, API answer and aggregate export calls :func:`aggregate`.
It reads the *protected cube of the survey's latest release*
(``surveys.publication.releases``: closed waves only, frozen, suppressed
consistently with every earlier release): one ``GROUP BY`` over the indexed
``response`` table (wave x jurisdiction x language x immigrant background,
with counts, sums and sums of squares of the stored scale scores), extended
by every margin and passed through :func:`analysis.disclosure.protect`. A
published figure is then either a cell of that cube or a sum of cells that are
all published; a sum over a selection that includes a suppressed cell (say,
three of five jurisdictions) is itself suppressed. So whatever filters a reader
combines, everything they see is a linear combination of the protected cube's
published cells, and no suppressed cell can be derived from it.

The cube's query lives in ``surveys.publication.cube``, releases and their cache in
``surveys.publication.releases``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from flask import current_app
from scipy import stats

from analysis.values import json_value

from ..models import Survey
from ..studies.instrument_store import InstrumentError, parsed_instrument
from .cube import IMMIGRANT_LEVELS, MEASURES, ProtectedCube, response_count
from .releases import invalidate, protected_cube

# The cube's entry points are re-exported: this module is the one public door to counting.
__all__ = ["ALL", "DIMENSIONS", "IMMIGRANT_LEVELS", "MEASURES", "AggregateTable", "Filters", "ProtectedCube",
           "UnknownDimension", "aggregate", "available_languages", "invalidate", "model_cells",
           "protected_cube", "response_count"]

DIMENSIONS = ("wave", "jurisdiction", "language", "immigrant")
ALL = None  # the value a margin row carries in a dimension it sums over


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
    release: int | None = None  # the release the table was read from (None: nothing released yet)

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
            row = {key: json_value(value) for key, value in rec.items()}
            if row.get("n") is not None:
                row["n"] = int(row["n"])
            out.append(row)
        return out


# --- the cube ---------------------------------------------------------------------------------


def available_languages(survey: Survey) -> tuple[str, ...]:
    """Languages a filter may name: the app's, the instrument's and any found in the data."""
    found = set(current_app.config.get("LANGUAGES", ()))
    found.update(protected_cube(survey).languages)
    try:
        found.update(parsed_instrument(survey.instrument).language_codes)
    except InstrumentError:  # an instrument that no longer parses adds no languages
        current_app.logger.warning("instrument of survey %s does not parse", survey.id)
    return tuple(sorted(found))


# --- reading the cube ---------------------------------------------------------------------------


def _selection(cube: ProtectedCube, dimension: str, filters: Filters) -> list[int] | None:
    """Indices of the selected categories, or None for "all of them"."""
    categories = cube.categories(dimension)
    wanted: set[int] | set[str]
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
    columns: dict[str, Any] = dict(_labels(cube, by, filters, margins))
    if filters.language is not None and filters.language not in cube.languages:
        size = len(next(iter(columns.values()))) if columns else 1
        columns.update(n=np.zeros(size), suppressed=np.zeros(size, dtype=bool))
        for name in measures:
            columns.update({f"{name}_n": np.zeros(size), f"{name}_mean": np.full(size, np.nan),
                            f"{name}_ci_low": np.full(size, np.nan),
                            f"{name}_ci_high": np.full(size, np.nan), f"{name}_suppressed": np.zeros(size, bool)})
        return AggregateTable(survey.id, by, filters, cube.min_cell_size, pd.DataFrame(columns),
                              _axes(cube, by, filters, margins), cube.release)
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
                          _axes(cube, by, filters, margins), cube.release)


def _mean_and_interval(n: np.ndarray, total: np.ndarray, squares: np.ndarray):
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        variance = np.maximum(squares - n * mean**2, 0.0) / (n - 1)
        dfs, where = np.unique(np.maximum(n - 1, 1), return_inverse=True)  # few distinct sizes: one ppf each
        half = stats.t.ppf(0.975, dfs)[where].reshape(n.shape) * np.sqrt(variance / n)
    half = np.where(n > 1, half, np.nan)
    return mean, mean - half, mean + half


def model_cells(survey: Survey, measure: str, *, subgroup: bool = False) -> pd.DataFrame:
    """Unsuppressed cell means of the released waves for the estimators: jurisdiction x wave (x immigrant 0/1).

    Model input only, never displayed (what comes out is output-checked, ``publication.estimates``):
    the estimators weight each cell by its
    count (``n``), which gives the same point estimates as respondent rows
    (README, "Dashboard, exports, reports and the API"). Cells with no valid answer are left out;
    respondents of unknown background are left out of the subgroup cells.
    """
    if measure not in MEASURES:
        raise UnknownDimension(f"no measure {measure!r}")
    cube = protected_cube(survey)
    n = cube.measure_n[measure][:-1, :-1, -1, :-1]  # wave x jurisdiction x immigrant level, all languages
    total = cube.measure_sum[measure][:-1, :-1, -1, :-1]
    levels: tuple[int | None, ...]
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

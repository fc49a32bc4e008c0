"""Small-cell rule for every aggregate shown or exported (default minimum 10).

``suppress`` masks cells with fewer than ``min_count`` responses (primary
suppression) and then more cells (complementary suppression) so that no masked
cell can be recovered from a published total: within each group whose total is
published, the masked cells must be at least two and together hold at least
``min_count`` responses.  A two-way table whose row and column totals are both
published passes both partitions, e.g. ``group_cols=[["jurisdiction"],
["wave"]]``; the rule is applied until no partition needs another cell.

``tabulate`` counts responses (and means) by groups and applies the rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _prep
from .errors import InvalidSpecification, UnknownColumn

__all__ = ["DEFAULT_MIN_COUNT", "suppress", "tabulate"]

DEFAULT_MIN_COUNT = 10


def _partitions(group_cols) -> list[list[str]]:
    if group_cols is None:
        return [[]]
    if isinstance(group_cols, str):
        return [[group_cols]]
    group_cols = list(group_cols)
    if not group_cols:
        return [[]]
    if all(isinstance(g, str) for g in group_cols):
        return [group_cols]
    return [[g] if isinstance(g, str) else list(g) for g in group_cols]


def suppress(
    table: pd.DataFrame,
    count_col: str = "n",
    min_count: int = DEFAULT_MIN_COUNT,
    group_cols: str | Sequence[str] | Sequence[Sequence[str]] | None = None,
    value_cols: Sequence[str] | None = None,
    *,
    suppress_zeros: bool = True,
) -> pd.DataFrame:
    """Apply the small-cell rule to a table of counts.

    Parameters
    ----------
    table : DataFrame
        One row per cell, with its response count in ``count_col``.
    count_col : str, default "n"
        Column of counts.
    min_count : int, default 10
        Cells with fewer responses are suppressed.
    group_cols : str, list of str, or list of lists, optional
        The groups whose totals are published: ``None`` = the grand total of
        the whole table; ``["jurisdiction"]`` = one total per jurisdiction;
        ``[["jurisdiction"], ["wave"]]`` = row and column totals.
    value_cols : list of str, optional
        Columns to mask in suppressed cells besides ``count_col``; default:
        every floating-point column (means, shares, estimates).
    suppress_zeros : bool, default True
        Whether empty cells (count 0) count as small.

    Returns
    -------
    DataFrame
        A copy with ``suppressed`` (bool) and ``suppression`` (``"primary"``,
        ``"complementary"`` or ``""``); counts and values of suppressed cells
        are missing (NA).
    """
    _prep.require_frame(table)
    if count_col not in table.columns:
        raise UnknownColumn(count_col, table.columns, "count")
    if int(min_count) != min_count or min_count < 1:
        raise InvalidSpecification(f"min_count must be a positive integer, got {min_count}")
    parts = _partitions(group_cols)
    for cols in parts:
        for c in cols:
            if c not in table.columns:
                raise UnknownColumn(c, table.columns, "group")
    counts = pd.to_numeric(table[count_col], errors="coerce").to_numpy(dtype=float)
    if np.isnan(counts).any() or (counts < 0).any():
        raise InvalidSpecification(f"count column {count_col!r} must hold non-negative numbers")
    if value_cols is None:
        value_cols = [c for c in table.columns
                      if c != count_col and pd.api.types.is_float_dtype(table[c])]
    else:
        for c in value_cols:
            if c not in table.columns:
                raise UnknownColumn(c, table.columns, "value")
    small = counts < min_count
    if not suppress_zeros:
        small &= counts > 0
    primary = small.copy()
    masked = small.copy()
    group_ids = [(_prep.codes(table[cols])[0] if cols else np.zeros(len(table), np.int64))
                 for cols in parts]
    changed = True
    while changed:
        changed = False
        for gid in group_ids:
            for g in np.unique(gid[masked]):
                members = np.flatnonzero(gid == g)
                hidden = members[masked[members]]
                if hidden.size == 0 or hidden.size == members.size:
                    continue
                if hidden.size >= 2 and counts[hidden].sum() >= min_count:
                    continue
                candidates = members[~masked[members]]
                pick = candidates[np.argmin(counts[candidates])]
                masked[pick] = True
                changed = True
    out = table.copy()
    out["suppressed"] = masked
    out["suppression"] = np.where(primary, "primary", np.where(masked, "complementary", ""))
    if masked.any():
        for c in [count_col, *value_cols]:
            if pd.api.types.is_integer_dtype(out[c]) and not pd.api.types.is_extension_array_dtype(
                    out[c]):
                out[c] = out[c].astype("Int64")
            out.loc[masked, c] = pd.NA
    return out


def tabulate(
    data: pd.DataFrame,
    by: str | Sequence[str],
    values: str | Sequence[str] | None = None,
    *,
    weights: str | None = None,
    min_count: int = DEFAULT_MIN_COUNT,
    published_totals: Sequence[Sequence[str]] | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Count responses (and weighted means of ``values``) by groups, then suppress.

    Parameters
    ----------
    data : DataFrame
        Respondent rows.
    by : str or list of str
        Grouping columns (e.g. ``["jurisdiction", "wave"]``).
    values : str or list of str, optional
        Numeric columns whose (weighted) means are reported.
    weights : str, optional
        Survey weights for the means (counts stay unweighted).
    min_count : int
        Minimum responses per cell.
    published_totals : optional
        ``group_cols`` of :func:`suppress`; default: the totals of each ``by``
        column when there are two or more, else the grand total.

    Returns
    -------
    DataFrame
        ``by`` columns, ``n``, one ``mean_<value>`` per value, ``suppressed``,
        ``suppression``.
    """
    by = _prep.as_list(by)
    vals = _prep.as_list(values)
    _prep.require_columns(data, {"group": by, "value": vals, "weights": weights})
    w = (np.ones(len(data)) if weights is None else _prep.weights_array(data, weights))
    tmp = data[by].copy()
    tmp["n"] = 1
    aggs = {"n": ("n", "sum")}
    for v in vals:
        y = _prep.numeric(data, v, "value")
        ok = ~np.isnan(y)
        tmp[f"_w_{v}"] = np.where(ok, w, 0.0)
        tmp[f"_wy_{v}"] = np.where(ok, w * np.nan_to_num(y), 0.0)
        aggs[f"_w_{v}"] = (f"_w_{v}", "sum")
        aggs[f"_wy_{v}"] = (f"_wy_{v}", "sum")
    table = tmp.groupby(by, sort=True, dropna=False).agg(**aggs).reset_index()
    for v in vals:
        with np.errstate(invalid="ignore", divide="ignore"):
            table[f"mean_{v}"] = table.pop(f"_wy_{v}") / table.pop(f"_w_{v}")
    if published_totals is None:
        published_totals = [[b] for b in by] if len(by) >= 2 else None
    return suppress(table, "n", min_count, published_totals,
                    value_cols=[f"mean_{v}" for v in vals])

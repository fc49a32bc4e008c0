"""The small-cell rule: the one implementation every published table and figure goes through.

One rule, two shapes of table:

* **primary**: a cell with ``0 < n < k`` is small and hidden (``small_cells``).
  Zero cells are published ("nobody answered" identifies nobody) and never
  hidden to protect another cell; ``suppress(..., suppress_zeros=True)`` hides
  them too where a caller wants that.
* **complementary**: within every group whose total is published, the hidden
  members are none, or at least two that together hold at least ``k``
  responses (``group_is_safe``), so no hidden cell equals "total minus the
  others" and no pair of hidden cells is pinned down by a small remainder.
  The complement added is the group's smallest non-zero published member.

``suppress`` applies it to a table with named groups of published totals
(the report tables, ``tabulate``, the ``suppress`` command). ``protect``
applies it to a count cube with every margin (the web app's aggregates:
dashboard, API, aggregate exports), where every line of the cube is a group,
and then audits the linear system of all published margins, adding
complements until no hidden cell is exactly derivable (a "bridge" between
cycles of hidden cells). Bounds from non-negativity beyond the group rule are
not modelled (``docs/disclosure.md``).

Three extensions, same rule (issue 10): ``full_cells`` treats a group held
entirely by one sensitive category (all immigrants, all one language) like a
small cell, so no 0 beside it tells the group's attribute;
``protect_consistently`` extends a release's suppression until the union of
every release ever published derives no hidden cell (``derivable_from``);
``publishable_groups`` is the output check of cohort-specific estimates.

Past 300 lines on purpose: the rule and both of its shapes stay in one module,
so no surface can drift from another.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _prep
from .errors import InvalidSpecification, UnknownColumn

__all__ = ["DEFAULT_MIN_COUNT", "MIN_UNITS_PER_EFFECT", "derivable", "derivable_from", "extend_with_margins",
           "full_cells", "group_is_safe", "protect", "protect_consistently", "publishable_groups", "small_cells",
           "suppress", "tabulate"]

DEFAULT_MIN_COUNT = 10
# A group-specific effect (a cohort's) from fewer units is a difference of their cell means in disguise.
MIN_UNITS_PER_EFFECT = 2
# The audit solves a dense system in the suppressed cells; above this many it is skipped
# (the group rule still holds). Real surveys suppress a few dozen cells at most.
MAX_AUDITED_CELLS = 1500
_MAX_ROUNDS = 200


def small_cells(counts: np.ndarray, min_count: int, *, zeros: bool = False) -> np.ndarray:
    """Primary suppression: cells with fewer than ``min_count`` responses (zero cells only if ``zeros``)."""
    counts = np.asarray(counts)
    small = counts < min_count
    return small if zeros else small & (counts > 0)


def group_is_safe(hidden_counts: np.ndarray, min_count: int) -> bool:
    """Complementary rule for one group with a published total: no hidden member, or >= 2 holding >= k."""
    hidden_counts = np.asarray(hidden_counts)
    return hidden_counts.size == 0 or (hidden_counts.size >= 2 and float(hidden_counts.sum()) >= min_count)


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
    suppress_zeros: bool = False,
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
    suppress_zeros : bool, default False
        Whether empty cells (count 0) count as small too (the rule publishes them).

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
    small = small_cells(counts, min_count, zeros=suppress_zeros)
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
                if hidden.size == members.size or group_is_safe(counts[hidden], min_count):
                    continue
                candidates = members[~masked[members]]
                nonzero = candidates[counts[candidates] > 0]
                pool = nonzero if nonzero.size else candidates
                pick = pool[np.argmin(counts[pool])]
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
    w = np.ones(len(data)) if weights is None else np.asarray(_prep.weights_array(data, weights))
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


# --- cubes: every line is a group with a published total ---------------------------------------


def extend_with_margins(values: np.ndarray) -> np.ndarray:
    """``values`` with a total appended on every axis (index ``n_axis`` is "all")."""
    out = np.asarray(values)
    for axis in range(out.ndim):
        out = np.concatenate([out, out.sum(axis=axis, keepdims=True)], axis=axis)
    return out


def _lines(array: np.ndarray, axis: int) -> np.ndarray:
    """A copy of ``array`` as rows of lines along ``axis`` (members..., total)."""
    return np.moveaxis(array, axis, -1).reshape(-1, array.shape[axis])


def _lone_partners(mask: np.ndarray, position: list, axis: int) -> np.ndarray:
    """For each cell on the line through ``position`` along ``axis``: how many of its lines along
    the other axes hold exactly one suppressed cell (a complement there closes two lines at once)."""
    bonus = np.zeros(mask.shape[axis])
    for other in range(mask.ndim):
        if other == axis:
            continue
        selector = list(position)
        selector[axis] = slice(None)
        selector[other] = slice(None)
        plane = mask[tuple(selector)]  # axes (axis, other) in their original order
        along_other = 1 if other > axis else 0
        bonus += plane.sum(axis=along_other) == 1
    return bonus


def _complete_line(counts: np.ndarray, mask: np.ndarray, position: list, axis: int) -> bool:
    """Hide one more cell on the line through ``position`` along ``axis``; False when none is left."""
    selector = list(position)
    selector[axis] = slice(None)
    line_mask = mask[tuple(selector)]
    values = counts[tuple(selector)].astype(float)
    cost = np.where(~line_mask & (values > 0), values - _lone_partners(mask, position, axis) * 1e12, np.inf)
    cost[-1] = np.inf
    target = list(position)
    if np.isfinite(cost).any():
        target[axis] = int(cost.argmin())
    elif not line_mask[-1]:
        target[axis] = mask.shape[axis] - 1
    else:  # nothing but published zeros left: hiding one would protect nothing
        return False
    mask[tuple(target)] = True
    return True


def _line_safe(counts: np.ndarray, mask: np.ndarray, min_count: int) -> bool:
    """The group rule for one line (members..., total); with its total hidden, two hidden cells suffice."""
    hidden = int(mask.sum())
    if hidden == 0:
        return True
    if mask[-1]:
        return hidden >= 2
    return group_is_safe(counts[:-1][mask[:-1]], min_count)


def _unsafe_lines(counts: np.ndarray, mask: np.ndarray, axis: int, min_count: int) -> np.ndarray:
    """Positions (one per line along ``axis``) of the lines that break the group rule."""
    hidden = mask.sum(axis=axis, keepdims=True)
    members = np.take(mask, range(mask.shape[axis] - 1), axis=axis)
    values = np.take(counts, range(counts.shape[axis] - 1), axis=axis)
    hidden_members = members.sum(axis=axis, keepdims=True)
    hidden_sum = np.where(members, values, 0).sum(axis=axis, keepdims=True)
    total_hidden = np.take(mask, [mask.shape[axis] - 1], axis=axis)
    unsafe = (hidden == 1) | (~total_hidden & (hidden_members >= 1) & (hidden_sum < min_count))
    return np.argwhere(unsafe)


def _complete_lines(counts: np.ndarray, mask: np.ndarray, min_count: int) -> bool:
    """Add complements until every line follows the group rule. Returns whether anything changed."""
    changed_any = False
    changed = True
    while changed:
        changed = False
        for axis in range(counts.ndim):
            for position in _unsafe_lines(counts, mask, axis, min_count):
                position = [int(p) for p in position]
                selector = list(position)
                selector[axis] = slice(None)
                line_mask, line_counts = mask[tuple(selector)], counts[tuple(selector)]
                if _line_safe(line_counts, line_mask, min_count):  # an earlier complement closed it
                    continue
                if _complete_line(counts, mask, position, axis):
                    changed = changed_any = True
    return changed_any


def _equations(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of the published line equations over the suppressed cells.

    Returns ``(matrix, flat_indices)``: one row per line that touches a
    suppressed cell (members +1, total -1), one column per suppressed cell.
    """
    flat = np.flatnonzero(mask)
    column = np.full(mask.size, -1, dtype=np.int64)
    column[flat] = np.arange(flat.size)
    index = np.arange(mask.size).reshape(mask.shape)
    rows: list[np.ndarray] = []
    for axis in range(mask.ndim):
        lines = _lines(index, axis)
        touched = lines[_lines(mask, axis).any(axis=1)]
        for line in touched:
            row = np.zeros(flat.size)
            cols = column[line]
            members, total = cols[:-1], cols[-1]
            row[members[members >= 0]] = 1.0
            if total >= 0:
                row[total] = -1.0
            rows.append(row)
    matrix = np.array(rows) if rows else np.zeros((0, flat.size))
    return matrix, flat


def derivable(mask: np.ndarray) -> np.ndarray:
    """Which suppressed cells the published margins determine exactly (same shape as ``mask``).

    A suppressed cell is determined when its unit vector lies in the row space
    of the line equations restricted to the suppressed cells, i.e. when every
    solution of the homogeneous system is zero in that coordinate.
    """
    result = np.zeros(mask.shape, dtype=bool)
    matrix, flat = _equations(mask)
    if flat.size == 0:
        return result
    gram = matrix.T @ matrix
    eigenvalues, eigenvectors = np.linalg.eigh(gram)
    null = eigenvectors[:, eigenvalues < 1e-9 * max(1.0, float(eigenvalues.max(initial=0.0)))]
    free = np.linalg.norm(null, axis=1) > 1e-7 if null.size else np.zeros(flat.size, dtype=bool)
    result.flat[flat[~free]] = True
    return result


def _break_derivations(counts: np.ndarray, mask: np.ndarray, exposed: np.ndarray) -> None:
    """Suppress one more published cell on a line through each exposed cell."""
    longest_first = sorted(range(mask.ndim), key=lambda axis: -mask.shape[axis])
    for flat in np.flatnonzero(exposed):
        position = [int(p) for p in np.unravel_index(flat, mask.shape)]
        # The longest line first; when every non-zero cell on it is hidden already, another line's.
        for axis in longest_first:
            if _complete_line(counts, mask, position, axis):
                break


def full_cells(extended: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """Attribute disclosure: members of every line along a sensitive axis whose whole total is one category.

    ``extended`` has its margins (``extend_with_margins``). A line (members...,
    total) along one of ``axes`` with a non-zero total held entirely by one
    member says "everyone here shares this category" (all immigrants, all
    Spanish speakers): anyone known to be in the group is disclosed. Such a
    group is treated like a small cell: all its members, the zeros beside the
    full one included, are primary suppressions.
    """
    extended = np.asarray(extended)
    mask = np.zeros(extended.shape, dtype=bool)
    for axis in axes:
        lines = np.moveaxis(extended, axis, -1)
        members, total = lines[..., :-1], lines[..., -1]
        full = (total > 0) & (members == total[..., None]).any(axis=-1) & (members.shape[-1] > 1)
        hidden = np.zeros(lines.shape, dtype=bool)
        hidden[..., :-1] = full[..., None]
        mask |= np.moveaxis(hidden, -1, axis)
    return mask


def protect(counts: np.ndarray, min_cell_size: int, initial: np.ndarray | None = None,
            sensitive_axes: Sequence[int] = ()) -> np.ndarray:
    """The suppression mask of ``extend_with_margins(counts)``.

    Parameters
    ----------
    counts
        Non-negative integer counts, one axis per dimension (no totals).
    min_cell_size
        ``k``: cells with ``0 < n < k`` are suppressed.
    initial
        Cells to suppress in any case (e.g. the count mask when protecting a
        measure whose valid-answer counts are smaller), extended shape.
    sensitive_axes
        Axes whose categories are sensitive (immigrant background, language):
        a group held entirely by one category is hidden like a small cell (``full_cells``).
    """
    if min_cell_size < 1:
        raise ValueError("min_cell_size must be at least 1")
    extended = extend_with_margins(np.asarray(counts, dtype=np.int64))
    mask = small_cells(extended, min_cell_size) | full_cells(extended, sensitive_axes)
    if initial is not None:
        mask |= initial
    _complete_lines(extended, mask, min_cell_size)
    for _ in range(_MAX_ROUNDS):
        if int(mask.sum()) > MAX_AUDITED_CELLS:
            break
        exposed = derivable(mask)
        if not exposed.any():
            break
        _break_derivations(extended, mask, exposed)
        _complete_lines(extended, mask, min_cell_size)
    return mask


# --- many releases: the union of everything ever published -----------------------------------


def derivable_from(published: Sequence[np.ndarray], hidden: Sequence[np.ndarray]) -> np.ndarray:
    """Which ``hidden`` linear functionals the ``published`` ones determine exactly.

    Each functional is a 0/1 vector over the same base cells (a cell of some
    release = the sum of the base cells it covers). ``hidden[i]`` is derivable
    when it lies in the row space of ``published``, i.e. when it is orthogonal
    to the null space of the published system: what an attacker solving the
    union of all releases by least squares recovers exactly.
    """
    if not len(hidden):
        return np.zeros(0, dtype=bool)
    width = len(hidden[0])
    rows = np.array(published, dtype=float).reshape(-1, width)
    targets = np.array(hidden, dtype=float).reshape(-1, width)
    if rows.shape[0] == 0:
        return np.asarray(~targets.any(axis=1))
    _, singular, vt = np.linalg.svd(rows, full_matrices=True)
    rank = int((singular > 1e-9 * max(1.0, float(singular.max(initial=0.0)))).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return np.ones(targets.shape[0], dtype=bool)
    return np.asarray(np.linalg.norm(targets @ null.T, axis=1) < 1e-7)


def protect_consistently(
    coverage: np.ndarray,
    counts: np.ndarray,
    mask: np.ndarray,
    earlier_published: np.ndarray | Sequence[np.ndarray],
    earlier_hidden: np.ndarray | Sequence[np.ndarray],
    fixed: np.ndarray,
) -> np.ndarray:
    """Extend this release's ``mask`` until the union with every earlier release derives no hidden cell.

    Parameters
    ----------
    coverage
        One row per cell of this release (flattened), one column per base cell:
        which base cells the cell sums (0/1).
    counts
        The count of each cell of this release (flattened).
    mask
        This release's suppression (flattened), already holding the earlier
        suppressions of identical cells.
    earlier_published, earlier_hidden
        Coverage rows of the cells earlier releases published and hid.
    fixed
        Cells published before with the same coverage (they stay published:
        hiding them now would protect nothing).

    A cell of this release that is hidden yet derivable gets a complement:
    the smallest non-zero new published cell sharing base cells with it
    (published zeros last), preferring a cell that mixes earlier base cells
    with new ones (a cumulative margin, the usual partner in a difference
    between releases) over a cell of the new waves alone. Hiding every new cell leaves the earlier union,
    which was safe, so the loop ends; a new hidden cell that the earlier
    releases alone determine is published instead (it tells nothing new).
    """
    mask = np.asarray(mask, dtype=bool).copy()
    mask[fixed] = False
    coverage = np.asarray(coverage, dtype=bool)
    if coverage.shape[1] == 0:  # nothing was counted: every cell is an empty sum
        return mask
    counts = np.asarray(counts, dtype=float)
    earlier_published_set = {row.tobytes() for row in np.asarray(earlier_published, dtype=bool).reshape(
        -1, coverage.shape[1])}
    earlier_hidden_rows = np.asarray(earlier_hidden, dtype=bool).reshape(-1, coverage.shape[1])
    earlier_columns = (np.asarray(earlier_published, dtype=bool).reshape(-1, coverage.shape[1]).any(axis=0)
                       | earlier_hidden_rows.any(axis=0))
    mixed = (coverage & earlier_columns).any(axis=1) & (coverage & ~earlier_columns).any(axis=1)
    # Prefer cumulative cells (old and new base cells together) as complements, then the smallest.
    preference = np.where(mixed, 0.0, 1e12) + np.where(counts > 0, counts, 1e15)
    for _ in range(coverage.shape[0] + 1):
        hidden_base = np.zeros(coverage.shape[1], dtype=bool)
        hidden_base[[np.flatnonzero(row)[0] for row in coverage[mask] if row.sum() == 1]] = True
        # Published base cells are known constants: keep only the columns of hidden base cells.
        published_rows = [*np.asarray(earlier_published, dtype=bool).reshape(-1, coverage.shape[1]),
                          *coverage[~mask]]
        unique = {row[hidden_base].tobytes(): row[hidden_base] for row in published_rows if row[hidden_base].any()}
        hidden_rows = np.vstack([earlier_hidden_rows, coverage[mask]])
        exposed = derivable_from(list(unique.values()), [row[hidden_base] for row in hidden_rows])
        if not exposed.any():
            return mask
        new_published = np.flatnonzero(~mask & ~fixed)
        new_published = np.array([i for i in new_published if coverage[i].tobytes() not in earlier_published_set],
                                 dtype=np.int64)
        changed = False
        for row in hidden_rows[exposed]:
            if new_published.size == 0:
                break
            touching = new_published[(coverage[new_published] & row).any(axis=1) & ~mask[new_published]]
            if touching.size == 0:
                continue
            pick = touching[int(np.argmin(preference[touching]))]
            mask[pick] = True
            changed = True
        if not changed:
            # Nothing new touches what is exposed: a chain through other new cells; hide the smallest one
            # left, or, when none is left, publish the exposed new cells (earlier releases fix them).
            left = new_published[~mask[new_published]]
            if left.size:
                cost = np.where(counts[left] > 0, counts[left], np.inf)
                mask[left[int(np.argmin(cost))] if np.isfinite(cost).any() else left[0]] = True
            else:
                current = exposed[len(earlier_hidden_rows):]
                mask[np.flatnonzero(mask)[current]] = False
    return mask


# --- output checking of estimates ----------------------------------------------------------------


def publishable_groups(cells: pd.DataFrame, group: str, unit: str, count: str, min_count: int,
                       min_units: int = MIN_UNITS_PER_EFFECT) -> set:
    """Groups (e.g. adoption cohorts) whose own estimates may be published.

    A group-specific estimate (a cohort or group-time effect) is a difference
    of the group's cell means; it may be shown only when the group spans at
    least ``min_units`` units (one jurisdiction's effect would be its cell
    means in disguise) and none of its contributing cells (rows of ``cells``
    with non-zero ``count``) is small by :func:`small_cells`.
    """
    out = set()
    for value, members in cells.groupby(group):
        small = small_cells(members[count].to_numpy(dtype=float), min_count)
        if members[unit].nunique() >= min_units and not small.any():
            out.add(value)
    return out

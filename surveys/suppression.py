"""Small-cell suppression of a count cube and all of its margins.

Why a cube: the dashboard, the API and the aggregate exports publish many
tables that are slices and margins of one cross-classification (wave x
jurisdiction x language x immigrant background). Protecting each table on its
own would let a reader difference two of them (the Spanish-language slice
against the all-languages slice, a wave's total against its jurisdictions).
So the whole cube is protected once, with every margin, and every published
figure is read from that protected cube (see ``surveys.aggregates``).

The rule, for a cube of counts extended by a "total" level on every axis:

* **primary**: a cell (or margin) with ``0 < n < k`` is suppressed;
* **complementary**: every *line* (the cells along one axis with the other
  coordinates fixed, plus their total) holds either no suppressed cell or at
  least two, so no suppressed cell equals "total minus the others". The
  complement chosen is the line's smallest non-zero published member, else
  the line's total;
* **audit**: lines with two suppressed cells can still pin a cell down when
  the suppressed cells form a chain with no alternative path (a "bridge"), so
  the linear system of all published margins is solved and any cell it
  determines exactly gets another complement, until none does.

Zero cells are published: "nobody answered" identifies nobody. The audit
treats exact derivation; bounds from non-negativity are not modelled (see
``docs/disclosure.md``).
"""
from __future__ import annotations

import numpy as np

# The audit solves a dense system in the suppressed cells; above this many it is skipped
# (the line rule still holds). Real surveys suppress a few dozen cells at most.
MAX_AUDITED_CELLS = 1500
_MAX_ROUNDS = 200


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


def _complete_line(counts: np.ndarray, mask: np.ndarray, position: list, axis: int) -> None:
    """Give the line through ``position`` along ``axis`` (one suppressed cell) a complement."""
    selector = list(position)
    selector[axis] = slice(None)
    line_mask = mask[tuple(selector)]
    values = counts[tuple(selector)].astype(float)
    cost = np.where(~line_mask & (values > 0), values - _lone_partners(mask, position, axis) * 1e12, np.inf)
    cost[-1] = np.inf
    target = list(position)
    target[axis] = int(cost.argmin()) if np.isfinite(cost).any() else mask.shape[axis] - 1
    mask[tuple(target)] = True


def _complete_lines(counts: np.ndarray, mask: np.ndarray) -> bool:
    """Add complements until no line has exactly one suppressed cell. Returns whether anything changed."""
    changed_any = False
    changed = True
    while changed:
        changed = False
        for axis in range(counts.ndim):
            lone = np.argwhere(mask.sum(axis=axis, keepdims=True) == 1)
            for position in lone:
                position = [int(p) for p in position]
                selector = list(position)
                selector[axis] = slice(None)
                if int(mask[tuple(selector)].sum()) != 1:  # an earlier complement in this pass closed it
                    continue
                _complete_line(counts, mask, position, axis)
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
    for flat in np.flatnonzero(exposed):
        position = [int(p) for p in np.unravel_index(flat, mask.shape)]
        _complete_line(counts, mask, position, axis=int(np.argmax(mask.shape)))


def protect(counts: np.ndarray, min_cell_size: int, initial: np.ndarray | None = None) -> np.ndarray:
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
    """
    if min_cell_size < 1:
        raise ValueError("min_cell_size must be at least 1")
    extended = extend_with_margins(np.asarray(counts, dtype=np.int64))
    mask = (extended > 0) & (extended < min_cell_size)
    if initial is not None:
        mask |= initial
    _complete_lines(extended, mask)
    for _ in range(_MAX_ROUNDS):
        if int(mask.sum()) > MAX_AUDITED_CELLS:
            break
        exposed = derivable(mask)
        if not exposed.any():
            break
        _break_derivations(extended, mask, exposed)
        _complete_lines(extended, mask)
    return mask

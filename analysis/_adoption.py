"""Permutations of policy adoption across jurisdictions (private, generic).

Randomization inference with few treated jurisdictions (Fisher; Conley and
Taber 2011; MacKinnon and Webb 2020) asks: had the same adoption dates fallen
on other jurisdictions, how often would the statistic be as extreme?  This
module only produces those alternative assignments; each estimator computes
its own statistic for them.

This is the one home of adoption permutations: the count designs
(:mod:`analysis._count_ri`) and the survey estimators (:mod:`analysis._ri`:
DiD, DDD and the Callaway-Sant'Anna event study) all draw their assignments
and p-values here.

Assignments are permutations of the vector of first-treated times (0 = never
treated) across jurisdictions.  When the number of *distinct* permutations of
that multiset (``J! / prod(m_k!)``) is at most ``max_draws + 1`` every one is
enumerated (an exact test); otherwise ``max_draws`` random permutations are
drawn and the observed assignment is added as the first row.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .errors import InvalidSpecification

MAX_ENUMERATE = 20_000


def n_distinct(first_treated) -> int:
    """Number of distinct assignments: ``J! / prod(m_k!)`` over repeated dates."""
    values = list(np.asarray(first_treated).tolist())
    out = math.factorial(len(values))
    for m in Counter(values).values():
        out //= math.factorial(m)
    return out


def _multiset_permutations(values: np.ndarray) -> np.ndarray:
    """Every distinct permutation of ``values`` in lexicographic order (Narayana)."""
    a = np.sort(values).tolist()
    out = [list(a)]
    n = len(a)
    while True:
        i = n - 2
        while i >= 0 and a[i] >= a[i + 1]:
            i -= 1
        if i < 0:
            return np.array(out)
        j = n - 1
        while a[j] <= a[i]:
            j -= 1
        a[i], a[j] = a[j], a[i]
        a[i + 1:] = reversed(a[i + 1:])
        out.append(list(a))


def adoption_assignments(first_treated, max_draws: int = 999,
                         seed=0) -> tuple[np.ndarray, bool, int]:
    """Alternative adoption assignments, the observed one first.

    Parameters
    ----------
    first_treated : array of int
        Per jurisdiction, the position of its first treated period (any
        sortable code); the value for never-treated jurisdictions is repeated.
    max_draws : int
        Enumerate when there are at most ``max_draws + 1`` distinct
        assignments, else draw this many at random.
    seed : int or None

    Returns
    -------
    (assignments, enumerated, n_distinct)
        ``assignments`` is ``(P, J)``, row 0 the observed assignment.
    """
    ft = np.asarray(first_treated)
    if ft.ndim != 1 or len(ft) < 2:
        raise InvalidSpecification("randomization inference needs at least 2 jurisdictions")
    if int(max_draws) < 19:
        raise InvalidSpecification(f"n_perm must be at least 19, got {max_draws}")
    total = n_distinct(ft)
    if total <= min(int(max_draws) + 1, MAX_ENUMERATE):
        every = _multiset_permutations(ft)
        observed = np.flatnonzero((every == ft).all(axis=1))[0]
        order = np.r_[observed, np.delete(np.arange(len(every)), observed)]
        return every[order], True, total
    rng = np.random.default_rng(seed)
    draws = np.array([rng.permutation(ft) for _ in range(int(max_draws))])
    return np.vstack([ft[None, :], draws]), False, total


def equal_tailed_p(observed: float, placebo: np.ndarray) -> float:
    """Two-sided p-value: twice the smaller tail share (observed included), capped at 1."""
    lower = float(np.mean(placebo <= observed + 1e-12 * max(1.0, abs(observed))))
    upper = float(np.mean(placebo >= observed - 1e-12 * max(1.0, abs(observed))))
    return min(1.0, 2.0 * min(lower, upper))


def abs_p(observed: float, placebo: np.ndarray) -> float:
    """Two-sided p-value on ``|statistic|`` (observed included): its smallest value is
    ``1 / P``, where the equal-tailed one cannot go below ``2 / P`` (two treated
    jurisdictions out of eight have only 28 distinct assignments)."""
    tol = 1e-10 * max(1.0, abs(observed))
    return np.count_nonzero(np.abs(placebo) >= abs(observed) - tol) / len(placebo)


def shift_pvalue(estimate: float, stat_y: np.ndarray, stat_d: np.ndarray, b: float) -> float:
    """Permutation p-value of ``H0: effect = b`` for a statistic linear in the outcome.

    ``stat_y[p]`` is the statistic of assignment ``p`` on the observed outcome and
    ``stat_d[p]`` the same statistic on the observed treatment indicator, so on
    the outcome with the hypothesised effect removed (``y - b D``) it is
    ``stat_y - b stat_d``; row 0 is the observed assignment (``stat_d[0] == 1``).
    """
    return abs_p(estimate - b, stat_y - b * stat_d)


def invert_shift(estimate: float, stat_y: np.ndarray, stat_d: np.ndarray,
                 alpha: float = 0.05, scale: float | None = None) -> tuple[float, float, float]:
    """p-value at 0 and the interval ``{b: p(b) >= alpha}``.

    The interval holds the constant effects the permutation test does not
    reject; ``(-inf, inf)`` means no effect is rejected (too few assignments
    for this ``alpha``: the smallest attainable p-value is ``1 / P``).  The
    p-value only changes where ``|stat_y - b stat_d| = |estimate - b|`` for
    some assignment, so the ends are searched among those break points
    (bisection from the estimate outward); ``scale`` is unused and kept for
    callers.
    """
    a = np.asarray(stat_y, dtype=float)
    c = np.asarray(stat_d, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        br = np.r_[(a - estimate) / (c - 1.0), (a + estimate) / (c + 1.0)]
    br = np.unique(br[np.isfinite(br)])

    def rejects(b: float) -> bool:
        return shift_pvalue(estimate, a, c, b) < alpha

    def bound(direction: int) -> float:
        side = br[br > estimate] if direction > 0 else br[br < estimate][::-1]
        if side.size == 0:
            return float(direction * np.inf)
        # candidate points just beyond each break point, ordered outward
        nxt = np.r_[side[1:], side[-1] + direction * max(1.0, abs(side[-1]))]
        mids = 0.5 * (side + nxt)
        if not rejects(float(mids[-1])):
            return float(direction * np.inf)
        lo, hi = 0, len(mids) - 1          # find the first rejected midpoint
        while lo < hi:
            m = (lo + hi) // 2
            if rejects(float(mids[m])):
                hi = m
            else:
                lo = m + 1
        return float(side[lo])

    return shift_pvalue(estimate, a, c, 0.0), bound(-1), bound(+1)

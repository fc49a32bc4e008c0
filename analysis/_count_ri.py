"""Randomization inference for a Poisson (PPML) policy effect (private).

The test of ``H0: beta = b`` under a constant multiplicative effect: the
counts the treated cells would have had without the policy are
``y0 = y * exp(-b * D)``; under H0 they do not depend on which jurisdictions
adopted when, so every permutation of the adoption dates across
jurisdictions (:mod:`analysis._adoption`) is as likely as the observed one.
The statistic for an assignment ``D'`` is the one-step PPML estimate of its
effect on ``y0``, from the fixed-effects-only fit of ``y0`` (fitted ``mu0``)::

    T(D') = sum w D'~ (y0 - mu0) / sum w mu0 D'~^2

with ``D'~`` the regressor net of the fixed effects (weights ``w mu0``).
``mu0`` does not depend on the assignment, so all permutations share one fit
and one matrix within transformation; the statistic is therefore cheap enough
to invert the test: the interval is every ``b`` whose equal-tailed
permutation p-value is at least ``alpha`` (bisection from the estimate), and
the reported p-value is the same test at ``b = 0``, so interval and p-value
always agree.

The triple difference has a faster exact path (:class:`Blocks`): with
place^period^group and place^period^set fixed effects each place x period is a
2 x 2 table whose only free direction, in the IRLS metric ``diag(mu0)``, is
``h = s / mu0`` (``s`` = +1 on the diagonal cells, -1 off it).  Partialling
those out leaves, per place x period, the contrast ``c(x) = sum s x``; the
regressor ``D x focus x sensitive`` has contrast ``D``, and the remaining
place^group^set and period^group^set effects become place and period effects
on the contrasts, weighted by ``1 / H`` with ``H = sum 1/mu0``.  So::

    T = sum (u~ / H) r / sum u~^2 / H,   r = c((y0 - mu0) / mu0)

with ``u~`` the assignment's ``D`` net of place and period effects (weights
``1/H``): the same number as the general formula on four times fewer rows
and two fixed effects instead of four.  Incomplete tables (a cell dropped for
separation) are saturated by their fixed effects and carry no information.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ._adoption import equal_tailed_p
from ._poisson import irls
from .errors import ConvergenceError


@dataclass(frozen=True)
class Blocks:
    """The 2 x 2 structure of a triple difference, for the exact fast path.

    ``block`` (per row) numbers the complete place x period tables 0..B-1
    (-1 for rows of incomplete tables), ``sign`` is +1/-1 per row,
    ``fes`` are place and period fixed effects over the B tables and ``D``
    is ``(B, P)``: each table's treatment under every assignment.
    """

    block: np.ndarray
    sign: np.ndarray
    fes: tuple
    D: np.ndarray


def _indicators(fes) -> list[sparse.csr_matrix]:
    out = []
    for f in fes:
        n = len(f.codes)
        out.append(sparse.csr_matrix((np.ones(n), (np.arange(n), f.codes)),
                                     shape=(n, f.n_levels)))
    return out


DIRECT_LEVELS = 400


def matrix_demean(M: np.ndarray, indicators, weights: np.ndarray, tol: float = 1e-10,
                  maxiter: int = 5000) -> np.ndarray:
    """Weighted within transformation of every column of ``M`` at once.

    With few fixed-effect levels in all (place and period: tens) the projection
    is solved directly from the ``L x L`` normal equations, exact and in one
    pass; otherwise by alternating projections until the level means vanish.
    """
    M = np.array(M, dtype=float, copy=True)
    if not indicators:
        return M
    if sum(S.shape[1] for S in indicators) <= DIRECT_LEVELS:
        F = sparse.hstack(indicators, format="csr")
        FtW = (F.T.multiply(weights[None, :])).tocsr()
        A = (FtW @ F).toarray()
        coef = np.linalg.pinv(A, rcond=1e-12, hermitian=True) @ (FtW @ M)
        return M - F @ coef
    inv = []
    for S in indicators:
        s = S.T @ weights
        inv.append(np.divide(1.0, s, out=np.zeros_like(s), where=s > 0))
    scale = max(1.0, float(np.abs(M).max())) if M.size else 1.0
    for _ in range(maxiter):
        delta = 0.0
        for S, iw in zip(indicators, inv, strict=True):
            means = (S.T @ (M * weights[:, None])) * iw[:, None]
            M -= S @ means
            delta = max(delta, float(np.abs(means).max()))
        if len(indicators) == 1 or delta < tol * scale:
            return M
    raise ConvergenceError("fixed effects did not converge in the randomization inference")


def assignment_matrix(unit: np.ndarray, tpos: np.ndarray, multiplier: np.ndarray,
                      assignments: np.ndarray) -> np.ndarray:
    """``(n, P)`` treatment regressor for every assignment (never treated = a huge date)."""
    first = assignments[:, unit].T            # (n, P): each row's unit's first treated time
    return multiplier[:, None] * (tpos[:, None] >= first)


MAX_LOG = 5.0         # |b| searched up to exp(5): beyond a 150-fold change there is no bound


def _ratio(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, 0.0)


def _general_statistic(D, indicators, wu):
    def statistic(y0, mu0):
        Dt = matrix_demean(D, indicators, wu * mu0)
        return _ratio((wu * (y0 - mu0)) @ Dt, (wu * mu0) @ (Dt * Dt))
    return statistic


def _block_statistic(blocks: Blocks):
    inside = blocks.block >= 0
    b, sgn = blocks.block[inside], blocks.sign[inside]
    n_blocks = blocks.D.shape[0]
    indicators = _indicators(blocks.fes)

    def statistic(y0, mu0):
        m = mu0[inside]
        H = np.bincount(b, weights=1.0 / m, minlength=n_blocks)
        r = np.bincount(b, weights=sgn * (y0[inside] - m) / m, minlength=n_blocks)
        Ut = matrix_demean(blocks.D, indicators, 1.0 / H)
        return _ratio((r / H) @ Ut, (1.0 / H) @ (Ut * Ut))
    return statistic


def permutation_pvalue(y, fes, w, D: np.ndarray, *, blocks: Blocks | None = None):
    """The test as a function: ``b -> p-value of H0: beta = b`` (cached, warm-started).

    ``D`` is ``(n, P)`` with the observed assignment in column 0.  With
    ``blocks`` (a triple difference without weights) the statistic uses the
    exact reduced form.
    """
    wu = np.ones(len(y)) if w is None else w
    if blocks is not None and w is None:
        statistic = _block_statistic(blocks)
    else:
        statistic = _general_statistic(D, _indicators(fes), wu)
    d_obs = D[:, 0]
    cache: dict[float, float] = {}
    state = {"mu": None}

    def pvalue(b: float) -> float:
        b = float(b)
        if b in cache:
            return cache[b]
        y0 = y * np.exp(-b * d_obs)
        start = state["mu"]
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                _, mu0, _, _, _ = irls(y0, np.zeros((len(y), 0)), fes, w,
                                       mu_start=None if start is None else np.maximum(start, 1e-10))
                T = statistic(y0, mu0)
        except ConvergenceError:
            raise Unevaluable(b) from None
        if not np.isfinite(T).all():
            raise Unevaluable(b)
        state["mu"] = mu0
        cache[b] = equal_tailed_p(float(T[0]), T)
        return cache[b]

    pvalue.cache = cache  # type: ignore[attr-defined]
    return pvalue


class Unevaluable(Exception):
    """The fixed-effects fit of ``y exp(-b D)`` failed at this ``b`` (far in a tail)."""


def randomization_inference(y, fes, w, D: np.ndarray, *, estimate: float, scale: float,
                            alpha: float = 0.05, rel_tol: float = 5e-4,
                            blocks: Blocks | None = None) -> dict:
    """p-value of ``beta = 0`` and the inverted-test interval.

    ``scale`` (e.g. the CRV1 standard error) only sets the bracketing steps;
    the bounds are found to ``rel_tol * scale``.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return _invert(permutation_pvalue(y, fes, w, D, blocks=blocks), D, estimate, scale,
                       alpha, rel_tol)


def _invert(pvalue, D, estimate, scale, alpha, rel_tol) -> dict:
    """Bisection for the ends of ``{b: p(b) >= alpha}`` from the estimate outward.

    Hundreds of tiny linear-algebra calls: one BLAS thread each (the caller
    sets it), since OpenBLAS threads on matrices this small only contend.
    """
    step0 = scale if np.isfinite(scale) and scale > 0 else max(abs(estimate), 0.1)

    def rejects(b: float) -> bool:
        return pvalue(b) < alpha

    def bound(direction: int) -> float:
        try:
            return search(direction)
        except Unevaluable:           # the fit broke down far out: no bound in that direction
            return float(direction * np.inf)

    def search(direction: int) -> float:
        step, inside, outside = step0, estimate, estimate + direction * step0
        for _ in range(40):
            if rejects(outside):
                break
            inside, outside = outside, min(max(outside + direction * step, -MAX_LOG),
                                           MAX_LOG)
            step *= 2
            if abs(inside) >= MAX_LOG:          # beyond a 150-fold change: no bound
                return float(direction * np.inf)
        else:
            return float(direction * np.inf)
        while abs(outside - inside) > rel_tol * step0:
            mid = 0.5 * (inside + outside)
            if rejects(mid):
                outside = mid
            else:
                inside = mid
        return float(0.5 * (inside + outside))

    p0 = pvalue(0.0)
    low, high = bound(-1), bound(+1)
    return {"p_value": p0, "ci_low": low, "ci_high": high,
            "min_p_value": 2.0 / D.shape[1] if D.shape[1] else float("nan"),
            "evaluations": len(pvalue.cache)}

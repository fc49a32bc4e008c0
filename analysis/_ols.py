"""Weighted least squares with absorbed fixed effects (private engine).

The estimators build a :class:`Design` and call :func:`fit`; fixed effects are
removed by the within transformation (alternating projections with
``numpy.bincount``), never by a dummy matrix, so a million rows with a few
hundred fixed-effect levels fit in well under a second.

Standard-error conventions (the same as R ``fixest`` and ``pyfixest`` defaults)
-------------------------------------------------------------------------------
``classical``  ``s^2 (X'WX)^-1`` with ``s^2 = sum(w u^2) / (N - K)``.
``hc1``        sandwich with factor ``N / (N - K)``.
``cluster``    CRV1: sandwich of cluster score sums with factor
               ``G/(G-1) * (N-1)/(N-K)`` and t(G-1) reference distribution.

``K`` counts the regressors plus the fixed-effect levels (one fewer per extra
fixed effect), except that **fixed effects nested within the cluster variable
are not counted** (fixest's ``fixef.K = "nested"``, Stata ``reghdfe``): a
jurisdiction fixed effect adds no small-sample penalty when errors are
clustered by jurisdiction.  statsmodels with explicit dummies counts them, so
its clustered SEs are larger by ``sqrt((N - K_full) / (N - K_nested))``; the
tests check both facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .errors import ConvergenceError, InvalidSpecification, TooFewClusters

VCOV_TYPES = ("classical", "hc1", "cluster")


@dataclass(frozen=True)
class FixedEffect:
    name: str
    codes: np.ndarray
    n_levels: int


@dataclass(frozen=True)
class Design:
    """Outcome, regressors and the structure around them."""

    y: np.ndarray
    X: np.ndarray
    names: tuple[str, ...]
    fe: tuple[FixedEffect, ...] = ()
    weights: np.ndarray | None = None
    cluster: np.ndarray | None = None
    n_clusters: int = 0
    n_rows: int | None = None  # respondents behind cell means (small-sample factors)

    @property
    def n_obs(self) -> int:
        if self.n_rows is not None:
            return int(self.n_rows)
        return int(len(self.y) if self.weights is None else np.count_nonzero(self.weights))


@dataclass(frozen=True)
class OLSFit:
    names: tuple[str, ...]
    beta: np.ndarray
    vcov: np.ndarray
    vcov_type: str
    n_obs: int
    df_k: int
    df_t: int
    n_clusters: int
    r2_within: float
    dropped: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        se = np.sqrt(np.clip(np.diag(self.vcov), 0, None))
        return tidy_frame(self.names, self.beta, se, self.df_t, alpha)

    def index(self, term: str) -> int:
        return self.names.index(term)


def tidy_frame(names, estimate, se, df_t, alpha: float = 0.05) -> pd.DataFrame:
    """The tidy coefficient table shared by every result."""
    estimate = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = estimate / se
    dist = stats.t(df_t) if df_t and np.isfinite(df_t) else stats.norm()
    q = dist.ppf(1 - alpha / 2)
    return pd.DataFrame({
        "term": list(names),
        "estimate": estimate,
        "se": se,
        "statistic": stat,
        "p_value": 2 * dist.sf(np.abs(stat)),
        "ci_low": estimate - q * se,
        "ci_high": estimate + q * se,
    })


def demean(M: np.ndarray, fes, weights=None, tol: float = 1e-10, maxiter: int = 5000):
    """Within-transform the columns of ``M`` for all fixed effects (weighted)."""
    M = np.array(M, dtype=np.float64, order="F", copy=True)
    if not fes:
        return M
    wsum = [np.bincount(f.codes, weights=weights, minlength=f.n_levels).astype(float)
            for f in fes]
    inv = [np.divide(1.0, s, out=np.zeros_like(s), where=s > 0) for s in wsum]
    scale = np.maximum(1.0, np.abs(M).max(axis=0)) if M.size else np.ones(M.shape[1])
    for j in range(M.shape[1]):
        col = M[:, j]
        for _ in range(maxiter):
            delta = 0.0
            for f, iw in zip(fes, inv, strict=False):
                src = col if weights is None else col * weights
                mean = np.bincount(f.codes, weights=src, minlength=f.n_levels) * iw
                col -= mean[f.codes]
                delta = max(delta, float(np.abs(mean).max()))
            if len(fes) == 1 or delta < tol * scale[j]:
                break
        else:
            raise ConvergenceError(
                f"fixed effects did not converge after {maxiter} sweeps; "
                "check for disconnected jurisdiction x wave cells"
            )
    return M


def nested_in(fe: FixedEffect, cluster: np.ndarray | None, n_clusters: int) -> bool:
    """Whether every level of ``fe`` lies within a single cluster."""
    if cluster is None:
        return False
    first = np.full(fe.n_levels, -1, dtype=np.int64)
    first[fe.codes[::-1]] = cluster[::-1]  # the last write wins: each level's first cluster
    return bool(np.array_equal(first[fe.codes], cluster))


def cluster_sums(scores: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum the rows of ``scores`` (n x k) within clusters -> (G x k)."""
    scores = np.asarray(scores)
    if scores.ndim == 1:
        return np.bincount(cluster, weights=scores, minlength=n_clusters)
    out = np.empty((n_clusters, scores.shape[1]))
    for j in range(scores.shape[1]):
        out[:, j] = np.bincount(cluster, weights=scores[:, j], minlength=n_clusters)
    return out


def df_k(design: Design, k: int, vcov_type: str) -> int:
    """Parameters counted in the small-sample factor (fixest/pyfixest rule)."""
    if not design.fe:
        return k
    levels = [f.n_levels for f in design.fe]
    k_fe = sum(levels) - (len(levels) - 1)
    if vcov_type != "cluster":
        return k + k_fe
    nested = [nested_in(f, design.cluster, design.n_clusters) for f in design.fe]
    k_nested = sum(lv for lv, n in zip(levels, nested, strict=False) if n)
    return k + k_fe - k_nested + sum(nested)


def _solve_rank(XtX: np.ndarray, names) -> tuple[np.ndarray, list[int]]:
    """Indices of a full-rank subset of columns (pivoted Cholesky-like via QR)."""
    from scipy.linalg import qr

    if XtX.shape[0] == 0:
        return XtX, []
    d = np.sqrt(np.clip(np.diag(XtX), 1e-300, None))
    R, piv = qr(XtX / np.outer(d, d), pivoting=True, mode="r")
    diag = np.abs(np.diag(R))
    rank = int((diag > 1e-10 * diag.max()).sum()) if diag.size else 0
    return R, sorted(piv[:rank].tolist())


def fit(design: Design, vcov_type: str = "hc1", *, keep: bool = False) -> OLSFit:
    """Weighted least squares of ``y`` on ``X`` net of fixed effects."""
    if vcov_type not in VCOV_TYPES:
        raise InvalidSpecification(f"unknown standard errors {vcov_type!r}")
    if vcov_type == "cluster":
        if design.cluster is None:
            raise InvalidSpecification("clustered standard errors need a cluster column")
        if design.n_clusters < 2:
            raise TooFewClusters(
                f"clustered standard errors need at least 2 clusters, found {design.n_clusters}"
            )
    w = design.weights
    Z = demean(np.column_stack([design.y, design.X]), design.fe, w)
    yd, Xd = Z[:, 0], Z[:, 1:]
    raw_scale = np.abs(design.X).max(axis=0) if design.X.size else np.zeros(0)
    sw = None if w is None else np.sqrt(w)
    Xw = Xd if sw is None else Xd * sw[:, None]
    yw = yd if sw is None else yd * sw
    XtX = Xw.T @ Xw
    # columns swept out by the fixed effects, then linear dependence among the rest
    alive = [j for j in range(Xd.shape[1])
             if np.abs(Xd[:, j]).max() > 1e-9 * max(raw_scale[j], 1.0)]
    _, sub = _solve_rank(XtX[np.ix_(alive, alive)], design.names)
    keep_idx = [alive[i] for i in sub]
    dropped = tuple(design.names[j] for j in range(Xd.shape[1]) if j not in keep_idx)
    Xk, Xwk = Xd[:, keep_idx], Xw[:, keep_idx]
    names = tuple(design.names[j] for j in keep_idx)
    bread = np.linalg.inv(XtX[np.ix_(keep_idx, keep_idx)])
    beta = bread @ (Xwk.T @ yw)
    u = yd - Xk @ beta
    uw = u if sw is None else u * sw
    n = design.n_obs
    k = len(keep_idx)
    dk = df_k(design, k, vcov_type)
    if n - dk <= 0:
        raise InvalidSpecification(f"{n} observations cannot identify {dk} parameters")
    rss = float(uw @ uw)
    if vcov_type == "classical":
        V = bread * rss / (n - dk)
        df_t = n - dk
    elif vcov_type == "hc1":
        scores = Xwk * uw[:, None]
        V = bread @ (scores.T @ scores) @ bread * (n / (n - dk))
        df_t = n - dk
    else:
        G = design.n_clusters
        assert design.cluster is not None  # n_clusters > 0 means a cluster column
        S = cluster_sums(Xwk * uw[:, None], design.cluster, G)
        V = bread @ (S.T @ S) @ bread * (G / (G - 1)) * ((n - 1) / (n - dk))
        df_t = G - 1
    tss = float(yw @ yw)
    extra = {"Xd": Xk, "yd": yd, "u": u} if keep else {}
    return OLSFit(names=names, beta=beta, vcov=V, vcov_type=vcov_type, n_obs=n, df_k=dk,
                  df_t=df_t, n_clusters=design.n_clusters if vcov_type == "cluster" else 0,
                  r2_within=1 - rss / tss if tss > 0 else float("nan"), dropped=dropped,
                  extra=extra)


def wald(fit_: OLSFit, R: np.ndarray, r: np.ndarray | None = None) -> tuple[float, int, float]:
    """Joint test of ``R beta = r``: (F statistic, numerator df, p-value)."""
    R = np.atleast_2d(np.asarray(R, dtype=float))
    r = np.zeros(R.shape[0]) if r is None else np.asarray(r, dtype=float)
    diff = R @ fit_.beta - r
    cov = R @ fit_.vcov @ R.T
    q = int(np.linalg.matrix_rank(cov))
    if q == 0:
        return float("nan"), 0, float("nan")
    stat = float(diff @ np.linalg.pinv(cov) @ diff) / q
    p = float(stats.f.sf(stat, q, fit_.df_t)) if fit_.df_t > 0 else float("nan")
    return stat, q, p

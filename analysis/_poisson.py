"""Poisson pseudo-maximum likelihood with absorbed fixed effects (private engine).

Counts of police reports are modelled as ``E[y] = exp(X beta + fixed effects)``
and fitted by iteratively reweighted least squares, each step a weighted
within transformation (:func:`analysis._ols.demean`) with the IRLS weights
``w * mu``: the algorithm of Stata ``ppmlhdfe`` and pyfixest ``fepois``,
never a dummy matrix.  PPML is consistent for the multiplicative effect
whenever the conditional mean is right, whatever the variance (over-
dispersion, zeros), which is why it, not a log-linear OLS, is the estimator
for counts (Santos Silva and Tenreyro 2006; Wooldridge 1999).

Before fitting, rows in a fixed-effect level whose counts are all zero are
dropped (repeatedly, until none is left): their level would run off to minus
infinity and they carry no information about ``beta`` (pyfixest's ``"fe"``
separation check, ppmlhdfe's first check).

Variance conventions (those of pyfixest ``fepois`` and R ``fixest``)
-------------------------------------------------------------------
With ``Xt`` the regressors net of the fixed effects (weights ``w mu``),
``bread = (Xt' diag(w mu) Xt)^-1`` and scores ``w (y - mu) Xt``:

``classical``  ``bread * (N-1)/(N-K)`` (the Poisson variance, no dispersion).
``hc1``        ``bread S'S bread * N/(N-K)``.
``cluster``    CRV1: cluster sums of the scores, ``G/(G-1) * (N-1)/(N-K)``,
               t(G-1) reference distribution.

``K`` follows :func:`analysis._ols.df_k` (fixed effects nested in the clusters
are not counted), so the clustered errors equal pyfixest's to 1e-6 (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._ols import Design, FixedEffect, OLSFit, _solve_rank, cluster_sums, demean, df_k
from .errors import ConvergenceError, InvalidSpecification, NotEnoughResponses, TooFewClusters

VCOV_TYPES = ("classical", "hc1", "cluster")


@dataclass(frozen=True)
class PoissonFit(OLSFit):
    """An :class:`OLSFit` plus the Poisson pieces (fitted means, separation)."""

    mu: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    keep: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)
    n_separated: int = 0
    iterations: int = 0
    deviance: float = float("nan")


def separated_rows(y: np.ndarray, fes) -> np.ndarray:
    """Mask of rows to keep: none in a fixed-effect level whose counts are all zero."""
    keep = np.ones(len(y), dtype=bool)
    positive = y > 0
    while True:
        changed = False
        for f in fes:
            pos = np.bincount(f.codes[keep], weights=positive[keep], minlength=f.n_levels)
            present = np.bincount(f.codes[keep], minlength=f.n_levels) > 0
            dead = present & (pos == 0)
            if dead.any():
                keep &= ~dead[f.codes]
                changed = True
        if not changed:
            return keep


def _recode(fe: FixedEffect, keep: np.ndarray) -> FixedEffect:
    c, uniq = pd.factorize(fe.codes[keep], sort=True)
    return FixedEffect(fe.name, c.astype(np.int64), len(uniq))


def subset(design: Design, keep: np.ndarray) -> Design:
    """The design restricted to ``keep`` (fixed-effect and cluster codes renumbered)."""
    if keep.all():
        return design
    cl, G = design.cluster, design.n_clusters
    if cl is not None:
        c, uniq = pd.factorize(cl[keep], sort=True)
        cl, G = c.astype(np.int64), len(uniq)
    return Design(y=design.y[keep], X=design.X[keep], names=design.names,
                  fe=tuple(_recode(f, keep) for f in design.fe),
                  weights=None if design.weights is None else design.weights[keep],
                  cluster=cl, n_clusters=G)


def deviance(y: np.ndarray, mu: np.ndarray, w=None) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
    return float(2.0 * np.sum(term if w is None else w * term))


def irls(y, X, fes, w=None, *, offset=None, tol: float = 1e-10, maxiter: int = 100,
         mu_start=None):
    """Fit ``log E[y] = offset + X beta + FE``; returns (beta, mu, Xt, iterations, deviance).

    ``Xt`` are the regressors within-transformed with the final IRLS weights.
    ``X`` may have zero columns (a fixed-effects-only fit).
    """
    n = len(y)
    off = np.zeros(n) if offset is None else offset
    wu = np.ones(n) if w is None else w
    mu = (y + np.average(y, weights=wu)) / 2.0 if mu_start is None else mu_start.copy()
    eta = np.log(mu)
    last = deviance(y, mu, w)
    k = X.shape[1]
    beta = np.zeros(k)
    it = 0
    while True:
        it += 1
        z = eta - off + y / mu - 1.0
        iw = wu * mu
        Z = demean(np.column_stack([z, X]), fes, iw)
        zt, Xt = Z[:, 0], Z[:, 1:]
        if k:
            sw = np.sqrt(iw)
            Xw = Xt * sw[:, None]
            beta = np.linalg.solve(Xw.T @ Xw, Xw.T @ (zt * sw))
            resid = zt - Xt @ beta
        else:
            resid = zt
        eta = z - resid + off
        mu = np.exp(np.clip(eta, -700.0, 700.0))
        dev = deviance(y, mu, w)
        crit = abs(dev - last) / (0.1 + abs(last))
        last = dev
        if crit < tol:
            break
        if it >= maxiter:
            raise ConvergenceError(f"the Poisson fit did not converge in {maxiter} iterations; "
                                   "look for a place or period whose counts are almost all zero")
    if k:
        Xt = demean(X, fes, wu * mu)
    return beta, mu, Xt, it, last


def fit(design: Design, vcov_type: str = "cluster", *, tol: float = 1e-10,
        maxiter: int = 100) -> PoissonFit:
    """Poisson PML of ``y`` on ``X`` with the design's fixed effects and weights."""
    if vcov_type not in VCOV_TYPES:
        raise InvalidSpecification(f"unknown standard errors {vcov_type!r}")
    y = design.y
    if (y < 0).any() or not np.isfinite(y).all():
        raise InvalidSpecification("counts must be finite and non-negative")
    keep = separated_rows(y, design.fe)
    n_sep = int((~keep).sum())
    d = subset(design, keep)
    if len(d.y) < 2 or not (d.y > 0).any():
        raise NotEnoughResponses("no counts left to fit: every place or period is all zeros")
    if vcov_type == "cluster":
        if d.cluster is None:
            raise InvalidSpecification("clustered standard errors need a cluster column")
        if d.n_clusters < 2:
            raise TooFewClusters(
                f"clustered standard errors need at least 2 clusters, found {d.n_clusters}")
    # Columns swept out by the fixed effects, then linear dependence among the rest,
    # judged on the unweighted within transformation (as for OLS).
    X0 = demean(d.X, d.fe, d.weights)
    raw = np.abs(d.X).max(axis=0) if d.X.size else np.zeros(0)
    alive = [j for j in range(X0.shape[1]) if np.abs(X0[:, j]).max() > 1e-9 * max(raw[j], 1.0)]
    _, sub = _solve_rank(X0[:, alive].T @ X0[:, alive], d.names)
    cols = [alive[i] for i in sub]
    dropped = tuple(d.names[j] for j in range(d.X.shape[1]) if j not in cols)
    names = tuple(d.names[j] for j in cols)
    beta, mu, Xt, iters, dev = irls(d.y, d.X[:, cols], d.fe, d.weights, tol=tol,
                                    maxiter=maxiter)
    w = np.ones(len(d.y)) if d.weights is None else d.weights
    n = d.n_obs
    dk = df_k(d, len(cols), vcov_type)
    if n - dk <= 0:
        raise InvalidSpecification(f"{n} counts cannot identify {dk} parameters")
    bread = np.linalg.inv((Xt * (w * mu)[:, None]).T @ Xt)
    scores = Xt * (w * (d.y - mu))[:, None]
    if vcov_type == "classical":
        V = bread * (n - 1) / (n - dk)
        df_t = n - dk
    elif vcov_type == "hc1":
        V = bread @ (scores.T @ scores) @ bread * (n / (n - dk))
        df_t = n - dk
    else:
        G = d.n_clusters
        assert d.cluster is not None  # clustered inference was chosen because clusters exist
        S = cluster_sums(scores, d.cluster, G)
        V = bread @ (S.T @ S) @ bread * (G / (G - 1)) * ((n - 1) / (n - dk))
        df_t = G - 1
    return PoissonFit(names=names, beta=beta, vcov=V, vcov_type=vcov_type, n_obs=n, df_k=dk,
                      df_t=df_t, n_clusters=d.n_clusters if vcov_type == "cluster" else 0,
                      r2_within=float("nan"), dropped=dropped, mu=mu, keep=keep,
                      n_separated=n_sep, iterations=iters, deviance=dev)

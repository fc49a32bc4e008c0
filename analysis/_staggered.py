"""Staggered-adoption engines for the event study (private).

* Callaway and Sant'Anna (2021), unconditional, for repeated cross-sections
  (a survey asks different residents each wave): every group-time effect
  ``ATT(g, t)`` is a difference of four weighted cell means, and its
  influence function, summed within clusters, gives analytic cluster-robust
  errors.  Aggregations follow R ``did::aggte`` (simple, dynamic, group), with
  the estimated group shares' own influence included.
* Sun and Abraham (2021) interaction-weighted estimator and the conventional
  dynamic two-way fixed-effects regression, both on the within-transformation
  engine.

Without controls every regressor is constant within jurisdiction x wave cells,
so the regressions run on weighted cell means: the coefficients and clustered
scores equal the respondent-level ones exactly, and ``n_rows`` keeps the
small-sample factor at the respondent count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._ols import Design, FixedEffect, fit
from .errors import NoComparisonGroup


@dataclass(frozen=True)
class Panel:
    """Cells (unit x time x cluster) or rows, with the staggered structure."""

    unit: np.ndarray      # codes
    tpos: np.ndarray      # position of the time value in ``times``
    cohort: np.ndarray    # position of the first treated time in ``times``; -1 never
    cluster: np.ndarray   # codes
    n_clusters: int
    W: np.ndarray         # summed weights
    S: np.ndarray         # summed weight * outcome
    n: np.ndarray         # respondents in the cell
    times: np.ndarray

    @property
    def ybar(self) -> np.ndarray:
        return self.S / self.W


def _mean_if(p: Panel, mask: np.ndarray):
    Wm = p.W[mask].sum()
    if Wm <= 0:
        return None
    ybar = p.S[mask].sum() / Wm
    psi = np.bincount(p.cluster[mask], weights=p.S[mask] - p.W[mask] * ybar,
                      minlength=p.n_clusters) / Wm
    return ybar, psi


def cs_group_time(p: Panel, control: str = "never", base: str = "varying",
                  anticipation: int = 0):
    """ATT(g, t) table and cluster influence matrix (G x K).

    ``anticipation`` (waves, R ``did``'s argument): post-event effects and the
    universal base compare with wave ``g - 1 - anticipation``, and not-yet
    treated comparisons must stay untreated ``anticipation`` waves longer."""
    cohorts = np.unique(p.cohort[p.cohort >= 0])
    if control == "never" and not (p.cohort < 0).any():
        raise NoComparisonGroup(
            "no never-treated units (first-treated 0); use control_group='notyet'")
    rows, cols = [], []
    T = len(p.times)
    for g in cohorts:
        in_g = p.cohort == g
        for t in range(T):
            post = t >= g
            b = g - 1 - anticipation if (post or base == "universal") else t - 1
            if b < 0 or (not post and t == b):
                continue
            if control == "never":
                comp = p.cohort < 0
            else:
                comp = (p.cohort < 0) | ((p.cohort > max(t, b) + anticipation)
                                         & (p.cohort != g))
            parts = [_mean_if(p, in_g & (p.tpos == t)), _mean_if(p, in_g & (p.tpos == b)),
                     _mean_if(p, comp & (p.tpos == t)), _mean_if(p, comp & (p.tpos == b))]
            if any(x is None for x in parts):
                continue
            (m1, s1), (m0, s0), (c1, r1), (c0, r0) = parts
            rows.append((int(g), int(t), int(b), (m1 - m0) - (c1 - c0), post))
            cols.append((s1 - s0) - (r1 - r0))
    if not rows:
        raise NoComparisonGroup("no group-time effect has both a base period and a comparison")
    table = pd.DataFrame(rows, columns=["g", "t", "base", "estimate", "post"])
    return table, np.column_stack(cols)


def cs_aggregate(p: Panel, table: pd.DataFrame, psi: np.ndarray):
    """Simple, dynamic (event time) and cohort aggregations with their influence."""
    W_all = p.W.sum()
    cohorts = np.unique(table["g"])
    Wg = np.array([p.W[p.cohort == g].sum() for g in cohorts])
    pg = Wg / W_all
    Wh = np.bincount(p.cluster, weights=p.W, minlength=p.n_clusters)
    psi_p = np.column_stack([
        (np.bincount(p.cluster[p.cohort == g], weights=p.W[p.cohort == g],
                     minlength=p.n_clusters) - pg[i] * Wh) / W_all
        for i, g in enumerate(cohorts)])
    gi = np.searchsorted(cohorts, table["g"].to_numpy())
    att = table["estimate"].to_numpy()

    def weighted(idx):
        w = pg[gi[idx]]
        P = w.sum()
        theta = float(w @ att[idx] / P)
        infl = psi[:, idx] @ (w / P)
        for k, j in zip(idx, gi[idx], strict=False):
            infl = infl + (att[k] - theta) / P * psi_p[:, j]
        return theta, infl

    out = []
    post = np.flatnonzero(table["post"].to_numpy())
    if post.size:
        out.append(("simple", "ATT", np.nan, np.nan, *weighted(post)))
    e = (table["t"] - table["g"]).to_numpy()
    for rel in np.unique(e):
        out.append(("dynamic", f"e={rel}", rel, np.nan, *weighted(np.flatnonzero(e == rel))))
    for g in cohorts:
        idx = np.flatnonzero((table["g"].to_numpy() == g) & table["post"].to_numpy())
        if idx.size:
            out.append(("cohort", f"g={p.times[g]}", np.nan, p.times[g],
                        float(att[idx].mean()), psi[:, idx].mean(axis=1)))
    return out


def cluster_var(psi: np.ndarray, G: int) -> np.ndarray:
    """G/(G-1) * sum of outer products of cluster influence (vector or matrix)."""
    psi = np.atleast_2d(psi.T).T if psi.ndim == 1 else psi
    return (G / (G - 1)) * (psi.T @ psi)


def hotelling(theta: np.ndarray, V: np.ndarray, G: int) -> dict:
    """Joint test of theta = 0 with the few-cluster (Hotelling) F correction."""
    q = len(theta)
    if q == 0:
        return {"statistic": np.nan, "df1": 0, "df2": 0, "p_value": np.nan,
                "note": "no pre-event estimates to test"}
    rank = int(np.linalg.matrix_rank(V))
    if rank < q or G - q < 1:
        return {"statistic": np.nan, "df1": q, "df2": G - q, "p_value": np.nan,
                "note": f"{q} pre-event estimates cannot be tested jointly with {G} clusters"}
    wald = float(theta @ np.linalg.solve(V, theta))
    F = wald / q * (G - q) / (G - 1)
    return {"statistic": F, "df1": q, "df2": G - q, "p_value": float(stats.f.sf(F, q, G - q)),
            "note": "Wald test of all pre-event estimates, F(q, G - q) few-cluster correction"}


def regression(p: Panel, kind: str, control: str, controls: np.ndarray | None = None):
    """Sun-Abraham ("sa") or dynamic TWFE ("twfe"): coefficients, vcov, aggregation."""
    cohort, tpos = p.cohort, p.tpos
    keep = np.ones(len(cohort), bool)
    control_cohort = None
    if kind == "sa" and (control == "notyet" or not (cohort < 0).any()):
        if len(np.unique(cohort[cohort >= 0])) < 2:
            raise NoComparisonGroup("Sun-Abraham needs never-treated units or a later cohort")
        control_cohort = int(cohort.max())
        keep = tpos < control_cohort
    elif not (cohort < 0).any() and kind == "sa":
        raise NoComparisonGroup("no never-treated units")
    e = np.where(cohort >= 0, tpos - cohort, np.iinfo(np.int64).min)
    treated_obs = (cohort >= 0) & (cohort != (control_cohort if control_cohort is not None else -2))
    if kind == "sa":
        key = np.where(treated_obs & (e != -1), cohort * 10_000 + (e + 5_000), -1)
    else:
        key = np.where(treated_obs & (e != -1), e + 5_000, -1)
    key = np.where(keep, key, -1)
    levels = np.unique(key[key >= 0])
    X = np.zeros((int(keep.sum()), len(levels)))
    kk = key[keep]
    rows = np.flatnonzero(kk >= 0)
    X[rows, np.searchsorted(levels, kk[rows])] = 1.0
    names = [f"k{v}" for v in levels]
    if controls is not None:
        X = np.column_stack([X, controls[keep]])
        names += [f"c{i}" for i in range(controls.shape[1])]
    y = p.ybar[keep]
    w = p.W[keep]
    fes = (FixedEffect("unit", *_recode(p.unit[keep])), FixedEffect("time", *_recode(tpos[keep])))
    cl, G = _recode(p.cluster[keep])
    design = Design(y=y, X=X, names=tuple(names), fe=fes, weights=w, cluster=cl, n_clusters=G,
                    n_rows=int(p.n[keep].sum()))
    res = fit(design, "cluster")
    beta = pd.Series(res.beta, index=res.names)
    vcov = pd.DataFrame(res.vcov, index=res.names, columns=res.names)
    # cohort x event-time cell weights for the aggregation
    lev_kept = [v for v in levels if f"k{v}" in beta.index]
    wsum = pd.Series({v: w[kk == v].sum() for v in lev_kept})
    if kind == "sa":
        g_of = {v: v // 10_000 for v in lev_kept}
        e_of = {v: v % 10_000 - 5_000 for v in lev_kept}
    else:
        g_of = {v: -1 for v in lev_kept}
        e_of = {v: v - 5_000 for v in lev_kept}
    return beta, vcov, wsum, g_of, e_of, res, G


def _recode(x):
    c, u = pd.factorize(x, sort=True)
    return c.astype(np.int64), len(u)


def lincomb(beta: pd.Series, vcov: pd.DataFrame, weights: dict) -> tuple[float, float]:
    idx = beta.index.get_indexer([f"k{v}" for v in weights])
    if (idx < 0).any():
        raise KeyError("lincomb: a weighted term is not in the model")
    a = np.array(list(weights.values()), dtype=float)
    est = float(a @ beta.to_numpy()[idx])
    V = vcov.to_numpy()
    var = float(a @ V[np.ix_(idx, idx)] @ a)
    return est, np.sqrt(max(var, 0.0))

"""Pre-trend tests of a staggered DDD gap (private): the F test, and Fisher's.

With a handful of jurisdictions the Wald test of the gap's pre-event estimates
rejects too often (its cluster variance is itself noisy).  Fisher's test does
not lean on that variance: reassign the observed adoption dates across
jurisdictions at random, recompute the same studentised statistic, and count.

The statistic is computed on jurisdiction x wave cell means with the
unconditional Callaway-Sant'Anna engine, once for the subgroup and once for the
others: without covariates the repeated-cross-section DDD group-time effect is
exactly their difference (tests/analysis/test_staggered_ddd.py checks it from
cell means), and each permutation costs milliseconds.  Pre-event gap estimates
are averaged over cohorts by event time with equal weights; any fixed choice
gives a valid permutation test.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ._staggered import Panel, cluster_var, cs_group_time, hotelling
from .errors import AnalysisError


def pretrend_test(theta: np.ndarray, V: np.ndarray, G: int) -> dict:
    """The few-cluster Hotelling test of the pre-event estimates; when their cluster
    covariance is singular (one-jurisdiction cohorts tie estimates together), the same
    test on the estimable subspace: pseudo-inverse Wald with ``q`` = its rank."""
    out = hotelling(theta, V, G)
    if len(theta) == 0 or np.isfinite(out["statistic"]):
        return out
    ev = np.linalg.eigvalsh(V)
    q = int((ev > 1e-10 * max(ev.max(), 1e-300)).sum())
    if q < 1 or G - q < 1:
        return out
    wald = float(theta @ np.linalg.pinv(V, rcond=1e-10, hermitian=True) @ theta)
    F = wald / q * (G - q) / (G - 1)
    return {"statistic": F, "df1": q, "df2": G - q, "p_value": float(stats.f.sf(F, q, G - q)),
            "note": (f"Wald test of the {len(theta)} pre-event estimates on their rank-{q} "
                     "subspace (cluster covariance singular), F(q, G - q) few-cluster correction")}


def _panel(ucode, tpos, ucohort, w, y, times, n_units) -> Panel:
    key = ucode * len(times) + tpos
    W = np.bincount(key, weights=w, minlength=n_units * len(times))
    S = np.bincount(key, weights=w * y, minlength=n_units * len(times))
    n = np.bincount(key, minlength=n_units * len(times)).astype(float)
    cells = np.flatnonzero(W > 0)
    u, t = cells // len(times), cells % len(times)
    return Panel(u, t, ucohort[u], u, n_units, W[cells], S[cells], n[cells], times)


def _wald(p1: Panel, p0: Panel, G: int) -> float:
    t1, s1 = cs_group_time(p1, "never", "universal")
    t0, s0 = cs_group_time(p0, "never", "universal")
    k1 = {(r.g, r.t): i for i, r in enumerate(t1.itertuples())}
    k0 = {(r.g, r.t): i for i, r in enumerate(t0.itertuples())}
    by_e: dict[int, list] = {}
    for key, i in k1.items():
        j = k0.get(key)
        g, t = key
        if j is None or t >= g - 1:
            continue
        by_e.setdefault(t - g, []).append((t1["estimate"].iat[i] - t0["estimate"].iat[j],
                                           s1[:, i] - s0[:, j]))
    if not by_e:
        raise AnalysisError("no pre-event gap estimate to test")
    theta = np.array([np.mean([v[0] for v in vals]) for vals in by_e.values()])
    psi = np.column_stack([np.mean([v[1] for v in vals], axis=0) for vals in by_e.values()])
    V = cluster_var(psi, G)
    return float(theta @ np.linalg.pinv(V, rcond=1e-10, hermitian=True) @ theta)


def gap_pretrend_ri(y, ucode, tpos, ucohort, q, times, *, weights=None, n_perm: int = 199,
                    seed: int = 0) -> dict:
    """Fisher p-value of the gap's pre-trend Wald statistic, adoption dates permuted
    across units (clusters are the units).  ``ucohort``: each unit's cohort position
    (-1 never)."""
    n_units = len(ucohort)
    w = np.ones(len(y)) if weights is None else weights
    one, zero = q == 1, q == 0

    def stat(coh):
        return _wald(_panel(ucode[one], tpos[one], coh, w[one], y[one], times, n_units),
                     _panel(ucode[zero], tpos[zero], coh, w[zero], y[zero], times, n_units),
                     n_units)

    observed = stat(ucohort)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_perm):
        try:
            draws.append(stat(rng.permutation(ucohort)))
        except AnalysisError:
            draws.append(0.0)
    draws_a = np.array(draws)
    p = (1 + np.sum(draws_a >= observed - 1e-12 * max(1.0, observed))) / (1 + n_perm)
    return {"statistic": observed, "p_value": float(p), "n_perm": n_perm, "seed": seed,
            "note": (f"randomization inference: Wald statistic of the pre-event gap "
                     f"estimates against {n_perm} reassignments of the adoption dates across "
                     "jurisdictions (Fisher)")}

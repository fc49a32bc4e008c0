"""Sensitivity to parallel-trends violations, and what the pre-test can see.

* HonestDiD (Rambachan and Roth 2023): confidence sets for the average
  post-event effect (or one event time) when the post-event violation of
  parallel trends is at most ``Mbar`` times the largest pre-event one
  (relative magnitudes) or when the trend's slope changes by at most ``M`` per
  wave (smoothness), with the breakdown value: the largest restriction on the
  grid at which the set still excludes zero.  The intervals are moderndid's
  (``create_sensitivity_results_rm`` / ``_sm``); a test checks them against
  the ``honestdid`` package.
* Power of the pre-trend test against a linear trend (Roth 2022): the slope
  per wave the joint pre-test would detect 50% and 80% of the time.  A pre-test
  that cannot see plausible violations is no evidence of parallel trends, and
  the generated sentence says so with the numbers that ran.

Both work on an event study's coefficients with a universal base period (wave
-1 normalised to zero) and their covariance.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize, stats

from .errors import InvalidSpecification

__all__ = ["honest_sensitivity", "pretest_power"]

MBAR_GRID = (0.5, 1.0, 2.0)
RM_GRID_POINTS = 100


def _split(rel_times, beta, sigma):
    rel = np.asarray(rel_times, dtype=int)
    keep = rel != -1
    rel, beta = rel[keep], np.asarray(beta, dtype=float)[keep]
    sigma = np.asarray(sigma, dtype=float)[np.ix_(keep, keep)]
    order = np.argsort(rel)
    rel, beta, sigma = rel[order], beta[order], sigma[np.ix_(order, order)]
    n_pre, n_post = int((rel < 0).sum()), int((rel >= 0).sum())
    if n_pre < 1 or n_post < 1:
        raise InvalidSpecification("HonestDiD needs at least one pre-event estimate besides the "
                                   "base wave -1 and one post-event estimate")
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(sigma))):
        raise InvalidSpecification("HonestDiD needs finite event-study estimates and covariance")
    return rel, beta, sigma, n_pre, n_post


def pretest_power(rel_times, beta, sigma, n_clusters: int, alpha: float = 0.05) -> dict:
    """Slopes of a linear pre-trend (per wave, zero at wave -1) the joint pre-test
    detects with 50% and 80% power.

    The pre-test is the Wald test of all pre-event estimates (wave -1 excluded),
    F(q, G - q) when the clusters allow it, else chi-square(q).
    """
    rel, b, S, n_pre, _ = _split(rel_times, beta, sigma)
    pre = rel < 0
    V = S[np.ix_(pre, pre)]
    slope_dir = (rel[pre] + 1).astype(float)           # delta_e = slope * (e + 1)
    lam1 = float(slope_dir @ np.linalg.pinv(V) @ slope_dir)  # noncentrality at slope 1
    q, G = n_pre, int(n_clusters)
    if G - q >= 1:
        crit = stats.f.isf(alpha, q, G - q)

        def power(lam):
            return float(stats.ncf.sf(crit, q, G - q, lam))
        test = f"F({q}, {G - q})"
    else:
        crit = stats.chi2.isf(alpha, q)

        def power(lam):
            return float(stats.ncx2.sf(crit, q, lam))
        test = f"chi-square({q})"
    out = {"test": test, "n_pre": q, "alpha": alpha}
    for target in (0.5, 0.8):
        lam = optimize.brentq(lambda x, t=target: power(x) - t, 1e-9, 1e6)
        out[f"slope_{int(target * 100)}"] = float(np.sqrt(lam / lam1)) if lam1 > 0 else np.inf
    return out


def honest_sensitivity(
    rel_times,
    beta,
    sigma,
    *,
    n_clusters: int,
    target: str | int = "average",
    mbar: tuple[float, ...] = MBAR_GRID,
    m: tuple[float, ...] | None = None,
    alpha: float = 0.05,
    relative_magnitudes: bool = True,
) -> dict:
    """HonestDiD bounds for the average post-event effect (or event time ``target``).

    Parameters
    ----------
    rel_times, beta, sigma
        Event times, estimates and their covariance (wave -1, if present, is the
        base and is dropped).
    n_clusters : int
        Clusters behind ``sigma`` (for the pre-test power).
    target : "average" or int
        The average of the post-event estimates, or one event time.
    mbar : tuple of float
        Relative-magnitude bounds (post violation <= Mbar x largest pre one).
    m : tuple of float, optional
        Smoothness bounds (change of slope per wave); default: multiples of the
        pre-event estimates' standard error.
    alpha : float
        1 - confidence level.
    relative_magnitudes : bool
        Relative magnitudes are the slow part (an LP over a grid); off skips them.

    Returns
    -------
    dict
        ``bounds`` (records: restriction, M, ci_low, ci_high), ``breakdown``
        (largest M on each grid whose set excludes 0, or None), ``pretest_power``
        and ``sentences`` (plain-language summary generated from what ran).
    """
    import moderndid

    rel, b, S, n_pre, n_post = _split(rel_times, beta, sigma)
    post_rel = rel[rel >= 0]
    if target == "average":
        lvec = np.full(n_post, 1.0 / n_post)
        label = "average post-event effect"
    else:
        if int(target) not in post_rel:
            raise InvalidSpecification(f"no post-event estimate at event time {target}")
        lvec = (post_rel == int(target)).astype(float)
        label = f"effect at event time {int(target)}"
    if m is None:
        sd = float(np.sqrt(np.mean(np.diag(S)[: n_pre])))
        m = (0.0, 0.25 * sd, 0.5 * sd, sd)
    rows: list[dict] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        orig = moderndid.construct_original_cs(b, S, n_pre, n_post, l_vec=lvec, alpha=alpha)
        rows.append({"restriction": "none (parallel trends)", "M": 0.0,
                     "ci_low": float(orig.lb), "ci_high": float(orig.ub)})
        sm = moderndid.create_sensitivity_results_sm(b, S, n_pre, n_post, m_vec=np.array(m),
                                                     l_vec=lvec, alpha=alpha)
        for r in sm.iter_rows(named=True):
            rows.append({"restriction": "smoothness", "M": float(r["m"]),
                         "ci_low": float(r["lb"]), "ci_high": float(r["ub"])})
        if relative_magnitudes:
            rm = moderndid.create_sensitivity_results_rm(
                b, S, n_pre, n_post, m_bar_vec=np.array(mbar), l_vec=lvec, alpha=alpha,
                grid_points=RM_GRID_POINTS)
            for r in rm.iter_rows(named=True):
                rows.append({"restriction": "relative magnitudes", "M": float(r["Mbar"]),
                             "ci_low": float(r["lb"]), "ci_high": float(r["ub"])})
    breakdown: dict[str, float | None] = {}
    for kind in ("smoothness", "relative magnitudes"):
        ks = [r for r in rows if r["restriction"] == kind]
        if not ks:
            continue
        excl = [r["M"] for r in ks if r["ci_low"] > 0 or r["ci_high"] < 0]
        # breakdown: the largest grid value up to which every set excludes zero
        ok = None
        for r in sorted(ks, key=lambda r: r["M"]):
            if r["M"] in excl:
                ok = r["M"]
            else:
                break
        breakdown[kind] = ok
    power = pretest_power(rel, b, S, n_clusters, alpha)
    sentences = _sentences(label, rows, breakdown, power, mbar, m)
    return {"target": label, "bounds": rows, "breakdown": breakdown, "pretest_power": power,
            "sentences": sentences, "alpha": alpha}


def _sentences(label, rows, breakdown, power, mbar, m) -> list[str]:
    out = []
    orig = rows[0]
    excludes = orig["ci_low"] > 0 or orig["ci_high"] < 0
    out.append(f"Under exact parallel trends the {label} has the interval "
               f"[{orig['ci_low']:.3f}, {orig['ci_high']:.3f}], which "
               f"{'excludes' if excludes else 'includes'} zero.")
    if "relative magnitudes" in breakdown:
        bd = breakdown["relative magnitudes"]
        out.append(
            "Relative magnitudes: " + (
                f"the effect stays distinguishable from zero if post-event violations are at "
                f"most {bd:g} times the largest pre-event one (largest Mbar tried: {max(mbar):g})."
                if bd is not None else
                f"already at Mbar = {min(mbar):g} (post-event violations up to "
                f"{min(mbar):g} times the largest pre-event one) the interval includes zero."))
    bd = breakdown.get("smoothness")
    out.append("Smoothness: " + (
        f"the effect stays distinguishable from zero if the trend's slope changes by at most "
        f"{bd:.3g} per wave (grid up to {max(m):.3g})." if bd is not None else
        "with no change of slope allowed beyond a linear extrapolation of the pre-trend "
        "the interval already includes zero." if m and min(m) == 0 else
        "the interval includes zero at every M tried."))
    out.append(
        f"The pre-trend test ({power['test']}, {power['n_pre']} pre-event estimates) would "
        f"detect a linear trend of {power['slope_80']:.3g} per wave only 80% of the time, and one "
        f"of {power['slope_50']:.3g} per wave only half the time: not rejecting it is no proof "
        "of parallel trends (Roth 2022); read the bounds above instead.")
    return out

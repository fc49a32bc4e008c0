"""Inference for the Callaway-Sant'Anna event study (private).

The point estimates come from :mod:`analysis._staggered`; this module decides
how honest intervals are drawn around them and says which ran:

``cluster``    analytic cluster-robust errors from the influence functions,
               t(G - 1), Hotelling pre-trend test;
``bootstrap``  jurisdiction-level multiplier bootstrap of the influence
               functions (R ``did`` with ``bstrap`` and ``clustervars``):
               bootstrap-t intervals for every aggregation, sup-t uniform
               bands over event times and a bootstrap Wald pre-trend test;
``ri``         randomization inference, permuting adoption dates across
               jurisdictions (:mod:`analysis._ri`): test inversion under a
               constant effect for post-event rows, Conley-Taber intervals for
               pre-event rows, a permutation Wald pre-trend test and sup-t
               bands from the placebo distribution.

``auto`` picks ``ri`` when fewer than five jurisdictions are treated or
untreated (a cluster variance cannot see the treated side's shocks; MacKinnon
and Webb), ``bootstrap`` otherwise.  In ``cluster`` and ``bootstrap`` a row
resting on a single treated jurisdiction gets no interval at all: its cluster
variance term is exactly zero, so any interval would pretend to a precision
nobody measured.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from . import _adoption, _ri
from ._staggered import Panel, hotelling
from .errors import InvalidSpecification

MODES = ("auto", "cluster", "bootstrap", "wild", "ri")
SMALL_COHORT = 5
_STAT_COLS = ["se", "statistic", "p_value", "ci_low", "ci_high"]


def _row_masks(table: pd.DataFrame, aggs: list, times: np.ndarray) -> list[np.ndarray]:
    """For each aggregation row, which group-time rows it averages."""
    g, t, post = table["g"].to_numpy(), table["t"].to_numpy(), table["post"].to_numpy()
    e = t - g
    out = []
    for agg, _term, rel, coh, *_ in aggs:
        if agg == "simple":
            out.append(post.astype(bool))
        elif agg == "dynamic":
            out.append(e == rel)
        else:   # cohort (times value): post rows of that cohort
            out.append(post.astype(bool) & (g == int(np.searchsorted(times, coh))))
    return out


def _treated_clusters(p: Panel, table: pd.DataFrame, masks: list[np.ndarray]) -> list[int]:
    out = []
    for m in masks:
        cohorts = np.unique(table["g"].to_numpy()[m])
        out.append(len(np.unique(p.cluster[np.isin(p.cohort, cohorts)])))
    return out


def choose(mode: str, n_treated: int, n_control: int, estimator: str) -> tuple[str, str]:
    """The inference that runs, and why."""
    if mode not in MODES:
        raise InvalidSpecification(f"inference must be one of {', '.join(MODES)}")
    if mode == "wild":
        mode = "bootstrap"
    if estimator != "cs":
        if mode in ("ri", "bootstrap"):
            raise InvalidSpecification(
                f"inference={mode!r} is available for estimator='cs' only")
        return "cluster", f"estimator {estimator!r}: analytic cluster-robust errors"
    if mode != "auto":
        return mode, "requested"
    few = min(n_treated, n_control)
    if few < _ri.FEW_TREATED:
        side = "treated" if n_treated <= n_control else "untreated"
        return "ri", (f"only {few} {side} jurisdictions (fewer than {_ri.FEW_TREATED}): cluster "
                      "variances and the wild bootstrap cannot see the treated side's shocks, "
                      "so adoption dates are permuted across jurisdictions")
    return "bootstrap", (f"{n_treated} treated and {n_control} untreated jurisdictions: "
                         "jurisdiction-level multiplier bootstrap")


def apply(tidy: pd.DataFrame, p: Panel, table: pd.DataFrame, psi: np.ndarray, aggs: list,
          mode: str, reason: str, *, alpha: float, n_boot: int, seed, control: str,
          n_units: int) -> tuple[pd.DataFrame, dict, dict, list[str]]:
    """Replace the Callaway-Sant'Anna rows' inference; return (tidy, pretrend, info, notes)."""
    K = len(table)
    masks = _row_masks(table, aggs, p.times)
    tidy = tidy.copy()
    tidy["band_low"] = np.nan
    tidy["band_high"] = np.nan
    notes: list[str] = []
    cohorts = np.unique(table["g"].to_numpy())
    small = [(p.times[g], len(np.unique(p.cluster[p.cohort == g]))) for g in cohorts]
    small = [(g, n) for g, n in small if n < SMALL_COHORT]
    if small:
        notes.append("small cohorts (fewer than 5 jurisdictions): " + ", ".join(
            f"g={g} ({n})" for g, n in small) + "; their effects rest on few places")
    info = {"method": mode, "reason": reason, "n_clusters": int(p.n_clusters),
            "n_jurisdictions": n_units}
    dyn = [i for i, a in enumerate(aggs) if a[0] == "dynamic"]
    pre_rows = [i for i in dyn if aggs[i][2] < 0]
    if mode == "ri":
        tidy, pre = _apply_ri(tidy, p, table, aggs, masks, alpha, n_boot, seed, control,
                              dyn, pre_rows, info)
        return tidy, pre, info, notes
    gt_masks = [np.arange(K) == k for k in range(K)]
    n_cl = _treated_clusters(p, table, gt_masks + masks)
    lonely = [i for i, n in enumerate(n_cl) if n < 2]
    if mode == "bootstrap":
        pre = _apply_bootstrap(tidy, psi, table, aggs, K, alpha, n_boot, seed, dyn,
                               [i for i in pre_rows if K + i not in lonely], p.n_clusters, info)
    else:
        pre = None
    if lonely and mode == "cluster" and pre_rows:
        pre = hotelling(np.array([tidy.at[K + i, "estimate"] for i in pre_rows
                                  if K + i not in lonely]),
                        _cluster_cov(psi, aggs, [i for i in pre_rows if K + i not in lonely],
                                     p.n_clusters), p.n_clusters)
    if lonely:
        tidy.loc[lonely, _STAT_COLS + ["band_low", "band_high"]] = np.nan
        notes.append(f"{len(lonely)} estimates rest on a single treated jurisdiction: no "
                     "interval is shown (its cluster variance term is exactly zero); use "
                     "inference='ri'")
    return tidy, pre, info, notes


def _cluster_cov(psi, aggs, rows, G) -> np.ndarray:
    if not rows:
        return np.zeros((0, 0))
    infl = np.column_stack([aggs[i][5] for i in rows])
    return (G / (G - 1)) * (infl.T @ infl)


def _apply_bootstrap(tidy, psi, table, aggs, K, alpha, n_boot, seed, dyn, pre_rows, G,
                     info) -> dict:
    infl = np.column_stack([psi] + [a[5] for a in aggs])        # (G, K + A)
    rng = np.random.default_rng(seed)
    V = rng.choice(np.array([-1.0, 1.0]), size=(int(n_boot), G))   # Rademacher, R did
    boot = V @ infl * np.sqrt(G / (G - 1))                       # (B, K + A) draws of est - theta
    q = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)
    se = (np.quantile(boot, 0.75, axis=0) - np.quantile(boot, 0.25, axis=0)) / q
    se = np.where(se > 1e-14, se, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        tstar = np.abs(boot) / se
    # few-cluster correction: bootstrap-t critical values scaled by t(G-1) / normal (the
    # Rademacher draws of G clusters are close to normal; the estimated variance is not)
    tfix = stats.t.ppf(1 - alpha / 2, G - 1) / stats.norm.ppf(1 - alpha / 2)
    with warnings.catch_warnings():   # an estimate with no spread (a constant share) has no draws
        warnings.simplefilter("ignore", RuntimeWarning)
        crit = np.nanquantile(tstar, 1 - alpha, axis=0) * tfix
    n = K + len(aggs)
    est = tidy["estimate"].to_numpy(dtype=float)[:n]
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
        pval = np.mean(tstar * tfix >= np.abs(stat)[None, :] - 1e-12, axis=0)
    out = {"se": se, "statistic": stat, "p_value": pval, "ci_low": est - crit * se,
           "ci_high": est + crit * se, "band_low": np.full(n, np.nan),
           "band_high": np.full(n, np.nan)}
    cols = [K + i for i in dyn if np.isfinite(tstar[:, K + i]).any()]
    if cols:
        sup = np.nanmax(tstar[:, cols], axis=1)
        c_u = float(np.nanquantile(sup, 1 - alpha)) * tfix
        out["band_low"][cols] = est[cols] - c_u * se[cols]
        out["band_high"][cols] = est[cols] + c_u * se[cols]
        info["uniform_critical_value"] = c_u
    _write(tidy, out)
    info.update(n_draws=int(n_boot), weights="rademacher", seed=seed)
    pcols = [K + i for i in pre_rows]
    if not pcols:
        return hotelling(np.array([]), np.zeros((0, 0)), G)
    B = boot[:, pcols]
    Sig = np.cov(B, rowvar=False).reshape(len(pcols), len(pcols))
    Sinv = np.linalg.pinv(Sig)
    q = len(pcols)
    if G - q < 1:
        return hotelling(est[pcols], Sig, G)
    F = float(est[pcols] @ Sinv @ est[pcols]) / q * (G - q) / (G - 1)
    return {"statistic": F, "df1": q, "df2": G - q, "p_value": float(stats.f.sf(F, q, G - q)),
            "note": f"Wald test of all pre-event estimates, covariance from {int(n_boot)} "
                    "jurisdiction-level multiplier draws, F(q, G - q) few-cluster correction"}


def _apply_ri(tidy, p, table, aggs, masks, alpha, n_perm, seed, control, dyn, pre_rows,
              info):
    J = int(p.unit.max()) + 1
    T = len(p.times)
    W, S = _ri.tables(p.unit, p.tpos, p.W, p.ybar, J, T)
    first = np.full(J, -1, dtype=np.int64)
    first[p.unit] = p.cohort
    A, enumerated, total = _adoption.adoption_assignments(first, max(int(n_perm), 19), seed)
    D = _ri.treatment(first, T)
    att_y = _ri.cs_statistics(W, S, A, table, control)
    att_d = _ri.cs_statistics(W, W * D, A, table, control)
    pg = _ri.cs_weights(W, A, table)
    post = table["post"].to_numpy().astype(bool)
    agg_y = _stack(att_y, pg, aggs, masks)
    agg_d = _stack(att_d, pg, aggs, masks)
    all_y = np.column_stack([att_y, agg_y])
    all_d = np.column_stack([att_d, agg_d])
    is_post = np.r_[post, [a[0] == "simple" or (a[0] == "dynamic" and a[2] >= 0)
                           or a[0] == "cohort" for a in aggs]]
    # placebo distribution with the estimated effects removed (for pre rows, bands, Wald)
    E = np.zeros((J, T))
    for k in np.flatnonzero(post):
        g, t = int(table["g"].iat[k]), int(table["t"].iat[k])
        E[first == g, t] = table["estimate"].iat[k]
    att0 = _ri.cs_statistics(W, S - W * E, A, table, control)
    plac = np.column_stack([att0, _stack(att0, pg, aggs, masks)])
    K = len(table)
    n = K + len(aggs)
    est = tidy["estimate"].to_numpy(dtype=float)[:n]
    sd = np.nanstd(plac, axis=0)
    out = {c: np.full(n, np.nan) for c in _STAT_COLS + ["band_low", "band_high"]}
    for i in range(n):
        if not np.isfinite(all_y[:, i]).all():
            continue
        if is_post[i]:
            pv, lo, hi = _adoption.invert_shift(est[i], all_y[:, i], all_d[:, i], alpha,
                                                scale=sd[i])
        else:   # Conley-Taber: the placebo estimates are draws of the estimation error
            pv = _adoption.abs_p(est[i], plac[:, i])
            lo = est[i] - np.quantile(plac[:, i], 1 - alpha / 2)
            hi = est[i] - np.quantile(plac[:, i], alpha / 2)
        out["se"][i], out["p_value"][i], out["ci_low"][i], out["ci_high"][i] = sd[i], pv, lo, hi
        out["statistic"][i] = est[i] / sd[i] if sd[i] > 0 else np.nan
    cols = [K + i for i in dyn]
    if cols and np.isfinite(plac[:, cols]).all():
        scaled = sd[cols] > 0   # an event time with no spread across draws (a constant share) has no band
        if scaled.any():
            keep = [c for c, ok in zip(cols, scaled, strict=True) if ok]
            Z = np.abs(plac[:, keep]) / sd[keep]
            c_u = float(np.quantile(Z.max(axis=1), 1 - alpha))
            out["band_low"][keep] = est[keep] - c_u * sd[keep]
            out["band_high"][keep] = est[keep] + c_u * sd[keep]
            info["uniform_critical_value"] = c_u
    _write(tidy, out)
    info.update(n_draws=int(len(A)), enumerated=bool(enumerated), n_distinct=int(total),
                n_treated=int((first >= 0).sum()), n_control=int((first < 0).sum()), seed=seed,
                null="a constant effect on every treated cell (post-event rows); placebo "
                     "estimates with the estimated effects removed (pre-event rows, bands)")
    pcols = [K + i for i in pre_rows]
    if not pcols or not np.isfinite(plac[:, pcols]).all():
        return tidy, hotelling(np.array([]), np.zeros((0, 0)), p.n_clusters)
    Pm = plac[:, pcols]
    Sinv = np.linalg.pinv(np.cov(Pm, rowvar=False).reshape(len(pcols), len(pcols)))
    w_all = np.einsum("bi,ij,bj->b", Pm, Sinv, Pm)
    w_obs = float(est[pcols] @ Sinv @ est[pcols])
    pre = {"statistic": w_obs, "df1": len(pcols), "df2": None,
           "p_value": float(np.mean(w_all >= w_obs - 1e-9 * max(1.0, w_obs))),
           "note": f"randomization Wald test of all pre-event estimates ({len(A)} "
                   f"{'enumerated ' if enumerated else ''}adoption permutations)"}
    return tidy, pre


def _stack(att, pg, aggs, masks) -> np.ndarray:
    cols = []
    for (agg, *_), m in zip(aggs, masks, strict=True):
        if agg == "cohort":
            cols.append(_ri.cohort_mean(att, [m])[:, 0])
        else:
            cols.append(_ri.aggregate(att, pg, [m])[:, 0])
    return np.column_stack(cols)


def _write(tidy: pd.DataFrame, cols: dict) -> None:
    """Overwrite the first rows' inference columns in one assignment per column."""
    for c, v in cols.items():
        full = tidy[c].to_numpy(dtype=float, copy=True)
        full[: len(v)] = v
        tidy[c] = full

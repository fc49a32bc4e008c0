"""Randomization inference for the survey estimators (private).

With few treated jurisdictions a cluster variance has almost nothing to
estimate the treated side's shocks from (a one-jurisdiction cohort has none:
its cluster influence is exactly zero), and the wild cluster bootstrap
over-rejects (MacKinnon and Webb 2017, 2020).  Randomization inference
(Fisher; Conley and Taber 2011) asks instead: had the same adoption dates
fallen on other jurisdictions, how often would the estimate be as far from the
hypothesised effect?  The assignments come from :mod:`analysis._adoption`
(the one home of adoption permutations); this module computes, for every
assignment at once, the statistics of

* the two-way fixed-effects DiD (``did`` with ``unit``/``time``) on
  jurisdiction x wave cells;
* the triple difference, which with ``unit^time``, ``unit^subgroup`` and
  ``time^subgroup`` effects is exactly a weighted two-way DiD of the
  within-cell subgroup gap ``r = ybar_1 - ybar_0`` with weights
  ``H = W_1 W_0 / (W_1 + W_0)``;
* Callaway and Sant'Anna's group-time effects and their aggregations.

Every statistic is linear in the outcome for fixed weights, so its value on
``y - b D`` is ``stat(y) - b stat(D)``: the test of any constant effect ``b``
costs nothing more, and intervals come from inverting it
(:func:`analysis._adoption.invert_shift`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _adoption

FEW_TREATED = 5


@dataclass(frozen=True)
class Cells:
    """Jurisdiction x wave tables: summed weights ``W`` and weighted outcome ``S``."""

    W: np.ndarray          # (J, T)
    S: np.ndarray          # (J, T)
    first: np.ndarray      # (J,) position of the first treated wave, -1 never
    units: np.ndarray      # jurisdiction labels

    @property
    def n_treated(self) -> int:
        return int((self.first >= 0).sum())

    @property
    def n_control(self) -> int:
        return int((self.first < 0).sum())


def adoption_from_indicator(unit: np.ndarray, tpos: np.ndarray, d: np.ndarray, J: int,
                            T: int) -> np.ndarray | None:
    """First treated position per unit from a 0/1 treatment, or None if not an adoption.

    An adoption design switches each unit on once and never off; anything
    else (treatment that stops, varies within a cell) cannot be permuted as
    adoption dates.
    """
    seen = np.zeros((J, T), bool)
    on = np.zeros((J, T))
    seen[unit, tpos] = True
    np.add.at(on, (unit, tpos), d)
    count = np.zeros((J, T))
    np.add.at(count, (unit, tpos), 1.0)
    with np.errstate(invalid="ignore"):
        share = np.where(seen, on / np.maximum(count, 1), np.nan)
    if np.any((share > 0) & (share < 1)):
        return None
    first = np.full(J, -1, dtype=np.int64)
    for j in range(J):
        hit = np.flatnonzero(share[j] == 1)
        if hit.size:
            first[j] = hit[0]
            obs = np.flatnonzero(seen[j])
            if not np.array_equal(share[j, obs] == 1, obs >= hit[0]):
                return None
    return first


def tables(unit: np.ndarray, tpos: np.ndarray, w: np.ndarray, y: np.ndarray, J: int,
           T: int) -> tuple[np.ndarray, np.ndarray]:
    W = np.zeros((J, T))
    S = np.zeros((J, T))
    np.add.at(W, (unit, tpos), w)
    np.add.at(S, (unit, tpos), w * y)
    return W, S


def treatment(first: np.ndarray, T: int) -> np.ndarray:
    """(..., J, T) 0/1 treatment of each assignment in ``first`` (..., J)."""
    t = np.arange(T)
    f = first[..., None]
    return ((f >= 0) & (t >= f)).astype(float)


def _two_way_demean(X: np.ndarray, H: np.ndarray, tol: float = 1e-11,
                    maxiter: int = 10_000) -> np.ndarray:
    """Weighted unit and time demeaning of ``X`` (P, J, T) with weights ``H`` (J, T)."""
    X = X.copy()
    Hr = H.sum(axis=1)
    Hc = H.sum(axis=0)
    Hr = np.where(Hr > 0, Hr, 1.0)
    Hc = np.where(Hc > 0, Hc, 1.0)
    for _ in range(maxiter):
        X -= ((X * H).sum(axis=2) / Hr)[..., None]
        delta = (X * H).sum(axis=1) / Hc
        X -= delta[:, None, :]
        if np.max(np.abs(delta)) < tol:
            break
    return X


def twfe_statistics(H: np.ndarray, r: np.ndarray, first_obs: np.ndarray,
                    assignments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TWFE coefficient of every assigned treatment on ``r`` and on the observed ``D``.

    ``H`` (J, T) are cell weights (0 for missing cells), ``r`` (J, T) cell
    outcomes, ``assignments`` (P, J) first treated positions.  Returns
    ``(stat_y, stat_d)``; ``stat_d[0] == 1`` when row 0 is the observed one.
    """
    T = H.shape[1]
    Dp = treatment(assignments, T)
    Dt = _two_way_demean(Dp, H)
    den = np.einsum("pjt,jt,pjt->p", Dt, H, Dp)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat_y = np.einsum("pjt,jt,jt->p", Dt, H, np.where(H > 0, r, 0.0)) / den
        stat_d = np.einsum("pjt,jt,jt->p", Dt, H, treatment(first_obs, T)) / den
    return stat_y, stat_d


def ddd_cells(unit, tpos, sub, w, y, J, T) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``H`` and subgroup gaps ``r`` per jurisdiction x wave (see module doc)."""
    W1, S1 = tables(unit[sub == 1], tpos[sub == 1], w[sub == 1], y[sub == 1], J, T)
    W0, S0 = tables(unit[sub == 0], tpos[sub == 0], w[sub == 0], y[sub == 0], J, T)
    both = (W1 > 0) & (W0 > 0)
    H = np.where(both, W1 * W0 / np.where(both, W1 + W0, 1.0), 0.0)
    r = np.where(both, S1 / np.where(W1 > 0, W1, 1.0) - S0 / np.where(W0 > 0, W0, 1.0), 0.0)
    return H, r


def linear_ri(H: np.ndarray, r: np.ndarray, first: np.ndarray, *, alpha: float,
              n_perm: int, seed) -> dict:
    """Permutation test and interval for the TWFE DiD (or DDD gap) coefficient."""
    assignments, enumerated, total = _adoption.adoption_assignments(first, n_perm, seed)
    stat_y, stat_d = twfe_statistics(H, r, first, assignments)
    est = float(stat_y[0])
    p, lo, hi = _adoption.invert_shift(est, stat_y, stat_d, alpha)
    return {"method": "randomization", "estimate": est, "p_value": p, "ci_low": lo,
            "ci_high": hi, "n_assignments": int(len(assignments)), "enumerated": enumerated,
            "n_distinct": int(total), "n_treated": int((first >= 0).sum()),
            "n_control": int((first < 0).sum()),
            "null": "a constant effect on every treated cell (sharp null)"}


# ---------------------------------------------------------------- Callaway-Sant'Anna


def cs_statistics(W: np.ndarray, S: np.ndarray, assignments: np.ndarray, table: pd.DataFrame,
                  control: str = "never") -> np.ndarray:
    """ATT(g, t) of every assignment: (P, K) for the K rows of ``table``.

    ``table`` holds the observed group-time rows (``g``, ``t``, ``base``);
    permutations keep the multiset of dates, so every assignment has the same
    rows.  Means of the cohort and comparison cells are weighted by ``W``.
    """
    cohorts = np.unique(table["g"].to_numpy())
    M = (assignments[:, None, :] == cohorts[None, :, None]).astype(float)   # (P, C, J)
    CW = np.einsum("pcj,jt->pct", M, W)
    CS = np.einsum("pcj,jt->pct", M, S)
    never = (assignments < 0).astype(float)
    T = W.shape[1]
    if control == "never":
        NW = np.einsum("pj,jt->pt", never, W)[:, None, :]                   # (P, 1, T)
        NS = np.einsum("pj,jt->pt", never, S)[:, None, :]
    else:   # comparison for threshold m: never treated or first treated after m
        later = never[:, None, :] + ((assignments[:, None, :] > np.arange(T)[None, :, None])
                                     & (assignments[:, None, :] >= 0))
        NW = np.einsum("pmj,jt->pmt", later, W)                             # (P, T, T)
        NS = np.einsum("pmj,jt->pmt", later, S)
    out = np.empty((len(assignments), len(table)))
    gi = np.searchsorted(cohorts, table["g"].to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, (g, t, b) in enumerate(table[["g", "t", "base"]].to_numpy()):
            c = gi[k]
            m1 = CS[:, c, t] / CW[:, c, t]
            m0 = CS[:, c, b] / CW[:, c, b]
            if control == "never":
                cw1, cs1, cw0, cs0 = NW[:, 0, t], NS[:, 0, t], NW[:, 0, b], NS[:, 0, b]
            else:
                m = max(t, b)
                own = (g > m)   # cohort g is "not yet treated" at m: leave it out
                cw1 = NW[:, m, t] - own * CW[:, c, t]
                cs1 = NS[:, m, t] - own * CS[:, c, t]
                cw0 = NW[:, m, b] - own * CW[:, c, b]
                cs0 = NS[:, m, b] - own * CS[:, c, b]
            out[:, k] = (m1 - m0) - (cs1 / cw1 - cs0 / cw0)
    return out


def cs_weights(W: np.ndarray, assignments: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """(P, K) group shares ``P(G = g)`` of each row's cohort under each assignment."""
    cohorts = np.unique(table["g"].to_numpy())
    tot = W.sum(axis=1)                                                      # (J,)
    share = (assignments[:, None, :] == cohorts[None, :, None]) @ tot / W.sum()   # (P, C)
    return share[:, np.searchsorted(cohorts, table["g"].to_numpy())]


def aggregate(att: np.ndarray, pg: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    """(P, A): group-share weighted means of ``att`` over each row mask (R ``aggte``)."""
    cols = []
    for m in masks:
        w = pg * m[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            cols.append((att * w).sum(axis=1) / w.sum(axis=1))
    return np.column_stack(cols)


def cohort_mean(att: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    return np.column_stack([att[:, m].mean(axis=1) for m in masks])

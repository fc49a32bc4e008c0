"""Runner shared by the count designs (private): input checks, cells, fit, inference.

The public functions of :mod:`analysis.counts` validate their arguments and
build the cells; :func:`run` fits one PPML effect, chooses the inference
(randomization inference permuting adoption dates with few places, CRV1
otherwise), and packs a :class:`CountEffectResult`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _prep
from ._adoption import adoption_assignments
from ._count_ri import Blocks, assignment_matrix, randomization_inference
from ._ols import Design, FixedEffect
from ._poisson import fit as poisson_fit
from ._poisson import subset
from .count_results import CountEffectResult
from .errors import InvalidSpecification, NoComparisonGroup, NotEnoughResponses
from .offences import group_label

SE_TYPES = ("auto", "ri", "cluster", "hc1", "classical")
FEW_CLUSTERS = 30
NEVER = np.iinfo(np.int64).max // 4


def sorted_periods(values: pd.Series) -> np.ndarray:
    vals = pd.unique(values.dropna())
    try:
        return np.sort(np.asarray(vals))
    except TypeError:
        raise InvalidSpecification("periods must be all numbers or all text (e.g. 2017-03)") from None


def check_common(data, se: str, alpha: float, n_perm: int) -> None:
    _prep.require_frame(data)
    if se not in SE_TYPES:
        raise InvalidSpecification(f"se must be one of {', '.join(SE_TYPES)}, got {se!r}")
    if not 0 < alpha < 1:
        raise InvalidSpecification(f"alpha must be in (0, 1), got {alpha}")
    if int(n_perm) < 19:
        raise InvalidSpecification(f"n_perm must be at least 19, got {n_perm}")


def counts_of(df: pd.DataFrame, count: str) -> np.ndarray:
    y = _prep.numeric(df, count, "count")
    bad = np.isnan(y) | (y < 0) | ~np.isfinite(np.nan_to_num(y, nan=0.0))
    if bad.any():
        raise InvalidSpecification(f"count column {count!r} must hold non-negative numbers "
                                   f"(e.g. {df[count].iloc[int(np.flatnonzero(bad)[0])]!r})")
    return y


def design_table(data: pd.DataFrame, unit: str, time: str, treated: str, post: str,
                  cluster: str) -> pd.DataFrame:
    """One row per place x period with D = treated x post and the cluster."""
    df = data[list(dict.fromkeys([unit, time, treated, post, cluster]))].dropna()
    if df.empty:
        raise NotEnoughResponses("no rows with place, period, treated and post all present")
    for c, role in ((treated, "treated"), (post, "post")):
        df[c] = _prep.binary(df, c, role)
    g = df.groupby([unit, time], sort=True)
    lo, hi = g[[treated, post]].min(), g[[treated, post]].max()
    if (lo != hi).any().any():
        raise InvalidSpecification(f"{treated!r} and {post!r} must be constant within each "
                                   "place and period")
    cl = g[cluster].nunique()
    if (cl > 1).any():
        raise InvalidSpecification(f"cluster {cluster!r} must be constant within each place "
                                   "and period")
    out = lo.reset_index()
    out["_D"] = out[treated] * out[post]
    out["_cluster"] = g[cluster].first().to_numpy()
    _prep.require_varies(out["_D"].to_numpy(), f"{treated} x {post}", "treatment")
    if not (out[treated] == 0).any():
        raise NoComparisonGroup("every place is treated: no comparison places")
    return out


def select_rows(data, count, group, category, groups, categories):
    keep = np.ones(len(data), dtype=bool)
    parts = []
    if groups is not None:
        groups = [groups] if isinstance(groups, str) else list(groups)
        keep &= data[group].isin(groups).to_numpy()
        parts.append(", ".join(group_label(g) for g in groups))
    if categories is not None:
        categories = [categories] if isinstance(categories, str) else list(categories)
        keep &= data[category].isin(categories).to_numpy()
        parts.append(", ".join(str(c).replace("_", " ") for c in categories))
    sub = data.loc[keep]
    if sub.empty or not (counts_of(sub, count) > 0).any():
        raise NotEnoughResponses("no reports in the selected victim groups and categories")
    return sub, "police reports" + (f" ({'; '.join(parts)})" if parts else "")


def place_period(data, count, unit, time, treated, post, cluster, group, category, groups,
                  categories):
    """Reports of the selection summed per place and period (absent = 0), with D and cluster."""
    design = design_table(data, unit, time, treated, post, cluster)
    sub, outcome = select_rows(data, count, group, category, groups, categories)
    summed = sub.assign(_y=counts_of(sub, count)).groupby([unit, time], sort=True)["_y"].sum()
    frame = design.merge(summed.rename("_y").reset_index(), on=[unit, time], how="left")
    added = int(frame["_y"].isna().sum())
    frame["_y"] = frame["_y"].fillna(0.0)
    return frame, outcome, added


def adoption(design: pd.DataFrame, unit: str, time: str, treated: str, post: str):
    """Per place: first treated period position (NEVER if untreated), or None if not absorbing."""
    periods = sorted_periods(design[time])
    tpos = np.searchsorted(periods, design[time].to_numpy())
    ucode, J = _prep.codes(design[unit])
    first = np.full(J, NEVER, dtype=np.int64)
    on = design["_D"].to_numpy() > 0
    np.minimum.at(first, ucode[on], tpos[on])
    absorbing = np.array_equal(tpos >= first[ucode], on)
    return (first if absorbing else None), ucode, tpos


def blocks_of(keep, unit, tpos, sign, A) -> Blocks:
    """The complete 2 x 2 place x period tables of a triple difference (kept rows)."""
    key = unit * (int(tpos.max()) + 1) + tpos
    block, _ = _prep.codes(pd.Series(key))
    size = np.bincount(block[keep], minlength=int(block.max()) + 1)
    complete = size == 4
    number = np.cumsum(complete) - 1
    row_block = np.where(keep & complete[block], number[block], -1)[keep]
    first_row = np.zeros(len(size), dtype=np.int64)
    first_row[block[::-1]] = np.arange(len(block))[::-1]
    rows = first_row[complete]
    u, nu = _prep.codes(pd.Series(unit[rows]))
    t, nt = _prep.codes(pd.Series(tpos[rows]))
    fes = (FixedEffect("place", u, nu), FixedEffect("period", t, nt))
    return Blocks(block=row_block, sign=sign[keep], fes=fes,
                  D=assignment_matrix(unit[rows], tpos[rows], np.ones(len(rows)), A))


def staggered_note(first) -> list[str]:
    """The caveat of one coefficient over several adoption dates (said, not hidden)."""
    if first is None or len(set(first[first < NEVER].tolist())) < 2:
        return []
    return ["staggered adoption: one Poisson coefficient averages the cohorts' effects with "
            "weights that can mislead when effects differ by cohort or grow over time; compare "
            "the event study"]


def run(kind, frame, y, D, fes, spec, *, unit_codes, tpos, first, multiplier, se, alpha,
         n_perm, seed, n_by_group, notes, cluster_codes, G, sign=None):
    """Fit one PPML effect (single regressor ``D``) and pack the result.

    ``sign`` (triple differences) marks the diagonal of each place x period
    2 x 2 table and selects the exact reduced randomization statistic.
    """
    design = Design(y=y, X=D[:, None], names=(spec["term"],), fe=fes, cluster=cluster_codes,
                    n_clusters=G)
    notes = notes + staggered_note(first)
    reason = ""
    n_treated = int((first < NEVER).sum()) if first is not None else None
    if se == "auto":
        if G >= FEW_CLUSTERS:
            se = "cluster"
        elif first is None:
            se = "cluster"
            notes.append("randomization inference needs each place's treatment to switch on once "
                         "and stay on; CRV1 errors were used instead and may be too narrow with "
                         f"{G} places")
        else:
            se = "ri"
            reason = (f"only {G} places ({n_treated} treated): cluster-robust errors are "
                      "unreliable with so few, so adoption dates were permuted across places")
    if se == "ri" and first is None:
        raise InvalidSpecification("se='ri' permutes adoption dates: each place's treated x post "
                                   "must switch on once and stay on")
    res = poisson_fit(design, "cluster" if se == "ri" else se)
    term = spec["term"]
    if term not in res.names:
        raise InvalidSpecification(f"{term} cannot be estimated: it is collinear with the fixed "
                                   "effects (does treatment vary within the comparison?)")
    if res.n_separated:
        notes.append(f"{res.n_separated} cells dropped: their place, period or group had no "
                     "reports at all (they carry no information in a Poisson model)")
    tidy = res.tidy(alpha)
    extras: dict = {"df_resid": res.df_t, "iterations": res.iterations,
                    "n_separated": res.n_separated}
    if se in ("cluster", "ri"):
        inference = f"CRV1 clustered by place ({res.n_clusters} places), t({res.n_clusters - 1})"
    elif se == "hc1":
        inference = "HC1 heteroskedasticity-robust"
    else:
        inference = "classical (Poisson variance, no over-dispersion)"
    if se == "ri":
        keep = res.keep
        d = subset(design, keep)
        uc_all = np.searchsorted(np.unique(unit_codes[keep]), unit_codes)
        present = np.unique(unit_codes[keep])
        A, enumerated, total = adoption_assignments(first[present], n_perm, seed)
        Dm = assignment_matrix(uc_all[keep], tpos[keep], multiplier[keep], A)
        blocks = None if sign is None else blocks_of(keep, uc_all, tpos, sign, A)
        i = res.index(term)
        ri = randomization_inference(d.y, d.fe, None, Dm, estimate=float(res.beta[i]),
                                     scale=float(np.sqrt(res.vcov[i, i])), alpha=alpha,
                                     blocks=blocks)
        row = tidy.index[tidy["term"] == term][0]
        extras["crv1"] = tidy.loc[row].to_dict()
        tidy.loc[row, ["p_value", "ci_low", "ci_high"]] = [ri["p_value"], ri["ci_low"],
                                                           ri["ci_high"]]
        extras["randomization"] = {**ri, "n_assignments": int(A.shape[0]),
                                   "enumerated": enumerated, "n_distinct": int(total),
                                   "seed": seed, "statistic": "one-step PPML estimate"}
        how = (f"all {A.shape[0]} distinct assignments" if enumerated else
               f"{A.shape[0] - 1} random permutations of {total:,} distinct assignments "
               "(plus the observed one)")
        inference = (f"randomization inference: adoption dates permuted across places ({how}); "
                     "p-value and interval by inverting the permutation test; SE is CRV1")
        if reason:
            notes.append(f"Inference: {reason}.")
        if ri["min_p_value"] > alpha:
            notes.append(f"with {A.shape[0]} possible assignments the smallest attainable p-value "
                         f"is {ri['min_p_value']:.3f}: no effect can be significant at {alpha}")
    elif se == "cluster" and res.n_clusters < FEW_CLUSTERS:
        notes.append(f"only {res.n_clusters} places: cluster-robust intervals can be too narrow; "
                     "randomization inference (se='ri') is the safer choice")
    # The p-values' method, for the "p-value method" column: randomization inference replaces only
    # the headline term's p-value, so it names them all only when that is the only p-value shown.
    method = {"cluster": "cluster", "hc1": "hc1"}.get(se, "classical")
    if se == "ri":
        method = "randomization" if int(tidy["p_value"].notna().sum()) == 1 else ""
    if method:
        extras["inference"] = {"method": method, "n_clusters": int(res.n_clusters or G), "reason": reason}
    est, lo, hi = (float(tidy.loc[tidy["term"] == term, c].iloc[0])
                   for c in ("estimate", "ci_low", "ci_high"))
    extras["percent_change"] = {"estimate": 100 * np.expm1(est), "ci_low": 100 * np.expm1(lo),
                                "ci_high": 100 * np.expm1(hi)}
    spec = {**spec, "se": se, "n_clusters": int(res.n_clusters or G), "df_k": res.df_k,
            "alpha": alpha, "n_treated_places": n_treated, "se_reason": reason}
    return CountEffectResult(
        kind=kind, term=term, _tidy=tidy, spec=spec, n_obs=res.n_obs, n_by_group=n_by_group,
        fingerprint=_prep.fingerprint(frame), inference=inference, notes=tuple(notes),
        extras=extras)


def fixed_effects(frame: pd.DataFrame, groups) -> tuple[FixedEffect, ...]:
    out = []
    for g in groups:
        c, n = _prep.codes(frame[list(g)])
        out.append(FixedEffect("^".join(g), c, n))
    return tuple(out)

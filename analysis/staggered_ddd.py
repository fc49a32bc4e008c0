"""Staggered triple differences for repeated cross-sections.

When jurisdictions adopt at different waves and the effect grows with time
since adoption, the two-way fixed-effects triple difference (jurisdiction x
subgroup, wave x subgroup and jurisdiction x wave fixed effects, one
``treated x post x subgroup`` coefficient) compares late adopters with early
adopters that are already treated and is biased.  The estimator of
Ortiz-Villavicencio and Sant'Anna (2025) for repeated cross-sections estimates
each group-time effect on the subgroup (e.g. immigrant respondents) net of the
other respondents' change, from never- or not-yet-treated jurisdictions only.

We do not re-implement it: :func:`moderndid.ddd` with ``panel=False`` is the
estimator (its point estimates and influence functions are used as they are).
What this module adds is what a survey of jurisdictions needs around it: errors
clustered by jurisdiction from moderndid's influence functions with t(G - 1)
intervals, the event study of the subgroup gap with its own pre-trend test (of
the gap, not of the pooled outcome), and the two-way fixed-effects DDD kept
beside it as the comparison.

Just past 300 lines on purpose: the moderndid wrapper, the TWFE comparison and
the choice of pre-trend test share one data preparation and one result.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _prep
from ._gap_ri import gap_pretrend_ri, pretrend_test
from ._ols import Design, FixedEffect, fit
from ._staggered import cluster_var
from .errors import InvalidSpecification, NoComparisonGroup, TooFewClusters
from .event_study import EventStudyResult, _assemble

__all__ = ["staggered_ddd"]

EST_METHODS = ("reg", "dr", "ipw")


def staggered_ddd(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    subgroup: str,
    *,
    control_group: str = "never",
    controls: Sequence[str] | str | None = None,
    est_method: str = "reg",
    cluster: str | None = None,
    alpha: float = 0.05,
    pretrend_ri: bool | None = None,
    n_perm: int = 199,
    seed: int = 0,
) -> EventStudyResult:
    """Staggered DDD (Ortiz-Villavicencio and Sant'Anna) on repeated cross-sections.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    outcome, unit, time, first_treated : str
        As in :func:`analysis.event_study` (0 or missing first-treated = never).
    subgroup : str
        0/1 column: the respondents the policy is aimed at (e.g. ``immigrant``).
    control_group : {"never", "notyet"}
        Never-treated jurisdictions, or also those not yet treated.
    controls : list of str, optional
        Respondent covariates (outcome regression / propensity score).
    est_method : {"reg", "dr", "ipw"}
        moderndid's estimation method; without controls all three coincide.
    cluster : str, optional
        Cluster column (default ``unit``).
    alpha : float
        1 - confidence level.
    pretrend_ri : bool, optional
        Fisher randomization p-value for the gap's pre-trend test (adoption dates
        permuted across jurisdictions, ``n_perm`` draws from ``seed``).  Default:
        on with fewer than 30 clusters when there are no controls and clusters are
        the units (the F test rejects too often there).

    Returns
    -------
    EventStudyResult
        ``estimator == "ddd"`` rows: ``simple`` (overall ATT on the subgroup,
        moderndid ``agg_ddd(type="simple")``), ``dynamic`` (the gap by event
        time, base wave -1) and ``group_time``; ``twfe`` rows: the two-way
        fixed-effects DDD (static and by event time, base wave -1).
        ``pretrend`` tests the pre-event gap estimates jointly.
    """
    import moderndid

    _prep.require_frame(data)
    if control_group not in ("never", "notyet"):
        raise InvalidSpecification("control_group must be 'never' or 'notyet'")
    if est_method not in EST_METHODS:
        raise InvalidSpecification(f"est_method must be one of {', '.join(EST_METHODS)}")
    if not 0 < alpha < 1:
        raise InvalidSpecification(f"alpha must be in (0, 1), got {alpha}")
    if n_perm < 1:
        raise InvalidSpecification(f"n_perm must be >= 1, got {n_perm}")
    ctrl = _prep.as_list(controls)
    cluster = cluster or unit
    roles: dict[str, Sequence[str] | str | None] = {
        "outcome": outcome, "unit": unit, "time": time, "first-treated": first_treated,
        "subgroup": subgroup, "control": ctrl, "cluster": cluster}
    _prep.require_columns(data, roles, distinct=True)
    cols = list(dict.fromkeys([outcome, unit, time, first_treated, subgroup, *ctrl, cluster]))
    df = data[cols].copy()
    df[first_treated] = _prep.numeric(df, first_treated, "first-treated")
    df[first_treated] = df[first_treated].fillna(0.0)
    df = _prep.complete_rows(df, cols)
    notes = [f"{len(data) - len(df)} rows with missing values dropped"] if len(df) < len(data) else []
    y = _prep.numeric(df, outcome, "outcome")
    t = _prep.numeric(df, time, "time")
    q = _prep.binary(df, subgroup, "subgroup")
    _prep.require_varies(q, subgroup, "subgroup")
    g = df[first_treated].to_numpy(dtype=float)
    if (df.groupby(unit, sort=False)[first_treated].nunique() > 1).any():
        raise InvalidSpecification(f"{first_treated!r} must be constant within each {unit!r}")
    times = np.unique(t)
    if len(times) < 2:
        raise InvalidSpecification("the staggered DDD needs at least two waves")
    g = np.where(g > times.max(), 0.0, g)
    early = (g > 0) & (g <= times.min())
    if early.any():
        notes.append(f"{df.loc[early, unit].nunique()} units treated from the first wave "
                     "dropped (no pre-event data)")
    keep = ~early
    df, y, t, q, g = df[keep], y[keep], t[keep], q[keep], g[keep]
    if not (g > 0).any():
        raise NoComparisonGroup(f"no unit is ever treated according to {first_treated!r}")
    if control_group == "never" and not (g == 0).any():
        raise NoComparisonGroup("no never-treated units; use control_group='notyet'")
    ccode, G = _prep.codes(df[cluster])
    if G < 2:
        raise TooFewClusters(f"the staggered DDD needs at least 2 clusters of {cluster!r}")
    for cell_q in (0, 1):
        for grp, name in ((g > 0, "treated"), (g == 0, "never-treated")):
            if grp.any() and not (grp & (q == cell_q)).any():
                raise NoComparisonGroup(
                    f"no {subgroup}={cell_q} respondents in {name} units: the third "
                    "difference has no comparison")
    frame = pd.DataFrame({"y": y, "t": t, "g": g, "q": q.astype(int),
                          "cl": ccode, "rid": np.arange(len(y))})
    X = [_prep.numeric(df, c, "control") for c in ctrl]
    for i, x in enumerate(X):
        frame[f"x{i}"] = x
    xformla = ("~" + "+".join(f"x{i}" for i in range(len(X)))) if X else None
    table, psi, aggs = _fit_moderndid(moderndid, frame, xformla, control_group, est_method)
    rows = []
    for r in table.itertuples():
        se = float(np.sqrt(cluster_var(psi[:, r.Index], G)[0, 0]))
        rows.append(("ddd", "group_time", f"g={_num(r.g)},t={_num(r.t)}", int(r.e),
                     _num(r.g), _num(r.t), r.estimate, se))
    pre_theta, pre_psi, dyn_rel, dyn_psi = [], [], [], []
    for agg, term, rel, est, infl in aggs:
        se = float(np.sqrt(cluster_var(infl, G)[0, 0])) if np.any(infl) else np.nan
        rows.append(("ddd", agg, term, rel, np.nan, np.nan, est, se))
        if agg == "dynamic" and rel < -1:
            pre_theta.append(est)
            pre_psi.append(infl)
        if agg == "dynamic":
            dyn_rel.append(int(rel))
            dyn_psi.append(infl)
    pre = pretrend_test(np.array(pre_theta), cluster_var(np.column_stack(pre_psi), G)
                        if pre_theta else np.zeros((0, 0)), G)
    pre = {**pre, "of": f"the gap {subgroup}=1 minus {subgroup}=0"}
    ri_ok = not ctrl and cluster == unit
    if pretrend_ri is None:
        pretrend_ri = ri_ok and G < 30
    if pretrend_ri and not ri_ok:
        raise InvalidSpecification("randomization inference for the gap's pre-trend test "
                                   "needs no controls and clusters equal to units")
    if pretrend_ri and pre_theta:
        ucode, n_units = _prep.codes(df[unit])
        tpos = np.searchsorted(times, t)
        ucohort = np.full(n_units, -1, dtype=np.int64)
        ucohort[ucode] = np.where(g > 0, np.searchsorted(times, g), -1)
        ri = gap_pretrend_ri(y, ucode, tpos, ucohort, q.astype(int), times, n_perm=n_perm,
                             seed=seed)
        pre = {**pre, "wald_p_value": pre["p_value"], "p_value": ri["p_value"],
               "note": ri["note"] + f"; chosen because there are {G} clusters (< 30), where "
                       "the F test rejects too often", "randomization": ri}
    elif G < 30:
        notes.append(f"with {G} clusters the gap's pre-trend F test rejects too often (16% at "
                     "5% with 12 jurisdictions in our Monte Carlo, docs/analysis.md): a small "
                     "p-value is weak evidence of a pre-trend, a large one no proof of none; "
                     "see the HonestDiD bounds (--honest)")
    twfe_rows = _twfe_ddd(y, t, g, q, df[unit], ccode, G, times)
    tidy = _assemble(rows + twfe_rows, G, alpha)
    spec = {"outcome": outcome, "unit": unit, "time": time, "first_treated": first_treated,
            "subgroup": subgroup, "estimator": "ddd", "control_group": control_group,
            "base_period": "universal", "controls": ctrl, "est_method": est_method,
            "weights": None, "cluster": cluster, "alpha": alpha, "n_clusters": G,
            "times": [_num(v) for v in times],
            "x_label": "waves relative to the event (base: wave -1 for both series)",
            "y_label": f"{subgroup} gap in {outcome}"}
    n_by = (pd.DataFrame({"cohort": g, subgroup: q.astype(int), "n": 1})
            .groupby(["cohort", subgroup]).agg(n=("n", "sum")).reset_index())
    return EventStudyResult(
        kind="event_study", term="ATT", _tidy=tidy, spec=spec, n_obs=len(df), n_by_group=n_by,
        fingerprint=_prep.fingerprint(df),
        inference=(f"Ortiz-Villavicencio-Sant'Anna staggered DDD (moderndid, repeated "
                   f"cross-sections, {est_method}); cluster-robust by {cluster} from the "
                   f"influence functions ({G} clusters), t({G - 1})"),
        notes=tuple(notes), extras={
            "inference": {"method": "cluster", "n_clusters": G,
                          "reason": "cluster-robust from moderndid's influence functions, t(G-1)"},
            "pretrend": pre, "twfe_pretrend": pre,
            "dynamic_vcov": {"rel_time": dyn_rel, "base": -1, "base_period": "universal",
                             "vcov": cluster_var(np.column_stack(dyn_psi), G).tolist()}})


def _num(v):
    f = float(v)
    return int(f) if f == int(f) else f


def _fit_moderndid(moderndid, frame: pd.DataFrame, xformla, control_group: str,
                   est_method: str):
    """moderndid's group-time effects, event-study and simple aggregations, with
    influence functions summed within clusters (G x K)."""
    cg = "nevertreated" if control_group == "never" else "notyettreated"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = moderndid.ddd(frame, yname="y", tname="t", idname="rid", gname="g", pname="q",
                                xformla=xformla, panel=False, control_group=cg,
                                base_period="universal", est_method=est_method)
            es = moderndid.agg_ddd(res, type="eventstudy", boot=False, cband=False)
            simple = moderndid.agg_ddd(res, type="simple", boot=False, cband=False)
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as exc:
            raise NoComparisonGroup(f"the staggered DDD cannot be estimated: "
                                    f"{str(exc).splitlines()[0]}") from None
    n = len(frame)
    cl = frame["cl"].to_numpy()
    G = int(cl.max()) + 1

    def csum(M):
        M = np.atleast_2d(np.asarray(M, dtype=float).T).T
        out = np.zeros((G, M.shape[1]))
        np.add.at(out, cl, M / n)
        return out

    att = np.asarray(res.att, dtype=float)
    ok = np.isfinite(att) & ~((res.groups - 1 == res.times) & (att == 0))
    gt = pd.DataFrame({"g": res.groups, "t": res.times, "estimate": att})
    gt["e"] = [int(np.searchsorted(res.tlist, tt) - np.searchsorted(res.tlist, gg))
               for gg, tt in zip(res.groups, res.times, strict=False)]
    psi = csum(res.inf_func_mat[:, : len(att)])
    gt, psi = gt[ok].reset_index(drop=True), psi[:, ok]
    aggs = [("simple", "ATT", np.nan, float(simple.overall_att),
             csum(simple.inf_func_overall)[:, 0])]
    egt = np.asarray(es.egt)
    eif = csum(es.inf_func)
    for j, e in enumerate(egt):
        if not np.isfinite(es.att_egt[j]):
            continue
        aggs.append(("dynamic", f"e={int(e)}", int(e), float(es.att_egt[j]), eif[:, j]))
    if not np.isfinite(aggs[0][3]):
        raise NoComparisonGroup("the staggered DDD has no post-event group-time effect")
    return gt, psi, aggs


def _twfe_ddd(y, t, g, q, unit, ccode, G, times) -> list:
    """Two-way fixed-effects DDD on cell means: jurisdiction x subgroup, wave x subgroup,
    jurisdiction x wave fixed effects; static and dynamic (base wave -1)."""
    ucode, nu = _prep.codes(unit)
    tpos = np.searchsorted(times, t)
    gpos = np.where(g > 0, np.searchsorted(times, g), -1)
    codes, _ = _prep.combine_codes([(ucode, nu), (tpos, len(times)), (q.astype(np.int64), 2)])
    W = np.bincount(codes).astype(float)
    ybar = np.bincount(codes, weights=y) / W
    first = np.unique(codes, return_index=True)[1]
    u, tp, qq, gp, cl = ucode[first], tpos[first], q[first].astype(np.int64), gpos[first], \
        ccode[first]
    fes = []
    for name, parts in (("unit^q", [(u, nu), (qq, 2)]), ("time^q", [(tp, len(times)), (qq, 2)]),
                        ("unit^time", [(u, nu), (tp, len(times))])):
        c, n = _prep.combine_codes(parts)
        fes.append(FixedEffect(name, c, n))
    treated = gp >= 0
    e = np.where(treated, tp - gp, 0)
    out = []
    D = (treated & (e >= 0) & (qq == 1)).astype(float)
    design = Design(y=ybar, X=D[:, None], names=("DDD",), fe=tuple(fes), weights=W,
                    cluster=cl, n_clusters=G, n_rows=int(W.sum()))
    res = fit(design, "cluster")
    out.append(("twfe", "simple", "ATT", np.nan, np.nan, np.nan, float(res.beta[0]),
                float(np.sqrt(res.vcov[0, 0]))))
    rels = [int(v) for v in np.unique(e[treated]) if v != -1]
    Xd = np.column_stack([(treated & (e == k) & (qq == 1)).astype(float) for k in rels])
    design = Design(y=ybar, X=Xd, names=tuple(f"e={k}" for k in rels), fe=tuple(fes),
                    weights=W, cluster=cl, n_clusters=G, n_rows=int(W.sum()))
    res = fit(design, "cluster")
    for k in rels:
        if f"e={k}" in res.names:
            i = res.names.index(f"e={k}")
            out.append(("twfe", "dynamic", f"e={k}", k, np.nan, np.nan, float(res.beta[i]),
                        float(np.sqrt(res.vcov[i, i]))))
    return out

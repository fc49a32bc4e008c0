"""Event study with respondent covariates: doubly robust DiD for repeated cross-sections.

Who answers differs between jurisdictions and waves (age, immigrant
background...).  Callaway-Sant'Anna with covariates uses, for every group-time
effect, the doubly robust estimator of Sant'Anna and Zhao (2020) for repeated
cross-sections: right if either the outcome regression or the propensity score
is.  moderndid's ``att_gt(est_method="dr", panel=False)`` is the estimator;
this module clusters its influence functions by jurisdiction (t(G - 1)
intervals), tests the pre-event estimates jointly and keeps the two-way
fixed-effects event study with the same covariates beside it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _prep
from ._gap_ri import pretrend_test
from ._staggered import cluster_var
from .errors import InvalidSpecification, NoComparisonGroup, TooFewClusters
from .event_study import EventStudyResult, _assemble, event_study

__all__ = ["dr_event_study"]


def dr_event_study(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    controls: Sequence[str] | str,
    *,
    control_group: str = "never",
    est_method: str = "dr",
    anticipation: int = 0,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EventStudyResult:
    """Callaway-Sant'Anna with covariates (doubly robust, repeated cross-sections).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    outcome, unit, time, first_treated : str
        As in :func:`analysis.event_study`.
    controls : list of str
        Numeric respondent covariates (e.g. ``age_band``, ``immigrant``).
    control_group : {"never", "notyet"}
    est_method : {"dr", "reg", "ipw"}
        moderndid's method (doubly robust by default).
    anticipation : int
        Waves of anticipation (base wave ``event - 1 - anticipation``).
    cluster : str, optional
        Cluster column (default ``unit``).
    alpha : float

    Returns
    -------
    EventStudyResult
        ``estimator == "dr"`` rows (``simple``, ``dynamic`` with a universal
        base, ``group_time``), the TWFE comparison with the same covariates,
        and ``pretrend`` of the pre-event estimates.
    """
    import moderndid

    _prep.require_frame(data)
    ctrl = _prep.as_list(controls)
    if not ctrl:
        raise InvalidSpecification("the doubly robust event study needs --controls")
    if control_group not in ("never", "notyet"):
        raise InvalidSpecification("control_group must be 'never' or 'notyet'")
    if est_method not in ("dr", "reg", "ipw"):
        raise InvalidSpecification("est_method must be 'dr', 'reg' or 'ipw'")
    if anticipation < 0 or not 0 < alpha < 1:
        raise InvalidSpecification("anticipation must be >= 0 and alpha in (0, 1)")
    cluster = cluster or unit
    _prep.require_columns(data, {"outcome": outcome, "unit": unit, "time": time,
                                 "first-treated": first_treated, "control": ctrl,
                                 "cluster": cluster}, distinct=True)
    cols = list(dict.fromkeys([outcome, unit, time, first_treated, *ctrl, cluster]))
    df = data[cols].copy()
    df[first_treated] = _prep.numeric(df, first_treated, "first-treated").copy()
    df[first_treated] = df[first_treated].fillna(0.0)
    df = _prep.complete_rows(df, cols)
    t = _prep.numeric(df, time, "time")
    g = df[first_treated].to_numpy(dtype=float)
    times = np.unique(t)
    if len(times) < 2:
        raise InvalidSpecification("an event study needs at least two waves")
    g = np.where(g > times.max(), 0.0, g)
    keep = ~((g > 0) & (g <= times.min()))
    frame = pd.DataFrame({"y": _prep.numeric(df, outcome, "outcome"), "t": t, "g": g})
    for i, c in enumerate(ctrl):
        frame[f"x{i}"] = _prep.numeric(df, c, "control")
    ccode, _ = _prep.codes(df[cluster])
    frame["cl"] = ccode
    frame = frame[keep].sort_values(["t", "g"], kind="stable").reset_index(drop=True)
    frame["rid"] = np.arange(len(frame))  # moderndid sorts by (t, g, id): this order is kept
    frame["cl"], G = _prep.codes(frame["cl"])
    if G < 2:
        raise TooFewClusters(f"event study errors need at least 2 clusters of {cluster!r}")
    if not (frame["g"] > 0).any():
        raise NoComparisonGroup(f"no unit is ever treated according to {first_treated!r}")
    if control_group == "never" and not (frame["g"] == 0).any():
        raise NoComparisonGroup("no never-treated units; use control_group='notyet'")
    xformla = "~" + "+".join(f"x{i}" for i in range(len(ctrl)))
    cg = "nevertreated" if control_group == "never" else "notyettreated"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = moderndid.att_gt(frame, yname="y", tname="t", idname="rid", gname="g",
                                   xformla=xformla, panel=False, est_method=est_method,
                                   control_group=cg, anticipation=anticipation,
                                   base_period="universal")
            simple = moderndid.aggte(res, type="simple")
            dyn = moderndid.aggte(res, type="dynamic")
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError, KeyError) as exc:
            raise NoComparisonGroup("the doubly robust event study cannot be estimated: "
                                    f"{str(exc).splitlines()[0]}") from None
    n = len(frame)
    cl = frame["cl"].to_numpy()

    def csum(M):
        M = np.asarray(M, dtype=float)
        M = M[:, None] if M.ndim == 1 else M
        out = np.zeros((G, M.shape[1]))
        np.add.at(out, cl, M / n)
        return out

    rows: list[tuple] = []
    psi_gt = csum(res.influence_func)
    for k, (gg, tt, est) in enumerate(zip(res.groups, res.times, res.att_gt, strict=False)):
        if not np.isfinite(est) or (tt == gg - 1 - anticipation):
            continue
        rel = int(np.searchsorted(times, tt) - np.searchsorted(times, gg))
        se = float(np.sqrt(cluster_var(psi_gt[:, k], G)[0, 0]))
        rows.append(("dr", "group_time", f"g={gg:g},t={tt:g}", rel, float(gg), float(tt),
                     float(est), se))
    infl = csum(simple.influence_func_overall)[:, 0]
    rows.append(("dr", "simple", "ATT", np.nan, np.nan, np.nan, float(simple.overall_att),
                 float(np.sqrt(cluster_var(infl, G)[0, 0]))))
    psi_e = csum(dyn.influence_func)
    pre_theta, pre_psi, dyn_rel, dyn_cols = [], [], [], []
    base = -1 - anticipation
    for j, (e, est) in enumerate(zip(dyn.event_times, dyn.att_by_event, strict=False)):
        e = int(e)
        zero = e == base
        se = np.nan if zero else float(np.sqrt(cluster_var(psi_e[:, j], G)[0, 0]))
        rows.append(("dr", "dynamic", f"e={e}", e, np.nan, np.nan, float(est), se))
        dyn_rel.append(e)
        dyn_cols.append(psi_e[:, j])
        if e < base:
            pre_theta.append(float(est))
            pre_psi.append(psi_e[:, j])
    pre = pretrend_test(np.array(pre_theta), cluster_var(np.column_stack(pre_psi), G)
                        if pre_theta else np.zeros((0, 0)), G)
    twfe = event_study(data, outcome, unit, time, first_treated, estimator="twfe",
                       controls=ctrl, cluster=cluster, alpha=alpha)
    tw = twfe.tidy
    tw_rows = [tuple(r) for r in tw[["estimator", "aggregation", "term", "rel_time", "cohort",
                                     "time", "estimate", "se"]]
               .astype(object).where(tw.notna(), np.nan).itertuples(index=False)]
    tidy = _assemble(rows + tw_rows, G, alpha)
    spec = {"outcome": outcome, "unit": unit, "time": time, "first_treated": first_treated,
            "estimator": "dr", "est_method": est_method, "control_group": control_group,
            "base_period": "universal", "controls": ctrl, "weights": None, "cluster": cluster,
            "alpha": alpha, "n_clusters": G, "times": times.tolist(),
            "anticipation": anticipation}
    return EventStudyResult(
        kind="event_study", term="ATT", _tidy=tidy, spec=spec, n_obs=n,
        n_by_group=twfe.n_by_group, fingerprint=_prep.fingerprint(df),
        inference=(f"Callaway-Sant'Anna with covariates, {est_method} (Sant'Anna-Zhao, "
                   f"moderndid, repeated cross-sections); cluster-robust by {cluster} from the "
                   f"influence functions ({G} clusters), t({G - 1})"),
        notes=twfe.notes, extras={
            "pretrend": pre, "twfe_pretrend": twfe.pretrend,
            "dynamic_vcov": {"rel_time": dyn_rel, "base": base, "base_period": "universal",
                             "vcov": cluster_var(np.column_stack(dyn_cols), G).tolist()}})

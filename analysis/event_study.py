"""Event study: leads and lags around each jurisdiction's policy event.

Staggered adoption is handled by a heterogeneity-robust estimator
(Callaway-Sant'Anna, ``"cs"``, the default, or Sun-Abraham, ``"sa"``); the
conventional dynamic two-way fixed-effects regression (``"twfe"``) is always
estimated alongside for comparison, because with staggered timing and effects
that change over time its leads and lags mix cohorts with negative weights.

Past 300 lines on purpose: the three estimators share one panel preparation and
one result type, and are compared against each other in every result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _es_inference, _prep
from ._effect_sections import event_sections
from ._linear import FEW_CLUSTERS
from ._ols import Design, FixedEffect, fit, tidy_frame
from ._staggered import (
    Panel,
    cluster_var,
    cs_aggregate,
    cs_group_time,
    hotelling,
    lincomb,
    regression,
)
from .errors import ConstantTreatment, InvalidSpecification, TooFewClusters
from .results import EffectResult
from .sections import Section
from .values import finite_or_none

__all__ = ["EventStudyResult", "event_study"]

ESTIMATORS = ("cs", "sa", "twfe")
EVENT_COLUMNS = ["estimator", "aggregation", "term", "rel_time", "cohort", "time"]


@dataclass(frozen=True, eq=False, repr=False)
class EventStudyResult(EffectResult):
    """Event-study result; ``tidy`` has one row per estimate with columns
    ``estimator, aggregation, term, rel_time, cohort, time, estimate, se,
    statistic, p_value, ci_low, ci_high``.  ``aggregation`` is ``simple``
    (the overall ATT), ``dynamic`` (by event time), ``cohort`` or
    ``group_time``; rows of the comparison TWFE fit have ``estimator ==
    "twfe"``."""

    def _main(self) -> pd.DataFrame:
        t = self._tidy
        return t[t["estimator"] == self.spec["estimator"]]

    def row(self, term: str | None = None) -> pd.Series:
        t = self._main()
        hit = t[t["term"] == (term or self.term)]
        if hit.empty:
            raise KeyError(f"no term {term or self.term!r} in the result")
        return hit.iloc[0]

    @property
    def att(self) -> dict:
        r = self.row("ATT")
        return {k: float(r[k]) for k in ("estimate", "se", "ci_low", "ci_high", "p_value")}

    def sections(self) -> list[Section]:
        """Overall ATT, inference, pre-trend test, figure, by event time and cohort."""
        return event_sections(self)

    def _agg(self, name: str, estimator: str | None = None) -> pd.DataFrame:
        t = self._tidy
        est = estimator or self.spec["estimator"]
        return t[(t["estimator"] == est) & (t["aggregation"] == name)].reset_index(drop=True)

    @property
    def periods(self) -> pd.DataFrame:
        """Dynamic aggregation: one row per event time (``rel_time``)."""
        return self._agg("dynamic")

    @property
    def by_cohort(self) -> pd.DataFrame:
        return self._agg("cohort")

    @property
    def group_time(self) -> pd.DataFrame:
        return self._agg("group_time")

    @property
    def comparison(self) -> pd.DataFrame:
        """The two-way fixed-effects fit (static ATT and dynamic leads/lags)."""
        return self._tidy[self._tidy["estimator"] == "twfe"].reset_index(drop=True)

    @property
    def pretrend(self) -> dict:
        return dict(self.extras["pretrend"])

    @property
    def pretrend_p(self) -> float:
        p = self.extras["pretrend"]["p_value"]
        return float("nan") if p is None else float(p)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["att"] = {k: finite_or_none(v) for k, v in self.att.items() if k != "p_value"}
        out["att"]["p_value"] = finite_or_none(self.att["p_value"])
        out["periods"] = [
            {"rel_time": int(r.rel_time), **{k: finite_or_none(getattr(r, k)) for k in
                                              ("estimate", "se", "ci_low", "ci_high")}}
            for r in self.periods.itertuples()]
        for d, r in zip(out["periods"], self.periods.itertuples(), strict=True):
            d["band_low"] = finite_or_none(getattr(r, "band_low", None))
            d["band_high"] = finite_or_none(getattr(r, "band_high", None))
        out["pretrend_p"] = finite_or_none(self.pretrend_p)
        return out


def event_study(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    *,
    estimator: str = "cs",
    control_group: str = "never",
    base_period: str = "varying",
    controls: Sequence[str] | str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
    inference: str = "auto",
    n_boot: int = 999,
    seed: int | None = 0,
    anticipation: int = 0,
) -> EventStudyResult:
    """Leads and lags relative to each unit's event, with a joint pre-trend test.

    Parameters
    ----------
    data : DataFrame
        Respondent rows or unit x time cell means (counts in ``weights``).
    outcome, unit, time : str
        Outcome, unit (jurisdiction) and time (wave, numeric) columns.
    first_treated : str
        Time of each unit's event; 0 or missing = never treated.  Constant
        within unit.  Units treated at or before the first time are dropped
        (no pre-event data).
    estimator : {"cs", "sa", "twfe"}
        Callaway-Sant'Anna (unconditional, repeated cross-sections),
        Sun-Abraham interaction-weighted, or dynamic two-way fixed effects.
    control_group : {"never", "notyet"}
        Never-treated units only, or also units not yet treated (Sun-Abraham:
        the last-treated cohort, with waves from its event dropped).
    base_period : {"varying", "universal"}
        Callaway-Sant'Anna pre-event comparisons: each wave against the one
        before (R ``did`` default), or all against the wave before the event.
    controls : list of str, optional
        Respondent-level controls (``sa`` and ``twfe`` only).
    weights : str, optional
        Survey weights or cell counts.
    cluster : str, optional
        Cluster column (default ``unit``).
    alpha : float
        1 - confidence level.
    inference : {"auto", "cluster", "bootstrap", "wild", "ri"}
        ``auto``: randomization inference (adoption dates permuted across
        jurisdictions) when fewer than 5 jurisdictions are treated or
        untreated, else the jurisdiction-level multiplier bootstrap (``wild``
        is its alias); ``cluster``: analytic cluster-robust errors.  Only
        ``cs`` has the bootstrap and permutations; ``sa``/``twfe`` use
        ``cluster``.  ``extras["inference"]`` says what ran and why.
    n_boot, seed : int
        Bootstrap draws or permutations (all distinct assignments are
        enumerated when there are at most ``n_boot + 1``) and their seed.
    anticipation : int
        Waves before the event in which an announced policy may already act
        (Callaway-Sant'Anna only): the base wave becomes ``event - 1 -
        anticipation`` and the pre-trend test leaves those waves out.

    Returns
    -------
    EventStudyResult
        ``att`` (overall ATT: post-event group-time effects averaged with
        group-size weights, R ``aggte(type="simple")``), ``periods`` (by event
        time), ``by_cohort``, ``group_time``, ``pretrend_p`` and the TWFE
        ``comparison``.  Intervals use t(G - 1) with G clusters.
    """
    _prep.require_frame(data)
    if estimator not in ESTIMATORS:
        raise InvalidSpecification(f"estimator must be one of {', '.join(ESTIMATORS)}")
    if control_group not in ("never", "notyet"):
        raise InvalidSpecification("control_group must be 'never' or 'notyet'")
    if base_period not in ("varying", "universal"):
        raise InvalidSpecification("base_period must be 'varying' or 'universal'")
    if not 0 < alpha < 1:
        raise InvalidSpecification(f"alpha must be in (0, 1), got {alpha}")
    if int(n_boot) < 99:
        raise InvalidSpecification(f"n_boot must be at least 99, got {n_boot}")
    _es_inference.choose(inference, 1, 1, "cs")   # validates the name early
    if anticipation < 0 or (anticipation and estimator != "cs"):
        raise InvalidSpecification("anticipation must be >= 0 and needs estimator='cs'")
    ctrl = _prep.as_list(controls)
    if ctrl and estimator == "cs":
        raise InvalidSpecification(
            "controls are not supported with estimator='cs' (unconditional); use 'sa' or 'twfe'")
    cluster = cluster or unit
    roles: dict[str, Sequence[str] | str | None] = {
             "outcome": outcome, "unit": unit, "time": time, "first-treated": first_treated,
             "control": ctrl, "weights": weights, "cluster": cluster}
    _prep.require_columns(data, roles, distinct=True)
    df = data[list(dict.fromkeys([outcome, unit, time, first_treated, *ctrl, cluster]
                                 + ([weights] if weights else [])))].copy()
    df[first_treated] = _prep.numeric(df, first_treated, "first-treated")
    df[first_treated] = df[first_treated].fillna(0.0)
    df = _prep.complete_rows(df, list(df.columns))
    notes = [f"{len(data) - len(df)} rows with missing values dropped"] if len(df) < len(data) else []
    y = _prep.numeric(df, outcome, "outcome")
    t_raw = _prep.numeric(df, time, "time")
    g_raw = df[first_treated].to_numpy(dtype=float)
    if (df.groupby(unit, sort=False)[first_treated].nunique() > 1).any():
        raise InvalidSpecification(f"{first_treated!r} must be constant within each {unit!r}")
    w = _prep.weights_array(df, weights)
    w = np.ones(len(df)) if w is None else w
    times = np.unique(t_raw)
    if np.all(times == np.round(times)):
        times = times.astype(np.int64)
    tpos = np.searchsorted(times, t_raw)
    never = (g_raw <= 0) | (g_raw > times.max())
    if ((g_raw > times.max()) & (g_raw > 0)).any():
        notes.append("units first treated after the last wave are treated as never treated")
    cohort = np.where(never, -1, np.searchsorted(times, np.where(never, 0, g_raw), side="left"))
    early = (cohort == 0)
    if early.any():
        notes.append(f"{df.loc[early, unit].nunique()} units treated from the first wave dropped "
                     "(no pre-event data)")
    keep = ~early & (w > 0)
    if not (cohort[keep] >= 0).any():
        raise ConstantTreatment(f"no unit is ever treated according to {first_treated!r}")
    df, y, w, tpos, cohort = df[keep], y[keep], w[keep], tpos[keep], cohort[keep]
    ucode, _ = _prep.codes(df[unit])
    ccode, G = _prep.codes(df[cluster])
    if G < 2:
        raise TooFewClusters(f"event study errors need at least 2 clusters of {cluster!r}")
    if G < FEW_CLUSTERS:
        notes.append(f"only {G} clusters: cluster-robust intervals may be too narrow")
    if ctrl:
        X = np.column_stack([_prep.numeric(df, c, "control") for c in ctrl])
        panel = Panel(ucode, tpos, cohort, ccode, G, w, w * y, np.ones(len(y)), times)
    else:
        X = None
        panel = _collapse(ucode, tpos, cohort, ccode, G, w, y, times)
    rows, pre, cs_parts, dyn, uni_parts = [], None, None, None, None
    if estimator == "cs":
        rows, pre, cs_parts, dyn = _cs_rows(panel, control_group, base_period, G, anticipation)
        if base_period == "varying":
            # the figure and HonestDiD need one base for every event time (wave -1, as TWFE)
            urows, _, uni_parts, dyn = _cs_rows(panel, control_group, "universal", G, anticipation)
    else:
        rows, pre = _reg_rows(panel, estimator, control_group, X, G)
    twfe_rows, twfe_pre = (_reg_rows(panel, "twfe", control_group, X, G)
                           if estimator != "twfe" else ([], None))
    static = _twfe_static(panel, X)
    tidy = _assemble(rows + twfe_rows + [("twfe", "simple", "ATT", np.nan, np.nan, np.nan,
                                          *static)], G, alpha)
    first_by_unit = pd.Series(cohort).groupby(ucode).first()
    n_tr, n_co = int((first_by_unit >= 0).sum()), int((first_by_unit < 0).sum())
    mode, reason = _es_inference.choose(inference, n_tr, n_co, estimator)
    if cs_parts is not None:
        table, psi, aggs = cs_parts
        tidy, new_pre, info, more = _es_inference.apply(
            tidy, panel, table, psi, aggs, mode, reason, alpha=alpha, n_boot=n_boot, seed=seed,
            control=control_group, n_units=len(first_by_unit))
        pre = new_pre or pre
        notes += more
        if uni_parts is not None:
            tidy = pd.concat([tidy, _universal_rows(urows, uni_parts, panel, mode, reason, G, alpha,
                                                    n_boot, seed, control_group,
                                                    len(first_by_unit))], ignore_index=True)
    else:
        tidy["band_low"] = np.nan
        tidy["band_high"] = np.nan
        info = {"method": mode, "reason": reason, "n_clusters": G,
                "n_jurisdictions": len(first_by_unit)}
    spec = {"outcome": outcome, "unit": unit, "time": time, "first_treated": first_treated,
            "estimator": estimator, "control_group": control_group, "base_period": base_period,
            "controls": ctrl, "weights": weights, "cluster": cluster, "alpha": alpha,
            "n_clusters": G, "times": times.tolist(), "inference": inference,
            "n_boot": int(n_boot), "seed": seed,
            "anticipation": anticipation}
    n_by = (pd.DataFrame({"cohort": np.where(cohort >= 0, times[np.maximum(cohort, 0)], 0),
                          "n": 1, "weight": w})
            .groupby("cohort").agg(n=("n", "sum"), weight=("weight", "sum"),
                                   units=("n", "size")).reset_index())
    n_by["units"] = [df.loc[np.where(cohort >= 0, times[np.maximum(cohort, 0)], 0) == c,
                            unit].nunique() for c in n_by["cohort"]]
    label = {"cs": "Callaway-Sant'Anna", "sa": "Sun-Abraham", "twfe": "two-way fixed effects"}
    return EventStudyResult(
        kind="event_study", term="ATT", _tidy=tidy, spec=spec, n_obs=len(df),
        n_by_group=n_by, fingerprint=_prep.fingerprint(df),
        inference=f"{label[estimator]}; {_describe(info, cluster, G)}",
        notes=tuple(notes), extras={"pretrend": pre, "twfe_pretrend": twfe_pre or pre,
                                    "inference": info, **({"dynamic_vcov": dyn} if dyn else {})},
    )


def _universal_rows(urows, parts, panel, mode, reason, G, alpha, n_boot, seed, control,
                    n_units) -> pd.DataFrame:
    """Event-time effects against wave -1 for the figure, with the same inference as the rest.

    Post-event effects equal the varying-base ones; the pre-event ones differ,
    so the whole universal-base fit goes through the same permutations or
    bootstrap draws (same seed) rather than borrowing analytic errors.
    """
    table, psi, aggs = parts
    tidy, _pre, _info, _notes = _es_inference.apply(
        _assemble(urows, G, alpha), panel, table, psi, aggs, mode, reason, alpha=alpha,
        n_boot=n_boot, seed=seed, control=control, n_units=n_units)
    out = tidy[tidy["aggregation"] == "dynamic"].copy()
    out["aggregation"] = "dynamic_universal"
    return out


def _describe(info: dict, cluster: str, G: int) -> str:
    """One sentence on the inference that ran, from what ran."""
    m = info["method"]
    if m == "ri":
        how = (f"randomization inference: {info['n_draws']} "
               f"{'(all) ' if info.get('enumerated') else 'random '}permutations of adoption "
               f"dates across {info['n_jurisdictions']} jurisdictions")
    elif m == "bootstrap":
        how = (f"jurisdiction-level multiplier bootstrap by {cluster} ({G} clusters, "
               f"{info['n_draws']} draws), uniform bands over event times")
    else:
        how = f"cluster-robust by {cluster} ({G} clusters), t({G - 1})"
    return f"{how} ({info['reason']})"


def _collapse(ucode, tpos, cohort, ccode, G, w, y, times) -> Panel:
    codes, _ = _prep.combine_codes([(ucode, int(ucode.max()) + 1), (tpos, len(times)),
                                    (ccode, G)])
    W = np.bincount(codes, weights=w)
    S = np.bincount(codes, weights=w * y)
    n = np.bincount(codes).astype(float)
    first = np.unique(codes, return_index=True)[1]
    return Panel(ucode[first], tpos[first], cohort[first], ccode[first], G, W, S, n, times)


def _cs_rows(p: Panel, control: str, base: str, G: int, anticipation: int = 0):
    table, psi = cs_group_time(p, control, base, anticipation)
    rows = []
    for k, r in table.iterrows():
        se = np.sqrt(cluster_var(psi[:, k], G)[0, 0])
        rows.append(("cs", "group_time", f"g={p.times[r.g]},t={p.times[r.t]}",
                     int(r.t - r.g), p.times[r.g], p.times[r.t], r.estimate, se))
    aggs = cs_aggregate(p, table, psi)
    pre_theta, pre_psi, dyn_rel, dyn_psi = [], [], [], []
    for agg, term, rel, coh, est, infl in aggs:
        se = float(np.sqrt(cluster_var(infl, G)[0, 0]))
        rows.append(("cs", agg, term, rel, coh, np.nan, est, se))
        if agg == "dynamic" and rel < -anticipation:
            pre_theta.append(est)
            pre_psi.append(infl)
        if agg == "dynamic":
            dyn_rel.append(int(rel))
            dyn_psi.append(infl)
    if pre_theta:
        pre = hotelling(np.array(pre_theta), cluster_var(np.column_stack(pre_psi), G), G)
    else:
        pre = hotelling(np.array([]), np.zeros((0, 0)), G)
    # event-time covariance for HonestDiD (analysis.honest); base wave for the universal base
    dyn = {"rel_time": dyn_rel, "base": -1 - anticipation, "base_period": base,
           "vcov": cluster_var(np.column_stack(dyn_psi), G).tolist()} if dyn_rel else None
    return rows, pre, (table, psi, aggs), dyn


def _reg_rows(p: Panel, kind: str, control: str, X, G: int):
    beta, vcov, wsum, g_of, e_of, _res, Gfit = regression(p, kind, control, X)
    rows = []
    if kind == "sa":
        for v in wsum.index:
            est, se = lincomb(beta, vcov, {v: 1.0})
            rows.append((kind, "group_time", f"g={p.times[g_of[v]]},e={e_of[v]}", e_of[v],
                         p.times[g_of[v]], np.nan, est, se))
    rels = sorted(set(e_of.values()))
    pre_idx = []
    A = []
    for rel in rels:
        vs = [v for v in wsum.index if e_of[v] == rel]
        tot = wsum[vs].sum()
        wts = {v: wsum[v] / tot for v in vs}
        est, se = lincomb(beta, vcov, wts)
        rows.append((kind, "dynamic", f"e={rel}", rel, np.nan, np.nan, est, se))
        if rel < -1:
            pre_idx.append(est)
            A.append(np.array([wts.get(v, 0.0) for v in wsum.index]))
    post = [v for v in wsum.index if e_of[v] >= 0]
    if post:
        tot = wsum[post].sum()
        est, se = lincomb(beta, vcov, {v: wsum[v] / tot for v in post})
        rows.append((kind, "simple" if kind == "sa" else "dynamic_average", "ATT" if kind == "sa"
                     else "mean(e>=0)", np.nan, np.nan, np.nan, est, se))
        if kind == "sa":
            for g in sorted({g_of[v] for v in post}):
                vs = [v for v in post if g_of[v] == g]
                tg = wsum[vs].sum()
                est, se = lincomb(beta, vcov, {v: wsum[v] / tg for v in vs})
                rows.append((kind, "cohort", f"g={p.times[g]}", np.nan, p.times[g], np.nan,
                             est, se))
    if A:
        names = [f"k{v}" for v in wsum.index]
        Am = np.vstack(A)
        V = Am @ vcov.loc[names, names].to_numpy() @ Am.T
        pre = hotelling(np.array(pre_idx), V, Gfit)
    else:
        pre = hotelling(np.array([]), np.zeros((0, 0)), Gfit)
    return rows, pre


def _twfe_static(p: Panel, X) -> tuple[float, float]:
    D = ((p.cohort >= 0) & (p.tpos >= p.cohort)).astype(float)
    cols = [D] if X is None else [D, X]
    ucode = pd.factorize(p.unit, sort=True)[0]
    tcode = pd.factorize(p.tpos, sort=True)[0]
    fes = (FixedEffect("unit", ucode.astype(np.int64), int(ucode.max()) + 1),
           FixedEffect("time", tcode.astype(np.int64), int(tcode.max()) + 1))
    names = ("D",) + (() if X is None else tuple(f"c{i}" for i in range(X.shape[1])))
    design = Design(y=p.ybar, X=np.column_stack(cols), names=names,
                    fe=fes, weights=p.W, cluster=p.cluster, n_clusters=p.n_clusters,
                    n_rows=int(p.n.sum()))
    res = fit(design, "cluster")
    if "D" not in res.names:  # absorbed by the fixed effects (e.g. one respondent per unit)
        return float("nan"), float("nan")
    i = res.names.index("D")
    return float(res.beta[i]), float(np.sqrt(res.vcov[i, i]))


def _assemble(rows, G: int, alpha: float) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS + ["estimate", "se"])
    stats_ = tidy_frame(frame["term"], frame["estimate"], frame["se"], G - 1, alpha)
    out = pd.concat([frame[EVENT_COLUMNS], stats_.drop(columns="term")], axis=1)
    out["rel_time"] = out["rel_time"].astype("Float64").astype("Int64")
    return out

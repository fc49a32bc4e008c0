"""Police records through the same designs: Poisson DiD, triple differences, event study.

Counts of reports are modelled multiplicatively, ``E[reports] = exp(place +
period + beta * treated * post)``, and fitted by Poisson pseudo-maximum
likelihood (:mod:`analysis._poisson`; matches pyfixest ``fepois`` to 1e-6),
so ``beta`` is a log ratio: ``exp(beta) - 1`` is the percent change in
reports after the policy relative to comparison places.

* :func:`count_did` - reports of a chosen victim group and categories.
* :func:`count_ddd` - the triple difference that separates reporting from
  crime: (focus group vs other victims) x (reporting-sensitive vs benchmark
  categories, :mod:`analysis.offences`) x (treated x post), with place x
  period x group, place x period x category-set, place x group x set and
  period x group x set fixed effects.  A fall in crime against the group
  lowers its benchmark counts as much as its sensitive ones and cancels; a
  fall in the group's willingness to report lowers only the sensitive ones.
* :func:`count_event_study` - leads and lags with a joint pre-trend test.

Inference.  Errors are clustered by place (CRV1, t(G-1)).  With fewer than 30
places ``se="auto"`` uses randomization inference that permutes the adoption
dates across places (:mod:`analysis._count_ri`, exact when every distinct
assignment is enumerated), the inference that stays honest with few treated
places; the result says which ran and why.

Input is the importer's table (:mod:`analysis.records`): one row per place x
period (x victim group x category) with a ``count``; a combination absent
from the table counts as zero reports.  Add ``treated``/``post`` (and
``first_treated``) with :func:`attach_events`.

Past 300 lines on purpose: the three public designs share one argument
vocabulary, and their numpy-style docstrings are its reference; the checks,
the fit and the inference they share live in :mod:`analysis._count_runner`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from . import _prep
from ._count_runner import (
    NEVER,
    adoption,
    check_common,
    counts_of,
    design_table,
    fixed_effects,
    place_period,
    run,
    sorted_periods,
)
from ._ols import Design
from ._poisson import fit as poisson_fit
from .count_results import CountEffectResult, CountEventStudyResult, assemble_event_tidy
from .errors import InvalidSpecification, NotEnoughResponses
from .offences import BENCHMARK, FOCUS_GROUP, SENSITIVE, UNKNOWN_GROUP, group_label

__all__ = ["attach_events", "count_ddd", "count_did", "count_event_study"]

# ---------------------------------------------------------------- design columns
def attach_events(counts: pd.DataFrame, first_treated: Mapping, *, unit: str = "place",
                  time: str = "period") -> pd.DataFrame:
    """Add ``first_treated``, ``treated``, ``post`` and ``event_time`` columns.

    Parameters
    ----------
    counts : DataFrame
        One row per place x period (x cells), e.g. ``ImportResult.counts``.
    first_treated : mapping
        Place -> its first treated period (a value of ``time``: the first
        period that starts on or after the policy event; see
        :func:`analysis.records.first_full_period`).  Places not in the mapping, or
        mapped to ``None``, are never treated.
    unit, time : str
        Place and period columns.

    Returns
    -------
    DataFrame
        A copy with ``first_treated`` (NA = never), ``treated`` and ``post``
        (0/1) and ``event_time`` (periods since the event, by position among
        the sorted periods of the table; NA = never treated).
    """
    _prep.require_frame(counts)
    _prep.require_columns(counts, {"unit": unit, "time": time})
    places = set(counts[unit].dropna().unique().tolist())
    unknown = sorted(str(p) for p in first_treated if p not in places)
    if unknown:
        raise InvalidSpecification(f"policy events for places with no records: {', '.join(unknown)}")
    periods = sorted_periods(counts[time])
    out = counts.copy()
    ft = out[unit].map(lambda p: first_treated.get(p)).astype(object)
    ft = ft.where(ft.notna(), None)
    pos = np.array([_position(periods, v) for v in ft], dtype=np.int64)
    tpos = np.searchsorted(periods, out[time].to_numpy())
    treated = pos < NEVER
    out["first_treated"] = ft
    out["treated"] = treated.astype(np.int8)
    out["post"] = (treated & (tpos >= pos)).astype(np.int8)
    out["event_time"] = pd.array(np.where(treated, tpos - np.minimum(pos, len(periods)), 0),
                                 dtype="Int64")
    out.loc[~treated, "event_time"] = pd.NA
    return out


def _position(periods: np.ndarray, value) -> int:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return NEVER
    try:
        return int(np.searchsorted(periods, value, side="left"))
    except TypeError:
        raise InvalidSpecification(f"first treated period {value!r} is not comparable with the "
                                   "periods of the table") from None


def count_did(
    data: pd.DataFrame,
    *,
    count: str = "count",
    unit: str = "place",
    time: str = "period",
    treated: str = "treated",
    post: str = "post",
    groups: Sequence[str] | str | None = None,
    categories: Sequence[str] | str | None = None,
    group: str = "group",
    category: str = "category",
    cluster: str | None = None,
    se: str = "auto",
    alpha: float = 0.05,
    n_perm: int = 999,
    seed: int | None = 0,
) -> CountEffectResult:
    """Poisson difference-in-differences on counts of police reports.

    ``log E[reports_pt] = place_p + period_t + beta * treated_p * post_pt``
    on the reports of the selected victim ``groups`` and ``categories``
    (summed per place and period; absent combinations are zero).

    Parameters
    ----------
    data : DataFrame
        Counts by place x period (x group x category) with 0/1 ``treated``
        and ``post`` (see :func:`attach_events`).
    count, unit, time, treated, post, group, category : str
        Column names (defaults: the importer's).
    groups, categories : list of str, optional
        Victim groups and categories to count (default: all rows).
    cluster : str, optional
        Cluster column (default ``unit``).
    se : {"auto", "ri", "cluster", "hc1", "classical"}
        ``auto``: randomization inference with fewer than 30 places, CRV1
        with 30 or more.
    alpha : float
        1 - confidence level.
    n_perm, seed
        Randomization inference: enumerate every distinct assignment of the
        adoption dates when there are at most ``n_perm + 1``, else draw
        ``n_perm`` at random with ``seed``.

    Returns
    -------
    CountEffectResult
        ``term == "treated:post"``; ``estimate`` is a log ratio and
        ``percent_change`` gives ``100 (exp(beta) - 1)`` with its interval.
    """
    check_common(data, se, alpha, n_perm)
    cluster = cluster or unit
    _prep.require_columns(data, {"count": count, "unit": unit, "time": time, "treated": treated,
                                 "post": post, "cluster": cluster,
                                 "group": group if groups is not None else None,
                                 "category": category if categories is not None else None})
    frame, outcome, added = place_period(data, count, unit, time, treated, post, cluster,
                                          group, category, groups, categories)
    notes = [f"{added} place-periods without a report counted as zero"] if added else []
    first, ucode, tpos = adoption(frame, unit, time, treated, post)
    cl, G = _prep.codes(frame["_cluster"])
    term = f"{treated}:{post}"
    n_by = frame.groupby([treated, post]).agg(cells=("_y", "size"), reports=("_y", "sum"))
    spec = {"outcome": outcome, "count": count, "treated": treated, "post": post, "unit": unit,
            "time": time, "groups": groups, "categories": categories, "cluster": cluster,
            "estimator": "ppml", "fixed_effects": ((unit,), (time,)), "term": term,
            "n_periods": int(frame[time].nunique()),
            "model": f"log E[reports] = {unit} + {time} + beta x {treated} x {post}"}
    return run("count_did", frame, frame["_y"].to_numpy(float), frame["_D"].to_numpy(float),
                fixed_effects(frame, [(unit,), (time,)]), spec, unit_codes=ucode, tpos=tpos, first=first,
                multiplier=np.ones(len(frame)), se=se, alpha=alpha, n_perm=n_perm, seed=seed,
                n_by_group=n_by.reset_index(), notes=notes, cluster_codes=cl, G=G)


def count_ddd(
    data: pd.DataFrame,
    *,
    count: str = "count",
    unit: str = "place",
    time: str = "period",
    treated: str = "treated",
    post: str = "post",
    group: str = "group",
    category: str = "category",
    focus_group: str = FOCUS_GROUP,
    sensitive: Sequence[str] = SENSITIVE,
    benchmark: Sequence[str] = BENCHMARK,
    exclude_groups: Sequence[str] = (UNKNOWN_GROUP,),
    cluster: str | None = None,
    se: str = "auto",
    alpha: float = 0.05,
    n_perm: int = 999,
    seed: int | None = 0,
) -> CountEffectResult:
    """Triple difference isolating reporting from crime (Poisson).

    Cells are place x period x (focus group or not) x (sensitive or benchmark
    set), counts summed within each; the model is ``log E[reports] = FE +
    beta * treated x post x focus x sensitive`` with fixed effects place^period^
    focus, place^period^sensitive, place^focus^sensitive and
    period^focus^sensitive.  ``beta`` is the change in the focus group's
    sensitive-to-benchmark ratio of reports, relative to other victims' and to
    comparison places: a change in *reporting*, since a change in crime against
    the group moves both of its sets alike.

    Parameters
    ----------
    focus_group : str
        Value of ``group`` for the victims the claim is about (``hispanic``).
    sensitive, benchmark : list of str
        Category sets (default :data:`analysis.offences.SENSITIVE` and
        ``BENCHMARK``); other categories are left out.
    exclude_groups : list of str
        Group values that are neither (victim group not recorded).
    Other parameters
        As in :func:`count_did`.

    Returns
    -------
    CountEffectResult
        ``term == "treated:post:focus:sensitive"``.
    """
    check_common(data, se, alpha, n_perm)
    cluster = cluster or unit
    _prep.require_columns(data, {"count": count, "unit": unit, "time": time, "treated": treated,
                                 "post": post, "cluster": cluster, "group": group,
                                 "category": category})
    sensitive, benchmark = list(sensitive), list(benchmark)
    if not sensitive or not benchmark or set(sensitive) & set(benchmark):
        raise InvalidSpecification("sensitive and benchmark categories must be two non-empty, "
                                   "separate lists")
    design = design_table(data, unit, time, treated, post, cluster)
    rows = data[data[category].isin(sensitive + benchmark) & data[group].notna()
                & ~data[group].isin(list(exclude_groups))]
    y_rows = counts_of(rows, count)
    focus = (rows[group] == focus_group).to_numpy()
    sens = rows[category].isin(sensitive).to_numpy()
    for ok, what in ((focus, f"victims in group {focus_group!r}"),
                     (~focus, "victims in other groups"), (sens, "sensitive categories"),
                     (~sens, "benchmark categories")):
        if not (y_rows[ok] > 0).any():
            raise NotEnoughResponses(f"no reports of {what}: the triple difference needs both")
    cells = pd.DataFrame({unit: rows[unit].to_numpy(), time: rows[time].to_numpy(),
                          "focus": focus.astype(np.int8), "sensitive": sens.astype(np.int8),
                          "_y": y_rows})
    summed = cells.groupby([unit, time, "focus", "sensitive"], sort=True)["_y"].sum()
    grid = design.merge(pd.DataFrame({"focus": [0, 0, 1, 1], "sensitive": [0, 1, 0, 1]}),
                        how="cross")
    frame = grid.merge(summed.reset_index(), on=[unit, time, "focus", "sensitive"], how="left")
    added = int(frame["_y"].isna().sum())
    frame["_y"] = frame["_y"].fillna(0.0)
    notes = [f"{added} cells without a report counted as zero"] if added else []
    first, _, _ = adoption(design, unit, time, treated, post)
    ucode, _ = _prep.codes(frame[unit])
    tpos = np.searchsorted(sorted_periods(design[time]), frame[time].to_numpy())
    gs = (frame["focus"] * frame["sensitive"]).to_numpy(float)
    cl, G = _prep.codes(frame["_cluster"])
    term = f"{treated}:{post}:focus:sensitive"
    n_by = (frame.groupby(["focus", "sensitive", treated, post])
            .agg(cells=("_y", "size"), reports=("_y", "sum")).reset_index())
    fes = [(unit, time, "focus"), (unit, time, "sensitive"), (unit, "focus", "sensitive"),
           (time, "focus", "sensitive")]
    spec = {"outcome": (f"police reports: {group_label(focus_group)} vs other victims, "
                        f"{', '.join(sensitive)} vs {', '.join(benchmark)}").replace("_", " "),
            "count": count, "treated": treated, "post": post, "unit": unit, "time": time,
            "group": group, "category": category, "focus_group": focus_group,
            "sensitive": sensitive, "benchmark": benchmark, "cluster": cluster,
            "estimator": "ppml", "fixed_effects": tuple(fes), "term": term,
            "n_periods": int(design[time].nunique()),
            "model": ("log E[reports] = place^period^focus + place^period^sensitive + "
                      "place^focus^sensitive + period^focus^sensitive + "
                      "beta x treated x post x focus x sensitive")}
    return run("count_ddd", frame, frame["_y"].to_numpy(float),
                frame["_D"].to_numpy(float) * gs, fixed_effects(frame, fes), spec, unit_codes=ucode,
                tpos=tpos, first=first, multiplier=gs, se=se, alpha=alpha, n_perm=n_perm,
                seed=seed, n_by_group=n_by, notes=notes, cluster_codes=cl, G=G,
                sign=np.where(frame["focus"] == frame["sensitive"], 1.0, -1.0))


def count_event_study(
    data: pd.DataFrame,
    *,
    count: str = "count",
    unit: str = "place",
    time: str = "period",
    treated: str = "treated",
    post: str = "post",
    window: tuple[int, int] = (-4, 6),
    groups: Sequence[str] | str | None = None,
    categories: Sequence[str] | str | None = None,
    group: str = "group",
    category: str = "category",
    cluster: str | None = None,
    se: str = "auto",
    alpha: float = 0.05,
    n_perm: int = 999,
    seed: int | None = 0,
) -> CountEventStudyResult:
    """Poisson event study: reports by period relative to each place's event.

    ``log E[reports_pt] = place_p + period_t + sum_k beta_k 1{event time = k}``
    for ``k`` in ``window`` except -1 (the reference period), with the
    endpoints binned (earlier and later periods join them).  Event-time
    intervals are CRV1 by place with t(G-1); the pre-trend test is the joint
    Wald test of the pre-event coefficients with the few-cluster Hotelling
    correction ``F(q, G - q)``.  The overall effect (``att``) is
    :func:`count_did` on the same reports, with its inference (``se``).

    Parameters
    ----------
    window : (int, int)
        First and last event time shown (e.g. ``(-4, 6)`` periods).
    Other parameters
        As in :func:`count_did`.
    """
    from ._staggered import hotelling

    lo, hi = (int(v) for v in window)
    if not lo <= -2 < 0 <= hi:
        raise InvalidSpecification(f"window must include -2 and 0, got {window!r}")
    did = count_did(data, count=count, unit=unit, time=time, treated=treated, post=post,
                    groups=groups, categories=categories, group=group, category=category,
                    cluster=cluster, se=se, alpha=alpha, n_perm=n_perm, seed=seed)
    frame, outcome, _ = place_period(data, count, unit, time, treated, post, cluster or unit,
                                      group, category, groups, categories)
    first, ucode, tpos = adoption(frame, unit, time, treated, post)
    if first is None:
        raise InvalidSpecification("the event study needs each place's treatment to switch on "
                                   "once and stay on")
    treated_row = first[ucode] < NEVER
    rel = np.clip(tpos - np.where(treated_row, first[ucode], 0), lo, hi)
    ks = [k for k in range(lo, hi + 1) if k != -1]
    X = np.column_stack([(treated_row & (rel == k)).astype(float) for k in ks])
    names = tuple(f"e={k}" for k in ks)
    cl, G = _prep.codes(frame["_cluster"])
    res = poisson_fit(Design(y=frame["_y"].to_numpy(float), X=X, names=names,
                             fe=fixed_effects(frame, [(unit,), (time,)]), cluster=cl, n_clusters=G),
                      "cluster")
    coefs = res.tidy(alpha)
    pre = [i for i, nm in enumerate(res.names) if int(nm[2:]) <= -2]
    pretrend = hotelling(res.beta[pre], res.vcov[np.ix_(pre, pre)], res.n_clusters)
    att = did.row()
    tidy = assemble_event_tidy(coefs, att, res.names)
    notes = list(did.notes)
    notes.append(f"event times before {lo} and after {hi} are binned into the endpoints; "
                 "period -1 is the reference")
    if res.dropped:
        notes.append(f"not estimable (no place at that event time): {', '.join(res.dropped)}")
    spec = {**dict(did.spec), "outcome": outcome, "window": (lo, hi), "first_treated": "from "
            f"{treated} x {post}", "estimator": "ppml",
            "x_label": f"{time}s relative to the event", "y_label": "log ratio of reports"}
    n_by = (pd.DataFrame({"cohort": np.where(treated_row, first[ucode], -1), "unit": ucode,
                          "reports": frame["_y"].to_numpy()})
            .groupby("cohort").agg(places=("unit", "nunique"), reports=("reports", "sum"))
            .reset_index())
    periods = sorted_periods(frame[time])
    n_by["cohort"] = [periods[c] if c >= 0 else "never" for c in n_by["cohort"]]
    return CountEventStudyResult(
        kind="count_event_study", term="ATT", _tidy=tidy, spec=spec, n_obs=res.n_obs,
        n_by_group=n_by, fingerprint=_prep.fingerprint(frame),
        inference=(f"event times: CRV1 clustered by place ({res.n_clusters} places), "
                   f"t({res.n_clusters - 1}); overall effect: {did.inference}"),
        notes=tuple(notes),
        extras={"pretrend": pretrend, "twfe_pretrend": pretrend,
                "percent_change": dict(did.extras["percent_change"]),
                "overall": did.to_dict()})

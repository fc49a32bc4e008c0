"""Reporting among victims: the survey's measure of actual reporting behaviour.

The victimization block (adapted from the National Crime Victimization
Survey's screener) asks whether the respondent's household experienced each of
a few incident types in the reference period and, for each, whether it was
reported to the police.  The estimand is the **reporting rate among victims**:
of the incidents respondents experienced, the share reported.  Its
difference-in-differences (and triple difference, immigrant vs other
respondents) runs through the same estimators as the scales
(:func:`analysis.did`, :func:`analysis.ddd`) on one row per victim incident
(a respondent with two incident types gives two rows; errors are clustered by
jurisdiction, which also covers a respondent's several incidents).

Victims are a small share of respondents, so the result always carries a power
statement computed from the design that ran (:func:`analysis.power` with the
victim incidents per jurisdiction x wave cell and the binary outcome's
standard deviation): how large a change in the rate the data could detect, and
how likely a fall of the size reported in 2017 would be to show.

Expected columns, one pair per incident type ``k`` (:func:`incident_columns`
builds the pairs): ``victim_k`` 0/1 and ``reported_k`` 0/1 (missing when not a
victim).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import _prep
from .did import ddd, did
from .disclosure import DEFAULT_MIN_COUNT, suppress
from .errors import InvalidSpecification, NotEnoughResponses
from .power import PowerResult
from .power import power as plan_power
from .results import EffectResult, _plain, _records, _Rendered

__all__ = ["VictimReportingResult", "incident_columns", "reporting_rates", "victim_incidents",
           "victim_reporting"]

BENCHMARK_RELATIVE_FALL = 0.25   # a quarter of the rate: the 2017 fall in sexual-assault reports


def incident_columns(types: Sequence[str], *, victim: str = "victim_{}",
                     reported: str = "reported_{}") -> dict[str, tuple[str, str]]:
    """``{type: (victim column, reported column)}`` from name patterns."""
    types = _prep.as_list(types)
    if not types:
        raise InvalidSpecification("name at least one incident type")
    return {k: (victim.format(k), reported.format(k)) for k in types}


def _pairs(data: pd.DataFrame, incidents) -> dict[str, tuple[str, str]]:
    if isinstance(incidents, str) or not isinstance(incidents, Mapping):
        incidents = incident_columns(incidents)
    for k, pair in incidents.items():
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise InvalidSpecification(f"incident {k!r} needs (victim column, reported column)")
        _prep.require_columns(data, {"victim": pair[0], "reported": pair[1]})
    return {str(k): (str(v), str(r)) for k, (v, r) in incidents.items()}


def victim_incidents(data: pd.DataFrame, incidents, *, keep: Sequence[str] = ()) -> pd.DataFrame:
    """One row per victim incident: ``incident``, ``reported`` (0/1) and the ``keep`` columns.

    A victim whose reporting answer is missing is left out (and counted in
    ``attrs["unanswered"]``); a reporting answer from a non-victim is ignored.
    """
    _prep.require_frame(data)
    pairs = _pairs(data, incidents)
    keep = list(dict.fromkeys(_prep.as_list(keep)))
    _prep.require_columns(data, {"kept": keep})
    parts, unanswered = [], 0
    for k, (vcol, rcol) in pairs.items():
        victim = _prep.binary(data, vcol, "victim") == 1
        rep = _prep.numeric(data, rcol, "reported")
        bad = victim & ~np.isnan(rep) & ~np.isin(rep, [0.0, 1.0])
        if bad.any():
            raise InvalidSpecification(f"reported column {rcol!r} must be 0/1 for victims")
        answered = victim & ~np.isnan(rep)
        unanswered += int((victim & np.isnan(rep)).sum())
        part = data.loc[answered, keep].copy()
        part.insert(0, "reported", rep[answered])
        part.insert(0, "incident", k)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.attrs = {"unanswered": unanswered}
    return out


def reporting_rates(data: pd.DataFrame, incidents, by: Sequence[str] | str = ("immigrant",),
                    *, weights: str | None = None,
                    min_count: int = DEFAULT_MIN_COUNT) -> pd.DataFrame:
    """Reporting rate among victims by group, under the small-cell rule.

    Returns one row per group with ``incidents`` (victim incidents),
    ``reported`` and ``rate`` (weighted when ``weights`` is given); groups
    with fewer than ``min_count`` incidents are suppressed (with complementary
    cells), since a rate from three victims can identify them.
    """
    by = _prep.as_list(by)
    stacked = victim_incidents(data, incidents, keep=by + ([weights] if weights else []))
    w = np.ones(len(stacked)) if weights is None else _prep.weights_array(stacked, weights)
    stacked = stacked.assign(_w=w, _wr=w * stacked["reported"])
    g = stacked.groupby(by, dropna=False) if by else stacked.assign(_all=1).groupby("_all")
    table = g.agg(incidents=("reported", "size"), reported=("reported", "sum"),
                  _w=("_w", "sum"), _wr=("_wr", "sum")).reset_index()
    table["rate"] = table.pop("_wr") / table.pop("_w")
    table["reported"] = table["reported"].astype(float)
    return suppress(table.drop(columns=["_all"], errors="ignore"), "incidents", min_count,
                    None, value_cols=["reported", "rate"])


@dataclass(frozen=True, eq=False, repr=False)
class VictimReportingResult(_Rendered):
    """The reporting-rate effect with its rates, power and power statement."""

    effect: EffectResult
    rates: pd.DataFrame = field(repr=False)
    by_incident: pd.DataFrame = field(repr=False)
    power: PowerResult = None  # type: ignore[assignment]
    statement: str = ""
    counts: Mapping = field(default_factory=dict)
    kind: str = "victim_reporting"

    @property
    def title(self) -> str:
        return "Reporting to the police among victims (survey)"

    @property
    def estimate(self) -> float:
        return self.effect.estimate

    @property
    def se(self) -> float:
        return self.effect.se

    @property
    def ci(self) -> tuple[float, float]:
        return self.effect.ci

    @property
    def p_value(self) -> float:
        return self.effect.p_value

    @property
    def spec(self):
        return self.effect.spec

    @property
    def inference(self) -> str:
        return self.effect.inference

    def sections(self):
        from .sections import Section
        from .sections import table as _table

        c = self.counts
        kv = [("Respondents", c.get("respondents")), ("Victims", c.get("victims")),
              ("Victim incidents with a reporting answer", c.get("incidents")),
              ("Incident types", ", ".join(c.get("incident_types", ()))),
              ("Victims who did not say whether they reported", c.get("unanswered"))]
        out = [Section("Victims in the sample", "kv", kv),
               Section("Reporting rate among victims", "table", _table(self.rates)),
               Section("Reporting rate by incident type", "table", _table(self.by_incident)),
               Section("Power with this many victims", "text", self.statement)]
        out += [Section(f"Effect on the reporting rate: {s.title}", s.kind, s.payload)
                for s in self.effect.sections()]
        out += [s.retitled("Power") for s in self.power.sections()]
        return out

    def to_dict(self) -> dict:
        low, high = self.ci
        return {"kind": self.kind, "estimate": self.estimate, "se": self.se, "ci_low": low,
                "ci_high": high, "p_value": self.p_value, "n_obs": self.effect.n_obs,
                "statement": self.statement, "counts": _plain(dict(self.counts)),
                "rates": _records(self.rates), "by_incident": _records(self.by_incident),
                "effect": self.effect.to_dict(), "power": self.power.to_dict()}


def _first_treated_waves(frame: pd.DataFrame, unit, time, treated, post) -> tuple:
    times = np.sort(frame[time].dropna().unique())
    out = []
    for _, g in frame.groupby(unit, sort=True):
        on = g[(g[treated] == 1) & (g[post] == 1)][time]
        out.append(int(np.searchsorted(times, on.min()) + 1) if len(on) else 0)
    return tuple(out), len(times)


def victim_reporting(
    data: pd.DataFrame,
    incidents,
    *,
    treated: str,
    post: str,
    unit: str,
    time: str,
    subgroup: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    se: str = "auto",
    alpha: float = 0.05,
    n_boot: int = 999,
    seed: int | None = 0,
    icc: float = 0.02,
    min_count: int = DEFAULT_MIN_COUNT,
) -> VictimReportingResult:
    """DiD (or DDD with ``subgroup``) of the reporting rate among victims, with power.

    Parameters
    ----------
    data : DataFrame
        Respondent rows with the incident columns and the design columns.
    incidents : list of str or mapping
        Incident types (columns ``victim_k``/``reported_k``), or
        ``{type: (victim column, reported column)}``.
    treated, post, unit, time, subgroup, weights, cluster, se, alpha, n_boot, seed
        As in :func:`analysis.did` / :func:`analysis.ddd` (two-way fixed
        effects by ``unit`` and ``time``, clustered by ``unit``).
    icc : float
        Intra-cluster correlation of reporting within jurisdiction x wave
        cells assumed by the power statement.
    min_count : int
        Small-cell rule for the published rates.
    """
    keep = [c for c in dict.fromkeys([unit, time, treated, post, subgroup, weights, cluster]) if c]
    stacked = victim_incidents(data, incidents, keep=keep)
    if len(stacked) < 3:
        raise NotEnoughResponses(f"only {len(stacked)} victim incidents with a reporting answer: "
                                 "too few to estimate a reporting rate")
    common: dict[str, Any] = {"unit": unit, "time": time, "weights": weights, "cluster": cluster, "se": se,
              "alpha": alpha, "n_boot": n_boot, "seed": seed}
    effect = (ddd(stacked, "reported", treated, post, subgroup, **common) if subgroup
              else did(stacked, "reported", treated, post, **common))
    pairs = _pairs(data, incidents)
    victims = np.zeros(len(data), dtype=bool)
    for vcol, _ in pairs.values():
        victims |= _prep.binary(data, vcol, "victim") == 1
    design = [c for c in (subgroup, treated, post) if c]
    rates = reporting_rates(data, pairs, design, weights=weights, min_count=min_count)
    by_incident = (stacked.groupby(["incident"] + ([subgroup] if subgroup else []))
                   .agg(incidents=("reported", "size"), reported=("reported", "sum"))
                   .reset_index())
    by_incident["rate"] = by_incident["reported"] / by_incident["incidents"]
    by_incident = suppress(by_incident.astype({"reported": float}), "incidents", min_count, None,
                           value_cols=["reported", "rate"])
    plan, statement = _power_statement(stacked, data, effect, unit, time, treated, post,
                                       subgroup, icc, alpha, int(victims.sum()))
    counts = {"respondents": len(data), "victims": int(victims.sum()),
              "incidents": len(stacked), "unanswered": stacked.attrs.get("unanswered", 0),
              "incident_types": tuple(pairs)}
    return VictimReportingResult(effect=effect, rates=rates, by_incident=by_incident,
                                 power=plan, statement=statement, counts=counts)


def _power_statement(stacked, data, effect, unit, time, treated, post, subgroup, icc, alpha,
                     n_victims) -> tuple[PowerResult, str]:
    """The power of this design for the reporting rate, and the sentence saying it."""
    first, n_waves = _first_treated_waves(data, unit, time, treated, post)
    J = len(first)
    cells = stacked.groupby([unit, time]).size()
    m = float(len(stacked) / (J * n_waves))
    rate = float(stacked["reported"].mean())
    sd = float(np.sqrt(max(rate * (1 - rate), 1e-6)))
    share = float(stacked[subgroup].mean()) if subgroup else 0.35
    drop = BENCHMARK_RELATIVE_FALL * rate
    kw = {"icc": icc, "sd": sd, "first_treated": first, "alpha": alpha,
          "design": "ddd" if subgroup else "did", "subgroup_share": min(max(share, 0.01), 0.99)}
    plan = plan_power(J, n_waves, max(m, 1e-3), effect=drop, **kw)
    row = plan.tidy.iloc[0]
    what = ("change in immigrant victims' reporting rate relative to other victims'"
            if subgroup else "change in the reporting rate")
    need_m = float(row["required_responses_per_cell"])
    per_resp = len(stacked) / max(len(data), 1)
    sentence = (
        f"{len(stacked):,} victim incidents (from {n_victims:,} victims among {len(data):,} "
        f"respondents), about {m:.1f} per jurisdiction and wave, {len(cells)} cells with any; "
        f"reporting rate {rate:.0%}. With {J} jurisdictions and {n_waves} waves, the smallest "
        f"{what} detectable with 80% power at the {alpha:.0%} level is {plan.mde:.2f} "
        f"({100 * plan.mde:.0f} percentage points). A fall of a quarter in the rate "
        f"({100 * drop:.0f} points; reports of sexual assault by Latino victims fell about 25% "
        f"in 2017) would be detected with probability {row['power_at_effect']:.0%}.")
    if np.isfinite(need_m):
        sentence += (f" Detecting it with 80% power needs about {need_m:,.0f} victim incidents "
                     f"per jurisdiction and wave (about {need_m / max(per_resp, 1e-9):,.0f} "
                     "respondents per cell at this victimization rate).")
    if row["power_at_effect"] < 0.5:
        sentence += " Read an interval that includes zero as 'cannot tell', not 'no effect'."
    return plan, sentence

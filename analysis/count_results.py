"""Results of the count designs (police records); each builds its own sections.

A Poisson coefficient is a log ratio, so besides the coefficient every result
carries ``percent_change`` = ``100 (exp(beta) - 1)`` with its interval (the
interval's ends transformed the same way), and a sentence in words generated
from what ran.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .event_study import EVENT_COLUMNS, EventStudyResult
from .results import EffectResult, _plain

__all__ = ["CountEffectResult", "CountEventStudyResult", "assemble_event_tidy", "describe"]

DESIGN_WORDS = {   # (what changed, relative to what)
    "count_did": ("{outcome} in treated places", "comparison places"),
    "count_ddd": ("the ratio of reporting-sensitive to benchmark reports for {focus}",
                  "other victims and comparison places"),
    "count_event_study": ("{outcome} in treated places", "comparison places"),
}


def _level(spec) -> int:
    return int(round(100 * (1 - float(spec.get("alpha", 0.05)))))


def describe(kind: str, spec, pct, p_value: float) -> str:
    """One sentence: what changed, by how much, with its interval and p-value."""
    from .offences import group_label

    subject, relative = DESIGN_WORDS[kind]
    what = subject.format(outcome=spec.get("outcome", "reports"),
                          focus=group_label(spec.get("focus_group", "")))
    lo, hi = pct["ci_low"], pct["ci_high"]
    ends = " to ".join("unbounded" if not np.isfinite(v) else f"{v:+.1f}%" for v in (lo, hi))
    p = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
    return (f"After the policy, {what} changed by {pct['estimate']:+.1f}% relative to "
            f"{relative} ({_level(spec)}% CI {ends}; {p}).")


class _CountMixin:
    """Shared by the count results; they are result dataclasses carrying these fields."""

    extras: dict
    kind: str
    spec: dict
    p_value: float
    n_obs: int
    inference: str
    fingerprint: str

    @property
    def percent_change(self) -> dict:
        return {k: float(v) for k, v in self.extras["percent_change"].items()}

    def sentence(self) -> str:
        return describe(self.kind, self.spec, self.percent_change, self.p_value)

    def _spec_kv(self) -> list[tuple[str, object]]:
        s = self.spec
        kv = [("Outcome", s.get("outcome")), ("Model (Poisson PML)", s.get("model")),
              ("Places (clusters)", s.get("n_clusters")),
              ("Treated places", s.get("n_treated_places")),
              ("Periods", s.get("n_periods")), ("Cells analysed", self.n_obs),
              ("Inference", self.inference)]
        if s.get("se_reason"):
            kv.append(("Why this inference", s.get("se_reason")))
        kv.append(("Data fingerprint (SHA-256)", self.fingerprint))
        return [(k, v) for k, v in kv if v not in (None, "")]


class CountEffectResult(_CountMixin, EffectResult):
    """A PPML DiD or triple difference on counts (``kind`` ``count_did``/``count_ddd``)."""

    def sections(self):
        from ._effect_sections import with_method
        from .sections import Section, method_label
        from .sections import table as _table

        pct = self.percent_change
        r = self.row()
        est = pd.DataFrame([{"term": self.term, "estimate": r["estimate"], "se": r["se"],
                             "p_value": r["p_value"], "ci_low": r["ci_low"],
                             "ci_high": r["ci_high"], "percent_change": pct["estimate"],
                             "percent_low": pct["ci_low"], "percent_high": pct["ci_high"]}])
        out = [Section("Specification", "kv", self._spec_kv()),
               Section("Estimate (log ratio and percent change)", "table",
                       _table(with_method(est, method_label(self.extras.get("inference"))))),
               Section("In words", "text", self.sentence())]
        if "crv1" in self.extras:
            c = self.extras["crv1"]
            # one p-value per estimate: the comparison shows its interval only
            out.append(Section("Cluster-robust (CRV1) interval, for comparison", "kv",
                               [("CI low", c["ci_low"]), ("CI high", c["ci_high"])]))
        if len(self.n_by_group):
            out.append(Section("Reports by design cell", "table", _table(self.n_by_group)))
        if self.notes:
            out.append(Section("Notes", "list", list(self.notes)))
        return out

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["percent_change"] = _plain(self.extras["percent_change"])
        out["sentence"] = self.sentence()
        return out


class CountEventStudyResult(_CountMixin, EventStudyResult):
    """PPML event study; ``att`` is :func:`analysis.count_did` on the same reports."""

    @property
    def comparison(self) -> pd.DataFrame:
        return self._tidy.iloc[0:0]

    def sentence(self) -> str:
        return describe("count_event_study", self.spec, self.percent_change,
                        self.att["p_value"])

    def sections(self):
        from ._effect_sections import event_figure, with_method
        from .sections import Section, fmt, method_label
        from .sections import table as _table

        pre = self.pretrend
        att = self._tidy[self._tidy["aggregation"] == "simple"]
        return [s for s in [
            Section("Specification", "kv", self._spec_kv()),
            Section("Overall effect (log ratio)", "table",
                    _table(with_method(att[["estimate", "se", "p_value", "ci_low", "ci_high"]],
                                       method_label(self.extras.get("inference"))))),
            Section("In words", "text", self.sentence()),
            Section("Pre-trend test", "kv", [("F statistic", pre.get("statistic")),
                                             ("df", f"{pre.get('df1')}, {pre.get('df2')}"),
                                             ("p-value", fmt(pre.get("p_value"), "p_value")),
                                             ("Test", pre.get("note"))]),
            Section("Event figure", "figure", event_figure(self)),
            Section("By event time (log ratio; -1 is the reference)", "table",
                    _table(with_method(self.periods[["rel_time", "estimate", "se", "p_value",
                                                     "ci_low", "ci_high"]],
                                       method_label(self.extras.get("inference"))))),
            Section("Places and reports by first treated period", "table",
                    _table(self.n_by_group)),
            Section("Notes", "list", list(self.notes)) if self.notes else None,
        ] if s is not None]

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["percent_change"] = _plain(self.extras["percent_change"])
        out["sentence"] = self.sentence()
        return out


def assemble_event_tidy(coefs: pd.DataFrame, att: pd.Series, names) -> pd.DataFrame:
    """The event-study tidy table (``EVENT_COLUMNS`` + statistics), estimator ``ppml``."""
    rows = []
    for _, r in coefs.iterrows():
        k = int(str(r["term"])[2:])
        rows.append({"estimator": "ppml", "aggregation": "dynamic", "term": r["term"],
                     "rel_time": k, "cohort": np.nan, "time": np.nan,
                     **{c: r[c] for c in ("estimate", "se", "statistic", "p_value", "ci_low",
                                          "ci_high")}})
    rows.append({"estimator": "ppml", "aggregation": "dynamic", "term": "e=-1", "rel_time": -1,
                 "cohort": np.nan, "time": np.nan, "estimate": 0.0, "se": 0.0,
                 "statistic": np.nan, "p_value": np.nan, "ci_low": 0.0, "ci_high": 0.0})
    rows.append({"estimator": "ppml", "aggregation": "simple", "term": "ATT", "rel_time": np.nan,
                 "cohort": np.nan, "time": np.nan,
                 **{c: att[c] for c in ("estimate", "se", "statistic", "p_value", "ci_low",
                                        "ci_high")}})
    out = pd.DataFrame(rows)
    out = out.sort_values(["aggregation", "rel_time"], kind="stable").reset_index(drop=True)
    out["rel_time"] = out["rel_time"].astype("Float64").astype("Int64")
    return out[EVENT_COLUMNS + ["estimate", "se", "statistic", "p_value", "ci_low", "ci_high"]]

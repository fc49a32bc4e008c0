"""Stated willingness beside actual reporting, for the same places and events.

The survey measures what residents *say* they would do; police records count
what victims *did*.  :func:`stated_vs_actual` puts the two effects side by
side (each in its own unit: points on the survey scale, percent change in
reports), each with its interval and the plain reading of it (fell, rose, no
clear change).  Each side then gets the four-outcome verdict of the reporting
work against its own hypothesis sentence and smallest effect of interest, and
the sentence on whether they agree is derived from the two verdicts, never
from the signs alone (:mod:`analysis.stated_verdicts`).
Optionally a third line shows the survey's own behavioural measure, the
reporting rate among victims (:func:`analysis.victim_reporting`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InvalidSpecification
from .results import _plain, _Rendered
from .sections import method_label
from .stated_verdicts import (
    DEFAULT_RECORDS_SESOI,
    ClaimLike,
    SideVerdict,
    agreement_from_verdicts,
    records_claim,
    side_verdict,
    survey_claim,
)

__all__ = ["StatedVsActual", "direction", "stated_vs_actual"]

AGREEMENT = ("agree", "disagree", "partly", "unclear")


def direction(ci: tuple[float, float]) -> str:
    """``fell`` (interval below zero), ``rose`` (above) or ``no clear change``."""
    lo, hi = ci
    if hi < 0:
        return "fell"
    if lo > 0:
        return "rose"
    return "no clear change"


@dataclass(frozen=True)
class Line:
    """One measure in the comparison, in its own unit."""

    measure: str
    design: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    unit: str            # "points" (survey scale), "pp" (rate, 0-1), "percent" (records)
    inference: str
    places: int
    direction: str
    verdict: str = "not tested"  # the victims line is shown, not tested against the claim
    p_method: str = ""   # the p-value's method in words, shown beside it (not in the JSON lines)

    def _number(self, v: float) -> str:
        if not np.isfinite(v):
            return "unbounded"
        if self.unit == "percent":
            return f"{v:+.0f}%"
        return f"{100 * v:+.0f}" if self.unit == "pp" else f"{v:+.2f}"

    def effect_text(self, inline: bool = False) -> str:
        """``-0.22 points (95% CI -0.51 to +0.04)``; ``inline``: ``..., 95% CI ...``."""
        unit = {"percent": "", "pp": " percentage points"}.get(self.unit, " points")
        value = self._number(self.estimate) + unit
        ci = f"95% CI {self._number(self.ci_low)} to {self._number(self.ci_high)}"
        return f"{value}, {ci}" if inline else f"{value} ({ci})"


def _p_method(result) -> str:
    """The p-value's method in words, from the result's inference record.

    A records (Poisson) result keeps no such record: its randomization
    inference is in ``extras["randomization"]``, else its ``se`` option ran.
    """
    extras = getattr(result, "extras", None) or {}
    record = extras.get("inference") or {
        "method": "randomization" if "randomization" in extras else result.spec.get("se")}
    return method_label(record)


def _line(result, measure: str, unit: str) -> Line:
    if unit == "percent":
        pct = getattr(result, "percent_change", None)
        if pct is None:
            raise InvalidSpecification("the records result has no percent change: pass a "
                                       "count_did / count_ddd result")
        est, lo, hi = pct["estimate"], pct["ci_low"], pct["ci_high"]
    else:
        est, (lo, hi) = result.estimate, result.ci
    spec = result.spec
    kind = getattr(result, "kind", "")
    design = {"did": "difference-in-differences", "ddd": "triple differences",
              "count_did": "difference-in-differences (Poisson)",
              "count_ddd": "triple differences (Poisson)",
              "victim_reporting": ("triple differences" if getattr(result, "effect", result).kind
                                   == "ddd" else "difference-in-differences")}.get(kind, kind)
    inference = getattr(result, "inference", "") or ""
    return Line(measure=measure, design=design, estimate=float(est), ci_low=float(lo),
                ci_high=float(hi), p_value=float(result.p_value), unit=unit,
                inference=inference, places=int(spec.get("n_clusters", 0) or 0),
                direction=direction((lo, hi)),
                p_method=_p_method(getattr(result, "effect", result)))


@dataclass(frozen=True, eq=False, repr=False)
class StatedVsActual(_Rendered):
    """The side-by-side comparison: lines, agreement word and sentence, notes."""

    lines: tuple[Line, ...]
    agreement: str
    sentence: str
    verdicts: tuple[SideVerdict, SideVerdict]
    places: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    components: tuple = field(default=(), repr=False)
    kind: str = "stated_vs_actual"

    @property
    def title(self) -> str:
        return "Stated willingness vs actual reporting"

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"measure": ln.measure, "design": ln.design,
                              "effect": ln.effect_text(), "direction": ln.direction,
                              "verdict": ln.verdict,
                              "p_value": ln.p_value, "inference": ln.p_method,
                              "places": ln.places}
                             for ln in self.lines])

    def sections(self):
        from .sections import Section
        from .sections import table as _table

        stated, actual = self.verdicts
        out = [Section("Hypothesis", "list", [f"Survey: {stated.hypothesis}",
                                               f"Records: {actual.hypothesis}"]),
               Section("Verdict: stated willingness (survey)", "verdict",
                       (stated.word, stated.sentence)),
               Section("Verdict: police reports (records)", "verdict",
                       (actual.word, actual.sentence)),
               Section("Do they agree?", "verdict", (self.agreement, self.sentence)),
               Section("Side by side", "table", _table(self.table)),
               Section("Inference", "kv", [(ln.measure, ln.inference) for ln in self.lines])]
        facts = []
        if self.places:
            facts.append(("Places", ", ".join(self.places)))
        if self.events:
            facts.append(("Policy events", "; ".join(self.events)))
        if facts:
            out.append(Section("Places and events", "kv", facts))
        if self.notes:
            out.append(Section("Notes", "list", list(self.notes)))
        for name, res in self.components:
            out += [s.retitled(name) for s in res.sections()]
        return out

    def to_dict(self) -> dict:
        stated, actual = self.verdicts
        return {"kind": self.kind, "agreement": self.agreement, "sentence": self.sentence,
                "hypothesis": {"stated": stated.hypothesis, "actual": actual.hypothesis},
                "verdicts": {"stated": stated.as_dict(), "actual": actual.as_dict()},
                "lines": [_plain({k: v for k, v in vars(ln).items() if k != "p_method"})
                          for ln in self.lines],
                "places": list(self.places), "events": list(self.events),
                "notes": list(self.notes),
                "components": {name: res.to_dict() for name, res in self.components}}

    def __repr__(self) -> str:
        return f"<StatedVsActual {self.agreement}>"


def stated_vs_actual(
    stated,
    actual,
    *,
    victims=None,
    stated_label: str = "Stated willingness to report (survey)",
    actual_label: str = "Police reports (records)",
    victims_label: str = "Reporting among victims (survey)",
    expected_sign: int | None = -1,
    stated_claim: ClaimLike | None = None,
    actual_claim: ClaimLike | None = None,
    stated_sesoi: float | None = None,
    records_sesoi: float | None = DEFAULT_RECORDS_SESOI,
    places: Sequence[str] = (),
    events: Sequence[str] = (),
    include_components: bool = True,
) -> StatedVsActual:
    """Compare the survey effect on willingness with the records effect on reports.

    Parameters
    ----------
    stated : EffectResult
        :func:`analysis.did` or :func:`analysis.ddd` on the willingness scale.
    actual : CountEffectResult
        :func:`analysis.count_did` or :func:`analysis.count_ddd` on reports.
    victims : VictimReportingResult, optional
        The survey's reporting rate among victims, shown as a third line.
    expected_sign : {-1, 1, None}
        The direction the claim predicts for both (``-1``: more entanglement
        lowers willingness and reports); ``None`` to say nothing about it.
        Used for the claims not given explicitly.
    stated_claim, actual_claim : Claim, optional
        Expected sign and hypothesis sentence of each side (any object with
        ``expected_sign`` and ``sentence``); default from ``expected_sign``.
    stated_sesoi : float, optional
        Smallest effect of interest on the survey scale (points); without it the
        survey verdict cannot be *no effect of interest*.
    records_sesoi : float, optional
        Smallest effect of interest for the records in percent change of
        reports (tested as ``log(1 + p/100)`` log points), 10% by default.
    places, events : list of str
        The places and policy events both analyses cover, for the record.
    include_components : bool
        Append each result's own sections to the rendered comparison.
    """
    if expected_sign not in (-1, 1, None):
        raise InvalidSpecification("expected_sign must be -1, 1 or None")
    s = _line(stated, stated_label, "points")
    a = _line(actual, actual_label, "percent")
    lines = [s] + ([_line(victims, victims_label, "pp")] if victims is not None else []) + [a]
    sclaim = stated_claim or survey_claim(expected_sign)
    aclaim = actual_claim or records_claim(expected_sign)
    ddd_stated = getattr(stated, "kind", "") == "ddd"
    sv = side_verdict(stated, sclaim, sesoi=stated_sesoi, records=False,
                      what=("The extra change in stated willingness to report for immigrant "
                            "respondents" if ddd_stated else
                            "The change in stated willingness to report in treated places"))
    av = side_verdict(actual, aclaim, sesoi=records_sesoi, records=True,
                      what=("The change in reports to the police (log ratio, "
                            f"{'triple difference' if actual.kind == 'count_ddd' else 'DiD'})"))
    lines[0] = dataclasses.replace(s, verdict=sv.word)
    lines[-1] = dataclasses.replace(a, verdict=av.word)
    word, sentence = agreement_from_verdicts(sv.word, av.word)
    notes = []
    if s.places and a.places and s.places != a.places:
        notes.append(f"The survey estimate uses {s.places} places and the records estimate "
                     f"{a.places}: the comparison is not like for like.")
    notes.append("Units differ: the survey effect is in points on its 1-5 scale, the records "
                 "effect in percent change of reports; compare directions and intervals, not "
                 "sizes.")
    if actual.kind == "count_ddd":
        notes.append("The records estimate is a triple difference: a change in crime against "
                     "the group moves its benchmark reports too and cancels, so it measures "
                     "reporting.")
    else:
        notes.append("The records estimate is a difference-in-differences of reports: a change "
                     "in crime itself would move it as much as a change in reporting.")
    comps = []
    if include_components:
        comps = [(stated_label, stated)] + ([(victims_label, victims)] if victims else []) + [
            (actual_label, actual)]
    return StatedVsActual(lines=tuple(lines), agreement=word, sentence=sentence, verdicts=(sv, av),
                          places=tuple(map(str, places)), events=tuple(map(str, events)),
                          notes=tuple(notes), components=tuple(comps))

"""The verdict on the claim for each side of the stated-vs-actual comparison.

The side-by-side view must not read agreement off two signs: a survey effect
that *supports* the claim beside a records effect that is tightly null says
something different from one beside a records interval too wide to tell.  So
each side gets the four-outcome verdict of :mod:`analysis.verdicts` (supports,
opposite, no effect of interest by TOST against an explicit SESOI,
inconclusive), each against its own hypothesis sentence and expected sign, and
the agreement sentence is derived from the two verdict words alone.

The records side is tested on the log scale of the Poisson estimate (where its
interval and standard error live).  Its SESOI is given in percent, ``p``, and
tested as ``log(1 + p/100)`` log points either way: the smaller of the two
log-distances of a p% rise and a p% fall, so ruling it out also rules out a
p% fall (conservative for the claim's direction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .errors import InvalidSpecification
from .verdicts import verdict

__all__ = ["DEFAULT_RECORDS_SESOI", "Claim", "ClaimLike", "SideVerdict", "agreement_from_verdicts",
           "records_claim", "records_sesoi_log", "side_verdict", "survey_claim"]

DEFAULT_RECORDS_SESOI = 10.0  # percent change in reports; the view's default, always stated


@dataclass(frozen=True)
class Claim:
    """What the claim predicts for one measure: the expected sign and the sentence saying so."""

    expected_sign: int | None
    sentence: str


class ClaimLike(Protocol):
    """Anything with an expected sign and a sentence (``Claim``, the web app's ``Hypothesis``)."""

    @property
    def expected_sign(self) -> int | None: ...

    @property
    def sentence(self) -> str: ...


_EVENTS = {-1: "More entanglement of local police with immigration enforcement",
           1: "Less entanglement of local police with immigration enforcement"}


def records_claim(expected_sign: int | None, group: str = "Hispanic or Latino victims") -> Claim:
    """The claim for police records: fewer reports by ``group`` in reporting-sensitive categories.

    ``expected_sign`` is the sign under the events analysed: -1 when they mean more
    entanglement (reports fall), +1 when less (reports rise), None when unknown.
    """
    if expected_sign not in (-1, 1):
        return Claim(None, "The events analysed are not marked as more or less entanglement, so no "
                           "direction is expected for police reports.")
    verb = "lowers" if expected_sign < 0 else "raises"
    return Claim(expected_sign, (
        f"{_EVENTS[expected_sign]} {verb} reports to the police by {group} in reporting-sensitive "
        "categories (domestic violence, sexual assault, assault), relative to benchmark categories "
        "nearly always reported (homicide, motor vehicle theft) and to other victims. The records "
        f"estimate is therefore expected to be {'negative' if expected_sign < 0 else 'positive'}."))


def survey_claim(expected_sign: int | None) -> Claim:
    """A generic claim for willingness to report (the CLI's; the web app words it from the instrument)."""
    if expected_sign not in (-1, 1):
        return Claim(None, "No direction is expected for stated willingness to report.")
    verb = "lowers" if expected_sign < 0 else "raises"
    return Claim(expected_sign, (
        f"{_EVENTS[expected_sign]} {verb} immigrant residents' willingness to report crime relative "
        f"to other residents. The survey estimate is therefore expected to be "
        f"{'negative' if expected_sign < 0 else 'positive'}."))


def records_sesoi_log(percent: float) -> float:
    """The records SESOI in log points for a SESOI of ``percent`` (0 < percent < 100)."""
    if not (np.isfinite(percent) and 0 < percent < 100):
        raise InvalidSpecification("the records smallest effect of interest must be a percentage "
                                   "between 0 and 100")
    return float(np.log1p(percent / 100))


@dataclass(frozen=True)
class SideVerdict:
    """One side's verdict: the word (in :data:`analysis.verdicts.VERDICTS`), its sentence, its test."""

    word: str
    sentence: str
    expected_sign: int | None
    sesoi: float | None
    sesoi_unit: str
    hypothesis: str

    def as_dict(self) -> dict:
        return {"verdict": self.word, "sentence": self.sentence, "expected_sign": self.expected_sign,
                "sesoi": self.sesoi, "sesoi_unit": self.sesoi_unit, "hypothesis": self.hypothesis}


def side_verdict(result, claim: ClaimLike, *, sesoi: float | None, records: bool, what: str) -> SideVerdict:
    """The verdict of :func:`analysis.verdicts.verdict` on ``result``'s headline estimate.

    ``sesoi`` is in points (survey) or in percent (records, tested on the log scale).
    """
    g = int(getattr(result, "n_clusters", 0) or 0)
    # The SESOI here is the comparison's (a frozen plan's or one set in the view), not always pre-registered.
    own = "the smallest effect of interest set for this comparison"
    dfree = g - 1 if g > 1 else 10_000
    lo, hi = result.ci
    if records:
        test = records_sesoi_log(sesoi) if sesoi is not None else None
        word, text = verdict(result.estimate, (lo, hi), test, se=result.se, dfree=dfree,
                             expected_sign=claim.expected_sign, what=what, unit="log points")
        text = text.replace("the pre-registered smallest effect of interest", own)
        if sesoi is not None:
            text += (f" Smallest effect of interest for the records: {sesoi:g}% either way "
                     f"({test:.3f} log points).")
        return SideVerdict(word, text, claim.expected_sign, sesoi, "percent", claim.sentence)
    word, text = verdict(result.estimate, (lo, hi), sesoi, se=result.se, dfree=dfree,
                         expected_sign=claim.expected_sign, what=what, unit="points")
    text = text.replace("the pre-registered smallest effect of interest", own).replace(
        "no smallest effect of interest was pre-registered", "no smallest effect of interest was set")
    return SideVerdict(word, text, claim.expected_sign, sesoi, "points", claim.sentence)


_READ = {"supports": ("supports", "support", "the claim"), "opposite": ("goes", "go", "against the claim"),
         "no_effect_of_interest": ("rules", "rule", "out an effect of interest"),
         "inconclusive": ("cannot", "cannot", "tell")}


def _reads(word: str, plural: bool) -> str:
    one, many, rest = _READ[word]
    return f"{many if plural else one} {rest}"


def agreement_from_verdicts(stated: str, actual: str) -> tuple[str, str]:
    """``(word, sentence)`` from the two verdict words: agree, disagree, partly or unclear."""
    said = f"the survey {_reads(stated, False)} ({stated.replace('_', ' ')})"
    did = f"the police records {_reads(actual, True)} ({actual.replace('_', ' ')})"
    if stated == actual == "inconclusive":
        return "unclear", (f"Neither can tell: {said} and {did}, so these data cannot say whether "
                           "stated and actual reporting moved together.")
    if "inconclusive" in (stated, actual):
        decided = "survey gives" if actual == "inconclusive" else "police records give"
        return "partly", (f"Only the {decided} a verdict: {said}; {did}. An inconclusive "
                          "verdict is not evidence either way, so they neither agree nor disagree.")
    if stated == actual:
        tail = {"supports": "Both moved the way the claim predicts.",
                "opposite": "Both moved against the claim's prediction.",
                "no_effect_of_interest": "Neither shows an effect as large as the smallest of "
                                         "interest."}[stated]
        return "agree", f"They agree: {said}, and {did}. {tail}"
    return "disagree", f"They disagree: {said}, but {did}."

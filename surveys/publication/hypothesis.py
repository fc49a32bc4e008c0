"""The claim under test, in words, and each outcome's expected sign.

One hypothesis: *more entanglement of local police with immigration
enforcement lowers immigrant residents' trust in the police and their
willingness to report crime, and raises their fear of immigration
consequences, relative to other residents.*  Two declared facts turn it into a
sign per report: what a higher score means on the outcome's scale (the
instrument's ``higher_means``) and whether the events analysed mean more or
less entanglement (each policy event's ``entanglement``).  Nothing else (in
particular not the policy's "expected effect on trust") sets the sign.
"""
from __future__ import annotations

from dataclasses import dataclass

from analysis.stated_verdicts import records_claim

# The hypothesis's direction under MORE entanglement, by what a higher score means.
UNDER_MORE = {"more_trust": -1, "more_willingness": -1, "more_fear": 1, "more_involvement": 1}
WORDS = {"more_trust": ("trust in the local police", "lowers", "raises"),
         "more_willingness": ("willingness to report crime", "lowers", "raises"),
         "more_fear": ("fear of immigration consequences of contacting the police", "raises", "lowers"),
         "more_involvement": ("perceived police involvement in immigration enforcement", "raises", "lowers")}


@dataclass(frozen=True)
class Hypothesis:
    expected_sign: int | None
    sentence: str


def hypothesis(outcome_label: str, higher_means: str | None, entanglement: str, *, subgroup: bool) -> Hypothesis:
    """The expected sign of the effect on an outcome and the sentence stating the claim.

    ``entanglement`` is "more" or "less" (the events analysed); ``subgroup`` is True when the
    estimate compares immigrant with other respondents (triple differences).
    """
    if entanglement not in ("more", "less"):
        raise ValueError("entanglement must be 'more' or 'less'")
    base = UNDER_MORE.get(higher_means or "")
    if base is None:
        return Hypothesis(None, (
            f"More entanglement of local police with immigration enforcement lowers immigrant "
            f"residents' trust and willingness to report and raises their fear. The instrument does not say "
            f"what a higher score on {outcome_label} means, so no direction is expected for it."))
    sign = base if entanglement == "more" else -base
    what, more_verb, less_verb = WORDS[higher_means or ""]
    verb = more_verb if entanglement == "more" else less_verb
    whom = "immigrant residents' " if subgroup else "residents' (immigrant residents' above all) "
    relative = " relative to other residents" if subgroup else ""
    events = ("more entanglement of local police with immigration enforcement (a 287(g) agreement signed, "
              "a sanctuary policy ended)" if entanglement == "more" else
              "less entanglement of local police with immigration enforcement (a sanctuary policy adopted, "
              "a 287(g) agreement ended)")
    return Hypothesis(sign, (
        f"{events[0].upper()}{events[1:]} {verb} {whom}{what}{relative}. The estimate on {outcome_label} is therefore "
        f"expected to be {'negative' if sign < 0 else 'positive'}."))


def records_hypothesis(entanglement: str) -> Hypothesis:
    """The claim for police records: under more entanglement, fewer reports by Hispanic or Latino victims
    in reporting-sensitive categories (relative to benchmark categories and other victims); under less, more."""
    if entanglement not in ("more", "less"):
        raise ValueError("entanglement must be 'more' or 'less'")
    claim = records_claim(-1 if entanglement == "more" else 1)
    return Hypothesis(claim.expected_sign, claim.sentence)

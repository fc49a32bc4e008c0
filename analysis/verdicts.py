"""The verdict on the claim: four outcomes, each defined by a test.

* ``supports`` — the 95% interval excludes zero in the expected direction;
* ``opposite`` — it excludes zero the other way;
* ``no_effect_of_interest`` — an equivalence test (two one-sided tests at 5%,
  i.e. the 90% interval inside ``(-sesoi, +sesoi)``) against the smallest
  effect size of interest fixed *before* the data were seen.  Never against a
  minimum detectable effect computed from the same standard error: that rule
  declared "no effect" whenever |t| < ~0.9;
* ``inconclusive`` — anything else (including no expected direction, or no
  SESOI to test equivalence against).

The design's *ex-ante* power for the SESOI comes from :func:`analysis.power`
(jurisdictions, waves, responses per cell, assumed SD and ICC), not from the
estimated standard error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InvalidSpecification
from .power import power as design_power
from .sections import method_label

__all__ = ["HEADLINE_KEYS", "VERDICTS", "equivalence_p", "ex_ante_power", "headline_rows",
           "verdict"]

VERDICTS = ("supports", "opposite", "no_effect_of_interest", "inconclusive")


def equivalence_p(estimate: float, se: float, sesoi: float, dfree: float) -> float:
    """p-value of the two one-sided tests of ``|effect| >= sesoi`` (the larger of the two)."""
    if not (np.isfinite(se) and se > 0 and sesoi > 0):
        return float("nan")
    p_low = stats.t.sf((estimate + sesoi) / se, dfree)   # H0: effect <= -sesoi
    p_high = stats.t.cdf((estimate - sesoi) / se, dfree)  # H0: effect >= +sesoi
    return float(max(p_low, p_high))


def verdict(estimate: float, ci: tuple[float, float], sesoi: float | None = None, *,
            se: float | None = None, dfree: float = 10_000,
            expected_sign: int | None = None, what: str = "the effect",
            unit: str = "points") -> tuple[str, str]:
    """Classify an estimate; returns ``(word, sentence)`` with ``word`` in :data:`VERDICTS`.

    Parameters
    ----------
    estimate, ci
        The headline estimate and its 95% interval.
    sesoi : float, optional
        Smallest effect size of interest, pre-registered (positive, on the
        outcome's scale).  Without it *no effect of interest* cannot be found.
    se, dfree
        Standard error and degrees of freedom for the equivalence test
        (default: ``se`` from the interval's half-width).
    expected_sign : {-1, 1, None}
        The direction the hypothesis predicts.
    """
    lo, hi = ci
    size = f"{estimate:+.3f} {unit} (95% CI {lo:+.3f} to {hi:+.3f})"
    if lo > 0 or hi < 0:
        sign = 1 if lo > 0 else -1
        if not expected_sign:
            return "inconclusive", (f"{what} is {size}: the interval excludes zero, but no "
                                    "expected direction was stated, so it neither supports nor "
                                    "opposes a claim.")
        if sign == np.sign(expected_sign):
            return "supports", (f"{what} is {size}; the interval excludes zero in the expected "
                                "direction.")
        return "opposite", (f"{what} is {size}; the interval excludes zero in the direction "
                            "opposite to the hypothesis.")
    if sesoi:
        s = float(se) if se else (hi - lo) / (2 * stats.t.ppf(0.975, dfree))
        p = equivalence_p(estimate, s, float(sesoi), dfree)
        if np.isfinite(p) and p < 0.05:
            return "no_effect_of_interest", (
                f"{what} is {size}; the equivalence test (two one-sided tests, p = {p:.3f}) "
                f"rules out effects of {sesoi:g} {unit} or more, the pre-registered smallest "
                "effect of interest.")
        return "inconclusive", (f"{what} is {size}; the interval includes zero, and the "
                                f"equivalence test against the smallest effect of interest "
                                f"({sesoi:g} {unit}) does not rule it out (p = {p:.3f}), so "
                                "these data cannot tell.")
    return "inconclusive", (f"{what} is {size}; the interval includes zero and no smallest "
                            "effect of interest was pre-registered, so absence of an effect "
                            "cannot be claimed either.")


ESTIMATOR_LABEL = {"cs": "Callaway-Sant'Anna overall ATT (heterogeneity-robust)",
                   "sa": "Sun-Abraham overall ATT (heterogeneity-robust)",
                   "twfe_did": "difference-in-differences (two-way fixed effects)",
                   "twfe_ddd": "triple differences (fixed effects)",
                   "twfe": "event study, two-way fixed effects",
                   "staggered_ddd": "staggered triple differences (Ortiz-Villavicencio-Sant'Anna)"}
HEADLINE_KEYS = ("estimator", "estimate", "ci_low", "ci_high", "p_value", "inference",
                 "verdict", "expected_sign", "plan")


def headline_rows(h: Mapping) -> list[tuple[str, object]]:
    """The headline as labelled rows for every format (human labels, one p-value with its method)."""
    sign = {-1: "negative (a fall)", 1: "positive (a rise)"}.get(h.get("expected_sign") or 0,
                                                                 "none stated")
    p = h.get("p_value")
    rows = [("Estimator", ESTIMATOR_LABEL.get(h.get("estimator", ""), h.get("estimator"))),
            ("Estimate", h.get("estimate")),
            ("Std. error", h.get("se")),
            ("95% interval", f"{h['ci_low']:+.3f} to {h['ci_high']:+.3f}"
             if h.get("ci_low") is not None else None),
            ("p-value", None if p is None else f"{'<0.001' if p < 0.001 else f'{p:.3f}'} "
             f"({method_label(h.get('inference_method')) if h.get('inference_method') else 'see inference'})"),
            ("Inference", h.get("inference")),
            ("Expected sign", sign),
            ("Smallest effect of interest", h.get("sesoi")),
            ("Ex-ante power for it", h.get("power_at_sesoi")),
            ("Plan", h.get("plan") or "exploratory (no pre-registered plan)")]
    return [(k, v) for k, v in rows if v is not None]


def ex_ante_power(df: pd.DataFrame, unit: str, time: str, first_treated: str | None,
                   treated: str, post: str, counts: str | None, design: str,
                   sesoi: float | None, subgroup: str | None) -> float | None:
    """Power of this design (jurisdictions, waves, responses) to detect the SESOI, from
    :func:`analysis.power` with its assumed SD and ICC, never from the estimated SE."""
    if not sesoi:
        return None
    waves = sorted(pd.unique(df[time]))
    pos = {w: i + 1 for i, w in enumerate(waves)}
    n_resp = float(df[counts].sum()) if counts else float(len(df))
    J = int(df[unit].nunique())
    per_cell = n_resp / max(J * len(waves), 1)
    try:
        if first_treated:
            ft = df.groupby(unit)[first_treated].first()
            first = tuple(int(pos.get(v, 0)) if v and v > 0 else 0 for v in ft)
            kw: dict[str, Any] = {"first_treated": first}
        else:
            share = float(df.groupby(unit)[treated].max().mean())
            kw = {"share_treated": share}
        if design == "ddd" and subgroup:
            share_sub = (float(np.average(df[subgroup], weights=df[counts])) if counts
                         else float(df[subgroup].mean()))
            kw["subgroup_share"] = share_sub
        res = design_power(J, len(waves), per_cell, design=design, effect=sesoi, **kw)
        return float(res.power_at(sesoi))
    except (InvalidSpecification, ValueError, TypeError):
        return None

"""The full study report: scales, weights, DiD, DDD, event study, verdict.

:func:`study_report` runs the estimators a referee would ask for on one
outcome and returns a :class:`Report` with a plain-language verdict —
*supports*, *contradicts* or *inconclusive* — judged against the minimum
detectable effect of the design, and the caveats that apply.
"""

from __future__ import annotations

import datetime as _dt
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np
import pandas as pd
from scipy import stats

from . import _prep
from .did import ddd, did
from .errors import InvalidSpecification
from .event_study import event_study
from .results import _plain, _Rendered
from .scales import scales as score_scales
from .weights import rake

__all__ = ["Report", "package_versions", "study_report", "verdict"]

PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "plotly", "reportlab")


def package_versions() -> dict[str, str]:
    """Versions of Python and the numerical packages behind a result."""
    from . import __version__

    out = {"python": platform.python_version(), "analysis": __version__}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


@dataclass(frozen=True, eq=False, repr=False)
class Report(_Rendered):
    """A rendered-ready study: verdict, caveats, and the component results."""

    kind: str
    title: str
    verdict: str
    verdict_text: str
    caveats: tuple[str, ...]
    results: tuple[tuple[str, object], ...]
    meta: Mapping = field(default_factory=dict)

    def result(self, name: str):
        return dict(self.results)[name]

    def sections(self):
        from .report import Section, sections

        meta = [("Generated", self.meta.get("generated")),
                ("Respondents analysed", self.meta.get("n_obs")),
                ("Data fingerprint (SHA-256)", self.meta.get("fingerprint")),
                ("Minimum detectable effect (80% power)", self.meta.get("mde")),
                ("Package versions", ", ".join(f"{k} {v}" for k, v in
                                               self.meta.get("versions", {}).items()))]
        out = [Section("Verdict", "verdict", (self.verdict, self.verdict_text)),
               Section("Caveats", "list", list(self.caveats)),
               Section("About this report", "kv", meta)]
        for name, res in self.results:
            for s in sections(res):
                out.append(Section(f"{name}: {s.title}", s.kind, s.payload))
        return out

    def to_dict(self) -> dict:
        return {"kind": self.kind, "title": self.title, "verdict": self.verdict,
                "verdict_text": self.verdict_text, "caveats": list(self.caveats),
                "meta": _plain(self.meta),
                "results": {name: r.to_dict() for name, r in self.results}}

    def __repr__(self) -> str:
        return f"<Report {self.title!r}: {self.verdict}>"


def verdict(estimate: float, ci: tuple[float, float], mde: float, *,
            expected_sign: int | None = None, what: str = "the effect",
            unit: str = "points") -> tuple[str, str]:
    """Classify an estimate as supports / contradicts / inconclusive.

    *supports*: the interval excludes zero (in the expected direction, if
    one is given).  *contradicts*: the interval excludes zero in the other
    direction, or it lies inside +-``mde`` — the design could detect an
    effect of that size and the data rule it out.  Otherwise *inconclusive*.
    """
    lo, hi = ci
    size = f"{estimate:+.3f} {unit} (95% CI {lo:+.3f} to {hi:+.3f})"
    if lo > 0 or hi < 0:
        if expected_sign and np.sign(estimate) != np.sign(expected_sign):
            return "contradicts", (f"{what} is {size}: it moved, but the opposite way to the "
                                   "expectation.")
        return "supports", f"{what} is {size}; the interval excludes zero."
    if -mde < lo and hi < mde:
        return "contradicts", (f"{what} is {size}; the design could detect effects of "
                               f"{mde:.3f} {unit} and the interval rules out effects that large.")
    return "inconclusive", (f"{what} is {size}; the interval includes zero and effects as large "
                            f"as the minimum detectable effect ({mde:.3f} {unit}), so these data "
                            "cannot tell.")


def study_report(
    data: pd.DataFrame,
    outcome: str,
    *,
    treated: str,
    post: str,
    unit: str,
    time: str,
    first_treated: str | None = None,
    subgroup: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    controls: Sequence[str] | str | None = None,
    scale_definitions: Mapping | None = None,
    margins=None,
    rake_by: str | None = None,
    expected_sign: int | None = None,
    n_boot: int = 999,
    seed: int = 0,
    title: str | None = None,
) -> Report:
    """Run the study's estimators on one outcome and judge the claim.

    The main estimate is the triple difference when ``subgroup`` is given
    (does the policy move the subgroup's outcome more?), else the
    difference-in-differences.  ``scale_definitions`` scores scales first
    (``outcome`` may name one); ``margins`` rakes weights first (by
    ``rake_by``).  Other parameters are as in :func:`analysis.did` and
    :func:`analysis.event_study`.
    """
    _prep.require_frame(data)
    df = data
    results: list[tuple[str, object]] = []
    caveats: list[str] = []
    if scale_definitions:
        sc = score_scales(df, scale_definitions)
        df = df.assign(**{c: sc.scores[c] for c in sc.scores.columns})
        results.append(("Scales", sc))
    if margins is not None:
        if weights:
            raise InvalidSpecification("give either weights or margins to rake to, not both")
        wr = rake(df, margins, by=rake_by)
        df = df.assign(_rake_weight=wr.weights)
        weights = "_rake_weight"
        results.append(("Weights", wr))
        caveats.append(f"Non-response: estimates are raked to population margins (Kish design "
                       f"effect {wr.deff:.2f}); people who answer surveys may still differ from "
                       "those who do not in ways the margins do not capture.")
    else:
        caveats.append("Non-response: estimates are not weighted to the population; if who "
                       "answers changed with the policy, the comparison can be biased.")
    common = {"unit": unit, "time": time, "controls": controls, "weights": weights,
              "cluster": cluster, "n_boot": n_boot, "seed": seed}
    d = did(df, outcome, treated, post, **common)
    results.append(("Difference-in-differences", d))
    main, what = d, f"The change in {outcome} in treated jurisdictions"
    if subgroup:
        t = ddd(df, outcome, treated, post, subgroup, **common)
        results.append(("Triple differences", t))
        main = t
        what = (f"The extra change in {outcome} for {subgroup} respondents "
                "(relative to others)")
    es = None
    if first_treated:
        es = event_study(df, outcome, unit, time, first_treated, weights=weights,
                         cluster=cluster, controls=None)
        results.append(("Event study", es))
    G = main.n_clusters or 0
    dfree = G - 1 if G > 1 else 10_000
    mde = float((stats.t.ppf(0.975, dfree) + stats.t.ppf(0.8, dfree)) * main.se)
    word, text = verdict(main.estimate, main.ci, mde, expected_sign=expected_sign, what=what)
    if es is not None:
        p = es.pretrend_p
        if np.isfinite(p) and p < 0.10:
            caveats.insert(0, f"Pre-trends: before the events, treated and comparison "
                              f"jurisdictions already diverged (joint test p = {p:.3f}); the "
                              "parallel-trends assumption behind every estimate here is doubtful.")
        elif np.isfinite(p):
            caveats.append(f"Pre-trends: no evidence of diverging trends before the events "
                           f"(joint test p = {p:.3f}), which does not prove parallel trends.")
        gap = abs(es.att["estimate"] - es.comparison.query("aggregation == 'simple'")[
            "estimate"].iloc[0])
        if gap > es.att["se"]:
            caveats.append("Staggered timing: the two-way fixed-effects and heterogeneity-robust "
                           "estimates differ by more than one standard error; effects likely "
                           "vary by cohort or over time, so rely on the robust estimate.")
    if 0 < G < 30:
        caveats.append(f"Few clusters: {G} jurisdictions; inference uses the wild cluster "
                       "bootstrap, and any one jurisdiction's other changes weigh heavily.")
    caveats.append("Stated, not actual, reporting: the survey measures trust and willingness "
                   "to report, not crimes reported to the police.")
    used = [c for c in {outcome, treated, post, unit, time, first_treated, subgroup, weights}
            if c]
    meta = {"generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "n_obs": int(main.n_obs), "fingerprint": _prep.fingerprint(df[sorted(used)]),
            "mde": mde, "versions": package_versions(), "main_term": main.term}
    return Report(kind="report", title=title or f"Policy and {outcome}", verdict=word,
                  verdict_text=text, caveats=tuple(caveats), results=tuple(results),
                  meta=meta)

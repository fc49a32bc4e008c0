"""Civic Trust Survey analysis: does trust in police move when enforcement policy changes?

Pure Python (pandas, numpy, scipy, statsmodels); never imports Flask or
``surveys``.  Every estimator takes a DataFrame — respondent rows, or cell
means with their counts as ``weights`` — validates it, and returns an
immutable result whose source of truth is a tidy DataFrame (``.tidy``);
``.estimate``, ``.se``, ``.ci``, ``.p_value`` read it.  Rendering lives in
:mod:`analysis.report` (``result.summary()``, ``.to_html()``, ``.to_json()``,
``report.render(result, "out.pdf")``).  Errors are :class:`AnalysisError`
subclasses with actionable messages.

Public API
----------
Data
    ``load(source, *, columns=None, first_treated=None) -> DataFrame``
    ``cell_means(data, outcomes, by, *, weights=None, keep=None) -> DataFrame``
    ``simulate(params=None, **overrides) -> DataFrame``  (``SimulationParams``,
    ``likert_from_latent(latent, low, high, rng, item_noise_sd=0.5, reverse=False)``)
Measurement and weights
    ``scales(data, definitions) -> ScaleResult``
    ``rake(data, margins, *, by=None, base_weights=None, trim=5.0, trim_rounds=10,
    max_iter=200, tol=1e-8) -> WeightsResult``;  ``kish_deff(w) -> float``
Effects (all return ``EffectResult``; ``event_study`` an ``EventStudyResult``)
    ``prepost(data, outcome, time, event, *, unit=None, unit_value=None, window=None,
    trend=False, controls=None, weights=None, se="hc1", cluster=None, alpha=0.05)``
    ``did(data, outcome, treated, post, *, unit=None, time=None, controls=None,
    weights=None, cluster=None, se="auto", alpha=0.05, n_boot=999,
    boot_weights="auto", seed=0)``
    ``ddd(data, outcome, treated, post, subgroup, *, ...same as did...)``
    ``event_study(data, outcome, unit, time, first_treated, *, estimator="cs",
    control_group="never", base_period="varying", controls=None, weights=None,
    cluster=None, alpha=0.05)``
    ``ordinal(data, outcome, treated, post, *, unit=None, time=None, controls=None,
    distr="logit", cluster=None, alpha=0.05)``
Planning and disclosure
    ``power(n_jurisdictions, n_waves, responses_per_cell, *, icc=0.02, sd=0.92,
    share_treated=0.5, first_treated=None, event_wave=None, design="did",
    subgroup_share=0.35, alpha=0.05, power=0.8, deff=1.0, effect=None) -> PowerResult``
    ``suppress(table, count_col="n", min_count=10, group_cols=None, value_cols=None, *,
    suppress_zeros=True) -> DataFrame``  (adds ``suppressed`` and ``suppression``)
    ``tabulate(data, by, values=None, *, weights=None, min_count=10,
    published_totals=None) -> DataFrame``
Reports
    ``study_report(data, outcome, *, treated, post, unit, time, first_treated=None,
    subgroup=None, weights=None, cluster=None, controls=None, scale_definitions=None,
    margins=None, rake_by=None, expected_sign=None, n_boot=999, seed=0) -> Report``
    ``verdict(estimate, ci, mde, *, expected_sign=None) -> (word, text)``
    ``report.to_text / to_html / to_latex / to_json / to_pdf / render(obj, path)``

Conventions
-----------
Clustered errors are CRV1 with t(G-1) intervals; fixed effects nested in the
clusters are not counted in the small-sample factor (as R ``fixest``,
``pyfixest`` and Stata ``reghdfe``).  ``se="auto"`` uses the wild cluster
bootstrap below 30 clusters.  On cell means with counts as weights, point
estimates and clustered scores equal the respondent-level ones.

Command line: ``python -m analysis {did,ddd,event-study,prepost,ordinal,alpha,rake,
power,suppress,report} --help``.
"""

from .did import ddd, did
from .disclosure import suppress, tabulate
from .errors import (
    AnalysisError,
    ConstantTreatment,
    ConvergenceError,
    InvalidSpecification,
    NoComparisonGroup,
    NonNumericOutcome,
    NotEnoughResponses,
    TooFewClusters,
    UnknownColumn,
)
from .event_study import EventStudyResult, event_study
from .load import cell_means, load
from .ordinal import ordinal
from .pipeline import Report, study_report, verdict
from .power import PowerResult, power
from .prepost import prepost
from .results import EffectResult
from .scales import ScaleResult, scales
from .simulate import SimulationParams, likert_from_latent, simulate
from .weights import WeightsResult, kish_deff, rake

__version__ = "0.1.0"

__all__ = [
    "AnalysisError", "ConstantTreatment", "ConvergenceError", "EffectResult",
    "EventStudyResult", "InvalidSpecification", "NoComparisonGroup", "NonNumericOutcome",
    "NotEnoughResponses", "PowerResult", "Report", "ScaleResult", "SimulationParams",
    "TooFewClusters", "UnknownColumn", "WeightsResult", "cell_means", "ddd", "did",
    "event_study", "kish_deff", "likert_from_latent", "load", "ordinal", "power", "prepost",
    "rake", "scales", "simulate", "study_report", "suppress", "tabulate", "verdict",
]

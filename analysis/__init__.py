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
Each function's own docstring gives its parameters.  Data: ``load``,
``cell_means``, ``simulate``.  Measurement and weights: ``scales``, ``rake``,
``kish_deff``.  Effects: ``prepost``, ``did``, ``ddd``, ``event_study``,
``ordinal``.  Planning and disclosure: ``power``, ``suppress``, ``tabulate`` (the
one small-cell rule, :mod:`analysis.disclosure`).  Reports: ``study_report``,
``verdict`` and :mod:`analysis.report` (text, HTML, LaTeX, JSON, PDF).  Police
records and actual reporting: ``profile_records``, ``import_records``
(``RecordsMapping``, ``first_full_period``, ``file_sha256``), ``attach_events``,
``count_did``, ``count_ddd``, ``count_event_study``, ``victim_reporting``,
``reporting_rates``, ``stated_vs_actual``, ``simulate_records``,
``simulate_victimization`` (see docs/analysis.md).

Conventions
-----------
Clustered errors are CRV1 with t(G-1) intervals; fixed effects nested in the
clusters are not counted in the small-sample factor (as R ``fixest``,
``pyfixest`` and Stata ``reghdfe``).  ``se="auto"`` uses the wild cluster
bootstrap below 30 clusters.  On cell means with counts as weights, point
estimates and clustered scores equal the respondent-level ones.

Command line: ``python -m analysis {did,ddd,event-study,prepost,ordinal,alpha,rake,
power,suppress,report,records-import,records-did,records-ddd,records-event-study,
records-simulate,victim-reporting,stated-vs-actual} --help``.
"""

from ._version import __version__
from .count_results import CountEffectResult, CountEventStudyResult
from .counts import attach_events, count_ddd, count_did, count_event_study
from .did import ddd, did
from .disclosure import suppress, tabulate
from .errors import (
    AnalysisError,
    ConstantTreatment,
    ConvergenceError,
    DuplicateUpload,
    InvalidSpecification,
    NoComparisonGroup,
    NonNumericOutcome,
    NotEnoughResponses,
    TooFewClusters,
    UnknownColumn,
)
from .event_study import EventStudyResult, event_study
from .import_result import ImportResult
from .load import cell_means, load
from .ordinal import ordinal
from .pipeline import Report, study_report, verdict
from .power import PowerResult, power
from .prepost import prepost
from .records import RecordsMapping, file_sha256, first_full_period, import_records
from .records_profile import RecordsProfile, profile_records
from .results import EffectResult
from .scales import ScaleResult, scales
from .simulate import (
    RecordsParams,
    SimulationParams,
    likert_from_latent,
    periods_from_waves,
    simulate,
    simulate_records,
    simulate_victimization,
)
from .stated_actual import StatedVsActual, stated_vs_actual
from .victimization import VictimReportingResult, reporting_rates, victim_reporting
from .weights import WeightsResult, kish_deff, rake

__all__ = [
    "AnalysisError", "ConstantTreatment", "ConvergenceError", "EffectResult",
    "EventStudyResult", "InvalidSpecification", "NoComparisonGroup", "NonNumericOutcome",
    "NotEnoughResponses", "PowerResult", "Report", "ScaleResult", "SimulationParams",
    "TooFewClusters", "UnknownColumn", "WeightsResult", "cell_means", "ddd", "did",
    "event_study", "kish_deff", "likert_from_latent", "load", "ordinal", "power", "prepost",
    "rake", "scales", "simulate", "study_report", "suppress", "tabulate", "verdict", "__version__",
    # police records and actual reporting
    "CountEffectResult", "CountEventStudyResult", "DuplicateUpload", "ImportResult",
    "RecordsMapping", "RecordsParams", "RecordsProfile", "StatedVsActual",
    "VictimReportingResult", "profile_records",
    "attach_events", "count_ddd", "count_did", "count_event_study", "file_sha256",
    "first_full_period", "import_records", "periods_from_waves", "reporting_rates",
    "simulate_records", "simulate_victimization", "stated_vs_actual", "victim_reporting",
]

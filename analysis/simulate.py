"""Synthetic survey responses with known true policy effects.

The generator is the analysis package's ground truth: the demo data set, the
simulation tests (coverage of intervals, size of the pre-trend test) and the
power calculation's check are all built on it.

Model
-----
For respondent ``i`` in jurisdiction ``j`` and wave ``t`` each latent outcome
(trust, willingness, fear) is, on the 1-5 agreement metric and *not* clipped::

    y = baseline + a_j + b_t + c_jt + x_i'g + tau_i * D_jt + pre_trend * min(e_jt, 0) * T_j + u_i

* ``a_j ~ N(0, jurisdiction_sd)`` and ``b_t ~ N(0, wave_sd)``: jurisdiction and
  wave effects (absorbed by two-way fixed effects);
* ``c_jt ~ N(0, s_c)``: a shock shared by everyone in a jurisdiction x wave
  cell, with ``s_c**2 / (s_c**2 + noise_sd**2) = icc``;
* ``x_i'g``: fixed demographic differences (age, immigrant background), which
  do not change over time and so do not bias the estimators;
* ``tau_i``: ``effect_immigrant`` for immigrant respondents and
  ``effect_nonimmigrant`` for the others, switched on by ``D_jt`` (treated and
  post); fear moves by ``-tau_i`` (the opposite way to trust);
* ``u_i ~ N(0, noise_sd)``, correlated across the three outcomes.

``df.attrs["truth"]`` records the true effects: per group, the difference
between them (what a triple difference estimates), and the average effect over
treated post-event respondents (what a difference-in-differences estimates).

Police records
--------------
:func:`simulate_records` draws monthly counts of police reports for the same
places (``J01``...) and events, by victim group and offence category, where
*reporting* and *crime* move separately: the demo's side-by-side view and the
count estimators' tests (:mod:`analysis.counts`) rest on it.

Past 300 lines on purpose: the parameters, the validation of each and the
generators that use them read best together (the demo and the tests share
them), and this is the one home of every synthetic ground truth, so survey and
records share places, adoption dates and seeds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

__all__ = ["RecordsParams", "SimulationParams", "default_first_treated", "likert_from_latent",
           "periods_from_waves", "simulate", "simulate_records", "simulate_victimization"]

OUTCOMES = ("trust", "willingness", "fear")
# Sign with which the policy effect enters each outcome.
_EFFECT_SIGN = np.array([1.0, 1.0, -1.0])
# Correlation of the individual noise across (trust, willingness, fear).
_NOISE_CORR = np.array([[1.0, 0.55, -0.35], [0.55, 1.0, -0.40], [-0.35, -0.40, 1.0]])
# Fixed demographic differences on each outcome: immigrant background, age.
_IMMIGRANT_SHIFT = np.array([-0.15, -0.10, 0.60])
_AGE_SLOPE = np.array([0.06, 0.04, -0.03])
_AGE_PROBS = np.array([0.15, 0.22, 0.22, 0.21, 0.20])
_GENDER_PROBS = np.array([0.51, 0.47, 0.02])
# Among immigrant respondents, the share born abroad (the rest: a parent born abroad).
_BORN_ABROAD_SHARE = 0.55
# Probability of answering in Spanish by born_abroad code 1, 2, 3.
_SPANISH_PROBS = np.array([0.45, 0.20, 0.03])
# Between-jurisdiction spread of the immigrant share (probability scale).
_SHARE_SD = 0.08


@dataclass(frozen=True)
class SimulationParams:
    """Parameters of a simulated multi-jurisdiction, multi-wave survey.

    Attributes
    ----------
    n_jurisdictions, n_waves : int
        Design size; waves are numbered ``1..n_waves``.
    responses_per_cell : float
        Mean number of responses per jurisdiction x wave cell (Poisson).
    immigrant_share : float
        Mean share of immigrant-background respondents (varies by jurisdiction).
    baseline_trust, baseline_willingness, baseline_fear : float
        Mean latent outcome on the 1-5 metric (not clipped).
    effect_immigrant, effect_nonimmigrant : float
        True policy effect on trust and willingness (points on the 1-5
        metric) for each group; fear moves by minus this amount.
    first_treated : tuple of int or None
        Wave of each jurisdiction's event, 0 = never treated.  ``None`` gives
        the staggered default from :func:`default_first_treated`.
    jurisdiction_sd, wave_sd : float
        Standard deviations of jurisdiction and wave effects.
    icc : float
        Intra-cluster correlation of the individual outcome within a
        jurisdiction x wave cell (net of jurisdiction and wave effects).
    noise_sd : float
        Individual-level standard deviation.
    pre_trend : float
        Slope per wave before the event among treated jurisdictions
        (0 = parallel trends); it stops at the event.
    seed : int
        Seed of the random generator; equal parameters give equal data.
    shock_rho : float
        Autocorrelation of the jurisdiction x wave shocks ``c_jt`` over waves
        (AR(1) with the same stationary variance; 0 = independent, the
        default, which leaves every earlier data set unchanged).  A local
        shock that persists is what one-jurisdiction before/after
        comparisons cannot tell from the policy.
    """

    n_jurisdictions: int = 8
    n_waves: int = 10
    responses_per_cell: int = 60
    immigrant_share: float = 0.35
    baseline_trust: float = 3.2
    baseline_willingness: float = 3.6
    baseline_fear: float = 2.2
    effect_immigrant: float = -0.40
    effect_nonimmigrant: float = -0.05
    first_treated: tuple[int, ...] | None = None
    jurisdiction_sd: float = 0.25
    wave_sd: float = 0.10
    icc: float = 0.02
    noise_sd: float = 0.9
    pre_trend: float = 0.0
    seed: int = 2017
    shock_rho: float = 0.0

    def __post_init__(self) -> None:
        _validate(self)


def _validate(p: SimulationParams) -> None:
    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ValueError(f"SimulationParams: {message}")

    for name in ("n_jurisdictions", "n_waves", "seed"):
        value = getattr(p, name)
        need(isinstance(value, (int, np.integer)) and not isinstance(value, bool),
             f"{name} must be an integer, got {value!r}")
    need(p.n_jurisdictions >= 2, f"n_jurisdictions must be at least 2, got {p.n_jurisdictions}")
    need(p.n_jurisdictions <= 9999, f"n_jurisdictions must be at most 9999, got {p.n_jurisdictions}")
    need(p.n_waves >= 2, f"n_waves must be at least 2, got {p.n_waves}")
    need(p.seed >= 0, f"seed must be non-negative, got {p.seed}")
    numeric = ("responses_per_cell", "immigrant_share", "baseline_trust", "baseline_willingness",
               "baseline_fear", "effect_immigrant", "effect_nonimmigrant", "jurisdiction_sd",
               "wave_sd", "icc", "noise_sd", "pre_trend", "shock_rho")
    for name in numeric:
        value = getattr(p, name)
        need(isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
             and np.isfinite(value), f"{name} must be a finite number, got {value!r}")
    need(p.responses_per_cell > 0, f"responses_per_cell must be positive, got {p.responses_per_cell}")
    need(0 < p.immigrant_share < 1, f"immigrant_share must be in (0, 1), got {p.immigrant_share}")
    need(0 <= p.icc < 1, f"icc must be in [0, 1), got {p.icc}")
    need(-1 < p.shock_rho < 1, f"shock_rho must be in (-1, 1), got {p.shock_rho}")
    for name in ("jurisdiction_sd", "wave_sd", "noise_sd"):
        need(getattr(p, name) >= 0, f"{name} must be non-negative, got {getattr(p, name)}")
    if p.first_treated is not None:
        ft = tuple(p.first_treated)
        need(len(ft) == p.n_jurisdictions,
             f"first_treated has {len(ft)} entries but n_jurisdictions is {p.n_jurisdictions}")
        need(all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in ft),
             "first_treated entries must be integers (0 = never treated)")
        need(all(0 <= v <= p.n_waves for v in ft),
             f"first_treated entries must be 0 (never) or a wave in 1..{p.n_waves}")


def default_first_treated(n_jurisdictions: int, n_waves: int, seed: int = 2017) -> tuple[int, ...]:
    """Staggered adoption: about half the jurisdictions treated in 2-3 cohorts.

    Cohorts adopt between 40% and 70% of the way through the waves, so every
    cohort has pre-event waves; the rest are never treated (0).  Which
    jurisdictions are treated depends on ``seed``.
    """
    n_treated = max(1, n_jurisdictions // 2)
    n_cohorts = 2 if n_treated < 6 else 3
    lo = max(2, int(np.ceil(0.4 * n_waves)))
    hi = max(lo, min(n_waves, int(np.floor(0.7 * n_waves))))
    waves = np.unique(np.round(np.linspace(lo, hi, n_cohorts)).astype(int))
    rng = np.random.default_rng([seed, 1])
    order = rng.permutation(n_jurisdictions)
    first = np.zeros(n_jurisdictions, dtype=int)
    first[order[:n_treated]] = waves[np.arange(n_treated) % len(waves)]
    return tuple(int(v) for v in first)


def simulate(params: SimulationParams | None = None, **overrides) -> pd.DataFrame:
    """Simulate one survey data set with known true effects.

    Parameters
    ----------
    params : SimulationParams, optional
        Base parameters (defaults if omitted).
    **overrides
        Fields of :class:`SimulationParams` to replace, e.g. ``seed=3``.

    Returns
    -------
    pandas.DataFrame
        One row per response with columns ``respondent``, ``jurisdiction``,
        ``wave``, ``first_treated``, ``treated``, ``post``, ``event_time``
        (nullable, NA when never treated), ``immigrant``, ``born_abroad``,
        ``age_band``, ``gender``, ``language``, ``trust``, ``willingness``,
        ``fear``.  ``df.attrs["truth"]`` holds the true effects and
        ``df.attrs["params"]`` the parameters used.

    Raises
    ------
    ValueError
        If a parameter is out of range or unknown.
    """
    p = params if params is not None else SimulationParams()
    if overrides:
        unknown = sorted(set(overrides) - set(asdict(p)))
        if unknown:
            raise ValueError(f"simulate: unknown parameter(s) {', '.join(unknown)}")
        if "first_treated" in overrides and overrides["first_treated"] is not None:
            overrides["first_treated"] = tuple(overrides["first_treated"])
        p = replace(p, **overrides)
    J, T = p.n_jurisdictions, p.n_waves
    names = np.array([f"J{k + 1:0{max(2, len(str(J)))}d}" for k in range(J)], dtype=object)
    first = np.asarray(p.first_treated if p.first_treated is not None
                       else default_first_treated(J, T, p.seed), dtype=np.int64)
    rng = np.random.default_rng(p.seed)

    # Design: cells, their sizes, and cell-level effects.
    n_cell = rng.poisson(p.responses_per_cell, size=(J, T))
    n_cell = np.maximum(n_cell, 1).ravel()
    cell_j = np.repeat(np.arange(J), T)
    cell_t = np.tile(np.arange(1, T + 1), J)
    chol = np.linalg.cholesky(_NOISE_CORR)
    a = rng.normal(0.0, p.jurisdiction_sd, size=(J, 1)) * np.array([1.0, 0.8, -0.6])
    b = rng.normal(0.0, p.wave_sd, size=(T, 1)) * np.array([1.0, 0.8, -0.6])
    cell_sd = p.noise_sd * np.sqrt(p.icc / (1.0 - p.icc))
    c = (rng.standard_normal((J * T, 3)) @ chol.T) * cell_sd
    if p.shock_rho:
        c = c.reshape(J, T, 3)
        for k in range(1, T):   # AR(1) over waves, stationary variance cell_sd**2
            c[:, k] = p.shock_rho * c[:, k - 1] + np.sqrt(1 - p.shock_rho ** 2) * c[:, k]
        c = c.reshape(J * T, 3)
    share_j = np.clip(p.immigrant_share + rng.normal(0.0, _SHARE_SD, size=J), 0.03, 0.97)

    # Respondents.
    n = int(n_cell.sum())
    cell = np.repeat(np.arange(J * T), n_cell)
    j = cell_j[cell]
    t = cell_t[cell]
    ft = first[j]
    treated = (ft > 0).astype(np.int8)
    post = ((ft > 0) & (t >= ft)).astype(np.int8)
    event = np.where(ft > 0, t - ft, 0)
    immigrant = (rng.random(n) < share_j[j]).astype(np.int8)
    born = np.where(immigrant == 1,
                    np.where(rng.random(n) < _BORN_ABROAD_SHARE, 1, 2), 3).astype(np.int8)
    age = (np.searchsorted(np.cumsum(_AGE_PROBS), rng.random(n), side="right") + 1)
    age = np.minimum(age, 5).astype(np.int8)
    gender = (np.searchsorted(np.cumsum(_GENDER_PROBS), rng.random(n), side="right") + 1)
    gender = np.minimum(gender, 3).astype(np.int8)
    spanish = rng.random(n) < _SPANISH_PROBS[born - 1]

    # Outcomes (n x 3): trust, willingness, fear.
    baseline = np.array([p.baseline_trust, p.baseline_willingness, p.baseline_fear])
    tau = np.where(immigrant == 1, p.effect_immigrant, p.effect_nonimmigrant).astype(float)
    y = rng.standard_normal((n, 3)) @ chol.T
    y *= p.noise_sd
    y += baseline
    y += a[j] + b[t - 1] + c[cell]
    y += immigrant[:, None] * _IMMIGRANT_SHIFT + (age[:, None] - 3) * _AGE_SLOPE
    y += (tau * post)[:, None] * _EFFECT_SIGN
    if p.pre_trend:
        y += (p.pre_trend * np.minimum(event, 0) * treated)[:, None] * _EFFECT_SIGN

    df = pd.DataFrame({
        "respondent": np.arange(1, n + 1, dtype=np.int64),
        "jurisdiction": pd.Series(names[j], dtype=object),
        "wave": t.astype(np.int64),
        "first_treated": ft,
        "treated": treated,
        "post": post,
        "event_time": pd.arrays.IntegerArray(event.astype(np.int64), ft == 0),
        "immigrant": immigrant,
        "born_abroad": born,
        "age_band": age,
        "gender": gender,
        "language": pd.Series(np.where(spanish, "es", "en"), dtype=object),
        "trust": y[:, 0],
        "willingness": y[:, 1],
        "fear": y[:, 2],
    })
    tp = post == 1
    average = float(tau[tp].mean()) if tp.any() else float("nan")
    df.attrs["truth"] = {
        "effect_immigrant": float(p.effect_immigrant),
        "effect_nonimmigrant": float(p.effect_nonimmigrant),
        "effect_difference": float(p.effect_immigrant - p.effect_nonimmigrant),
        "effect_average": average,
        "sign": {"trust": 1.0, "willingness": 1.0, "fear": -1.0},
        "first_treated": {str(names[k]): int(first[k]) for k in range(J)},
        "pre_trend": float(p.pre_trend),
    }
    df.attrs["params"] = {**asdict(p), "first_treated": [int(v) for v in first]}
    return df


def likert_from_latent(
    latent: np.ndarray,
    low: int,
    high: int,
    rng: np.random.Generator | int | None,
    item_noise_sd: float = 0.5,
    reverse: bool = False,
) -> np.ndarray:
    """Map a latent 1-5 outcome onto one Likert item's integer codes.

    The 1-5 metric maps linearly onto ``low..high``; item noise (in latent
    points) is added before rounding and clipping, so the mean of several
    items tracks the latent outcome.  With ``reverse=True`` the item is worded
    the other way (a high latent value gives a low code).

    Parameters
    ----------
    latent : array_like
        Latent outcome values on the 1-5 metric.
    low, high : int
        The item's code range, ``low < high``.
    rng : numpy.random.Generator or int or None
        Random generator, or a seed for one.
    item_noise_sd : float, default 0.5
        Standard deviation of item-specific noise, in latent points.
    reverse : bool, default False
        Whether the item is reverse-worded.

    Returns
    -------
    numpy.ndarray of int
        Codes in ``low..high``.
    """
    if int(low) != low or int(high) != high or low >= high:
        raise ValueError(f"likert_from_latent: need integer low < high, got {low}, {high}")
    if not np.isfinite(item_noise_sd) or item_noise_sd < 0:
        raise ValueError(f"likert_from_latent: item_noise_sd must be >= 0, got {item_noise_sd}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    x = np.asarray(latent, dtype=float)
    x = x + gen.normal(0.0, item_noise_sd, size=x.shape) if item_noise_sd > 0 else x
    scaled = low + (x - 1.0) * (high - low) / 4.0
    if reverse:
        scaled = low + high - scaled
    return np.clip(np.rint(scaled), low, high).astype(np.int64)


# ---------------------------------------------------------------- police records
# Mean monthly reports per place of average size, by category (orders of magnitude of
# the open data of a US city of about 300,000 people).
_RECORD_RATES = {"domestic_violence": 90.0, "sexual_assault": 15.0, "assault": 135.0,
                 "homicide": 2.4, "motor_vehicle_theft": 105.0}


@dataclass(frozen=True)
class RecordsParams:
    """Parameters of simulated police records (counts of reports).

    For place ``j``, month ``t``, victim group ``g`` and category ``c``, true
    crime is ``size_j * rate_c * share_jg * exp(period_t + u_jt + v_jtg)``;
    reports are true crime times the reporting rate, and after the event
    (``D_jt = 1``) crime against group ``g`` changes by ``exp(crime_effect_g)``
    in every category while reporting of sensitive categories changes by
    ``exp(reporting_effect_g)``.  Counts are Poisson around that mean times a
    Gamma(``dispersion``) cell shock (negative binomial); a share of reports
    records no victim group.

    Attributes
    ----------
    n_places, n_periods : int
        Places (named ``J01``... as in :func:`simulate`, or ``places``) and months.
    places : tuple of str, optional
        Names of the places (e.g. the demo's jurisdiction codes), one per place.
    first_treated : tuple of int or None
        Month (1-based) of each place's event, 0 = never; ``None`` gives
        :func:`default_first_treated`.  :func:`periods_from_waves` converts
        survey waves.
    start : str
        First month, ``YYYY-MM``; periods are labelled ``YYYY-MM``.
    focus_share : float
        Mean share of victims in the focus group (``hispanic``).
    unknown_share : float
        Share of reports with no victim group recorded.
    reporting_effect, reporting_effect_others : float
        Log change in reporting of sensitive categories (domestic violence,
        sexual assault, assault) by focus-group and by other victims.
    crime_effect_focus, crime_effect_others : float
        Log change in true crime against each group, in every category.
    place_sd, period_sd, shock_sd, group_shock_sd, shock_rho : float
        Spread of place sizes (log), month effects, place-month shocks (AR(1)
        with coefficient ``shock_rho`` within a place) and place-month-group
        shocks.
    dispersion : float
        Gamma shape of the cell shock (larger = closer to Poisson; 0 = Poisson).
    seed : int
    """

    n_places: int = 8
    n_periods: int = 27
    first_treated: tuple[int, ...] | None = None
    start: str = "2016-01"
    focus_share: float = 0.35
    unknown_share: float = 0.08
    reporting_effect: float = -0.25
    reporting_effect_others: float = 0.0
    crime_effect_focus: float = 0.0
    crime_effect_others: float = 0.0
    place_sd: float = 0.5
    period_sd: float = 0.05
    shock_sd: float = 0.05
    group_shock_sd: float = 0.05
    shock_rho: float = 0.5
    dispersion: float = 50.0
    seed: int = 2017
    places: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ValueError(f"RecordsParams: {message}")

        if self.places is not None:
            need(len(self.places) == self.n_places and len(set(self.places)) == self.n_places,
                 f"places needs {self.n_places} distinct names")

        for name in ("n_places", "n_periods", "seed"):
            v = getattr(self, name)
            need(bool(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0),
                 f"{name} must be a non-negative integer, got {v!r}")
        need(self.n_places >= 2 and self.n_periods >= 2, "need at least 2 places and 2 periods")
        for name in ("focus_share", "unknown_share", "reporting_effect", "reporting_effect_others",
                     "crime_effect_focus", "crime_effect_others", "place_sd", "period_sd",
                     "shock_sd", "group_shock_sd", "shock_rho", "dispersion"):
            v = getattr(self, name)
            need(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                 and np.isfinite(v), f"{name} must be a finite number, got {v!r}")
        need(0 < self.focus_share < 1, "focus_share must be in (0, 1)")
        need(0 <= self.unknown_share < 1, "unknown_share must be in [0, 1)")
        need(-1 < self.shock_rho < 1, "shock_rho must be in (-1, 1)")
        need(self.dispersion >= 0, "dispersion must be >= 0 (0 = Poisson)")
        ok = (isinstance(self.start, str) and len(self.start) == 7 and self.start[4] == "-"
              and self.start[:4].isdigit() and self.start[5:].isdigit()
              and 1 <= int(self.start[5:]) <= 12)
        need(ok, f"start must be a month YYYY-MM, got {self.start!r}")
        if self.first_treated is not None:
            ft = tuple(self.first_treated)
            need(len(ft) == self.n_places, f"first_treated needs {self.n_places} entries")
            need(all(isinstance(v, (int, np.integer)) and 0 <= v <= self.n_periods for v in ft),
                 f"first_treated entries must be 0 (never) or a month in 1..{self.n_periods}")


def periods_from_waves(first_treated_waves, periods_per_wave: int = 3) -> tuple[int, ...]:
    """First treated month of each place from its first treated survey wave (0 = never).

    Wave ``w`` covers months ``periods_per_wave * (w - 1) + 1`` onwards, so the
    records switch on with the first month of the survey's first post wave.
    """
    return tuple(periods_per_wave * (int(w) - 1) + 1 if int(w) > 0 else 0
                 for w in first_treated_waves)


def simulate_records(params: RecordsParams | None = None, **overrides) -> pd.DataFrame:
    """Simulate monthly counts of police reports with known reporting and crime effects.

    Returns
    -------
    DataFrame
        One row per place x month x victim group (``hispanic``, ``other``,
        ``unknown``) x category, the importer's columns ``place``, ``period``
        (``YYYY-MM``), ``group``, ``category``, ``count``, plus the design
        columns of :func:`analysis.counts.attach_events`.  ``attrs["truth"]``
        holds the true log effects: ``ddd`` (what :func:`analysis.count_ddd`
        estimates: the focus group's extra change in reporting),
        ``did_focus_sensitive`` and ``did_focus_benchmark`` (what
        :func:`analysis.count_did` estimates on those reports), and the
        parameters.
    """
    from .counts import attach_events
    from .offences import FOCUS_GROUP, SENSITIVE, UNKNOWN_GROUP

    p = params if params is not None else RecordsParams()
    if overrides:
        unknown = sorted(set(overrides) - set(asdict(p)))
        if unknown:
            raise ValueError(f"simulate_records: unknown parameter(s) {', '.join(unknown)}")
        for key in ("first_treated", "places"):
            if overrides.get(key) is not None:
                overrides[key] = tuple(overrides[key])
        p = replace(p, **overrides)
    J, T = p.n_places, p.n_periods
    names = np.array(list(p.places) if p.places is not None else
                     [f"J{k + 1:0{max(2, len(str(J)))}d}" for k in range(J)], dtype=object)
    first = np.asarray(p.first_treated if p.first_treated is not None
                       else default_first_treated(J, T, p.seed), dtype=np.int64)
    rng = np.random.default_rng([p.seed, 7])
    cats = list(_RECORD_RATES)
    months = pd.period_range(pd.Period(p.start, freq="M"), periods=T, freq="M").astype(str)
    size = np.exp(rng.normal(0.0, p.place_sd, J))
    share = np.clip(p.focus_share + rng.normal(0.0, _SHARE_SD, J), 0.05, 0.95)
    period = rng.normal(0.0, p.period_sd, T)
    u = np.empty((J, T))
    u[:, 0] = rng.normal(0.0, p.shock_sd, J)
    innov = p.shock_sd * np.sqrt(1 - p.shock_rho**2)
    for t in range(1, T):
        u[:, t] = p.shock_rho * u[:, t - 1] + rng.normal(0.0, innov, J)
    v = rng.normal(0.0, p.group_shock_sd, (J, T, 2))
    t_idx = np.arange(1, T + 1)
    D = ((first[:, None] > 0) & (t_idx[None, :] >= first[:, None])).astype(float)   # (J, T)
    sens = np.array([c in SENSITIVE for c in cats], dtype=float)                   # (C,)
    rate = np.array([_RECORD_RATES[c] for c in cats])
    group_share = np.stack([share, 1 - share], axis=1)                              # (J, 2)
    crime = np.array([p.crime_effect_focus, p.crime_effect_others])
    report = np.array([p.reporting_effect, p.reporting_effect_others])
    log_mu = (np.log(size)[:, None, None, None] + np.log(rate)[None, None, None, :]
              + np.log(group_share)[:, None, :, None] + (period[None, :] + u)[:, :, None, None]
              + v[:, :, :, None]
              + D[:, :, None, None] * (crime[None, None, :, None]
                                       + report[None, None, :, None] * sens[None, None, None, :]))
    mu = np.exp(log_mu)                                                             # (J,T,2,C)
    mu = np.concatenate([mu * (1 - p.unknown_share),
                         mu.sum(axis=2, keepdims=True) * p.unknown_share], axis=2)  # (J,T,3,C)
    if p.dispersion > 0:
        mu = mu * rng.gamma(p.dispersion, 1.0 / p.dispersion, mu.shape)
    y = rng.poisson(mu)
    groups = np.array([FOCUS_GROUP, "other", UNKNOWN_GROUP], dtype=object)
    jj, tt, gg, cc = (a.ravel() for a in np.indices(y.shape))
    counts = pd.DataFrame({"place": names[jj], "period": np.asarray(months, dtype=object)[tt],
                           "group": groups[gg], "category": np.array(cats, dtype=object)[cc],
                           "count": y.ravel().astype(np.int64)})
    events = {names[k]: months[first[k] - 1] for k in range(J) if first[k] > 0}
    out = attach_events(counts, events)
    out.attrs["truth"] = {
        "ddd": float(p.reporting_effect - p.reporting_effect_others),
        "did_focus_sensitive": float(p.reporting_effect + p.crime_effect_focus),
        "did_focus_benchmark": float(p.crime_effect_focus),
        "did_others_sensitive": float(p.reporting_effect_others + p.crime_effect_others),
        "reporting_effect": float(p.reporting_effect),
        "crime_effect_focus": float(p.crime_effect_focus),
        "first_treated": {str(names[k]): (months[first[k] - 1] if first[k] > 0 else None)
                          for k in range(J)},
    }
    out.attrs["params"] = {**asdict(p), "first_treated": [int(x) for x in first],
                           "places": [str(x) for x in names]}
    return out


# ---------------------------------------------------------------- victimization answers
# Probability that a respondent's household experienced each incident type in the
# reference period (about six months), and the share of such incidents reported to the
# police, in the ranges the National Crime Victimization Survey finds.
VICTIMIZATION = {"assault": (0.040, 0.45), "domestic_violence": (0.025, 0.50),
                 "sexual_assault": (0.008, 0.25), "burglary": (0.030, 0.50),
                 "motor_vehicle_theft": (0.012, 0.80)}


def simulate_victimization(survey: pd.DataFrame, *, effect_immigrant: float = -0.15,
                           effect_nonimmigrant: float = 0.0, rate_scale: float = 1.0,
                           seed: int = 2017) -> pd.DataFrame:
    """Add victimization and reporting answers to a :func:`simulate` data set.

    For each incident type ``k`` adds ``victim_k`` (0/1, the household
    experienced it in the reference period) and ``reported_k`` (0/1 if a
    victim, missing otherwise).  After the event (``post``) the probability
    of reporting moves by ``effect_immigrant`` (points on the 0-1 scale) for
    immigrant respondents and by ``effect_nonimmigrant`` for the others;
    victimization itself does not move.  ``rate_scale`` multiplies every
    victimization probability.  ``attrs["truth"]`` gains the reporting effects
    (``reporting_immigrant``, ``reporting_nonimmigrant``, ``reporting_difference``).
    """
    if not 0 < rate_scale <= 10:
        raise ValueError("simulate_victimization: rate_scale must be in (0, 10]")
    rng = np.random.default_rng([seed, 11])
    out = survey.copy()
    n = len(out)
    imm = out["immigrant"].to_numpy() == 1
    post = out["post"].to_numpy() == 1
    shift = np.where(imm, effect_immigrant, effect_nonimmigrant) * post
    for k, (p_victim, p_report) in VICTIMIZATION.items():
        victim = rng.random(n) < min(1.0, p_victim * rate_scale)
        p = np.clip(p_report - 0.05 * imm + shift, 0.02, 0.98)
        reported = (rng.random(n) < p).astype(float)
        out[f"victim_{k}"] = victim.astype(np.int8)
        out[f"reported_{k}"] = np.where(victim, reported, np.nan)
    out.attrs = {**survey.attrs, "truth": {
        **survey.attrs.get("truth", {}), "reporting_immigrant": float(effect_immigrant),
        "reporting_nonimmigrant": float(effect_nonimmigrant),
        "reporting_difference": float(effect_immigrant - effect_nonimmigrant),
        "incident_types": list(VICTIMIZATION)}}
    return out

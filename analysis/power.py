"""Minimum detectable effect and required sample for a planned DiD or DDD.

The model is the one :mod:`analysis.simulate` draws from: respondents within
jurisdiction x wave cells, jurisdiction and wave effects (absorbed by fixed
effects), a cell shock with intra-cluster correlation ``icc`` and individual
noise; total residual SD ``sd`` (net of the fixed effects).  With ``m``
responses per cell the variance of a cell mean is
``v = sd^2 * (icc + (1 - icc) / m)``, and the two-way fixed-effects estimate
has variance ``v / sum((M D)^2)`` where ``M D`` is the treatment indicator
after removing jurisdiction and wave means (for a common event date this is
``J p (1 - p) T0 T1 / T``).  A triple difference with jurisdiction x wave
fixed effects removes the cell shock but splits each cell by subgroup share
``s``: variance ``sd^2 (1 - icc) / (m s (1 - s)) / sum((M D)^2)``.

``MDE = (t_{1-alpha/2} + t_{power}) * SE`` with ``t`` on ``J - 1`` degrees of
freedom, matching the clustered inference of :func:`analysis.did`.  Survey
weights inflate the variance by their design effect ``deff``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InvalidSpecification
from .results import _Rendered
from .sections import Section

__all__ = ["PowerResult", "power"]


@dataclass(frozen=True)
class PowerSpec:
    n_jurisdictions: int
    n_waves: int
    responses_per_cell: float
    icc: float = 0.02
    sd: float = 0.92
    share_treated: float = 0.5
    first_treated: tuple[int, ...] | None = None
    event_wave: int | None = None
    design: str = "did"
    subgroup_share: float = 0.35
    alpha: float = 0.05
    power: float = 0.8
    deff: float = 1.0
    effect: float | None = None


@dataclass(frozen=True, eq=False, repr=False)
class PowerResult(_Rendered):
    """``tidy``: one row with the design, ``se``, ``mde`` (and, given an
    effect, ``power_at_effect``, ``required_responses_per_cell`` and
    ``required_jurisdictions``)."""

    kind: str
    _tidy: pd.DataFrame = field(repr=False)
    spec: PowerSpec = None  # type: ignore[assignment]
    notes: tuple[str, ...] = ()

    @property
    def tidy(self) -> pd.DataFrame:
        return self._tidy.copy()

    @property
    def mde(self) -> float:
        return float(self._tidy["mde"].iloc[0])

    @property
    def se(self) -> float:
        return float(self._tidy["se"].iloc[0])

    def sections(self) -> list[Section]:
        """The design and its detectable effect, and notes."""
        out = [Section("Design and detectable effect", "kv", list(self.tidy.iloc[0].to_dict().items()))]
        return out + ([Section("Notes", "list", list(self.notes))] if self.notes else [])

    def power_at(self, effect: float) -> float:
        """Power to detect ``effect`` (two-sided) with this design."""
        return _power_at(abs(effect), self.se, self.spec.n_jurisdictions - 1, self.spec.alpha)

    def to_dict(self) -> dict:
        from .results import _records

        return {"kind": self.kind, **_records(self._tidy)[0], "notes": list(self.notes)}

    def __repr__(self) -> str:
        return f"<PowerResult mde={self.mde:.4g} se={self.se:.4g}>"


def _treatment_ss(spec: PowerSpec) -> tuple[float, tuple[int, ...]]:
    J, T = spec.n_jurisdictions, spec.n_waves
    if spec.first_treated is not None:
        first = tuple(int(v) for v in spec.first_treated)
        if len(first) != J:
            raise InvalidSpecification(f"first_treated needs {J} entries, got {len(first)}")
    else:
        n_t = round(spec.share_treated * J)
        if not 1 <= n_t < J:
            raise InvalidSpecification("share_treated must leave treated and comparison units")
        event = spec.event_wave or (T // 2 + 1)
        if not 2 <= event <= T:
            raise InvalidSpecification(f"event_wave must be in 2..{T}")
        first = (event,) * n_t + (0,) * (J - n_t)
    waves = np.arange(1, T + 1)
    D = np.array([(waves >= f) & (f > 0) for f in first], dtype=float)
    M = D - D.mean(axis=1, keepdims=True) - D.mean(axis=0, keepdims=True) + D.mean()
    ss = float((M**2).sum())
    if ss <= 1e-12:
        raise InvalidSpecification("the treatment does not vary within units and waves")
    return ss, first


def _se(spec: PowerSpec, m: float, ss: float) -> float:
    var_ind = spec.sd**2
    if spec.design == "ddd":
        s = spec.subgroup_share
        v = var_ind * (1 - spec.icc) / (m * s * (1 - s))
    else:
        v = var_ind * (spec.icc + (1 - spec.icc) / m)
    return float(np.sqrt(v * spec.deff / ss))


def _crit(df: int, alpha: float, power: float) -> float:
    return float(stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df))


def _power_at(effect: float, se: float, df: int, alpha: float) -> float:
    q = stats.t.ppf(1 - alpha / 2, df)
    z = effect / se
    return float(stats.t.cdf(z - q, df) + stats.t.cdf(-z - q, df))


def power(
    n_jurisdictions: int,
    n_waves: int,
    responses_per_cell: float,
    *,
    icc: float = 0.02,
    sd: float = 0.92,
    share_treated: float = 0.5,
    first_treated: tuple[int, ...] | None = None,
    event_wave: int | None = None,
    design: str = "did",
    subgroup_share: float = 0.35,
    alpha: float = 0.05,
    power: float = 0.8,
    deff: float = 1.0,
    effect: float | None = None,
) -> PowerResult:
    """Minimum detectable effect of a planned DiD/DDD (and the sample for an effect).

    Parameters
    ----------
    n_jurisdictions, n_waves, responses_per_cell
        Planned design.
    icc : float
        Intra-cluster correlation within jurisdiction x wave cells (net of
        jurisdiction and wave effects), as in :class:`SimulationParams`.
    sd : float
        Residual SD of one response net of the fixed effects, on the
        outcome's scale (default 0.92 = the simulator's default).
    share_treated, event_wave
        Common-timing design: share of jurisdictions treated, first treated
        wave (default: the middle).  Or give ``first_treated`` per
        jurisdiction (0 = never) for a staggered plan.
    design : {"did", "ddd"}
    subgroup_share : float
        DDD: share of the subgroup (e.g. immigrant respondents).
    alpha, power : float
        Test size and target power.
    deff : float
        Design effect of weighting (Kish).
    effect : float, optional
        An effect of interest: adds its power and the responses per cell and
        jurisdictions needed to detect it.

    Returns
    -------
    PowerResult
    """
    spec = PowerSpec(int(n_jurisdictions), int(n_waves), float(responses_per_cell), float(icc),
                     float(sd), float(share_treated),
                     None if first_treated is None else tuple(first_treated), event_wave,
                     design, float(subgroup_share), float(alpha), float(power), float(deff),
                     None if effect is None else float(effect))
    _validate(spec)
    ss, first = _treatment_ss(spec)
    df = spec.n_jurisdictions - 1
    se = _se(spec, spec.responses_per_cell, ss)
    crit = _crit(df, spec.alpha, spec.power)
    row = {**{k: v for k, v in asdict(spec).items() if k != "first_treated"},
           "first_treated": ",".join(map(str, first)), "se": se, "mde": crit * se,
           "df": df}
    notes = []
    if spec.effect is not None:
        e = abs(spec.effect)
        row["power_at_effect"] = _power_at(e, se, df, spec.alpha)
        row["required_responses_per_cell"] = _required_m(spec, ss, e, crit)
        row["required_jurisdictions"] = _required_j(spec, e)
        if not np.isfinite(row["required_responses_per_cell"]):
            notes.append("no number of responses per cell reaches this effect: the cell-level "
                         "correlation sets a floor; add jurisdictions or waves")
    return PowerResult(kind="power", _tidy=pd.DataFrame([row]), spec=spec, notes=tuple(notes))


def _required_m(spec: PowerSpec, ss: float, effect: float, crit: float) -> float:
    target_var = (effect / crit) ** 2 * ss / (spec.sd**2 * spec.deff)
    if spec.design == "ddd":
        s = spec.subgroup_share
        return float(np.ceil((1 - spec.icc) / (target_var * s * (1 - s))))
    room = target_var - spec.icc
    return float(np.ceil((1 - spec.icc) / room)) if room > 0 else float("inf")


def _required_j(spec: PowerSpec, effect: float, limit: int = 100_000) -> float:
    """Smallest number of jurisdictions (same share treated) detecting ``effect``."""
    if spec.first_treated is not None:
        return float("nan")  # a staggered plan fixes its jurisdictions
    T = spec.n_waves
    event = spec.event_wave or (T // 2 + 1)
    t1 = T - event + 1
    t0 = T - t1

    def mde(J: int) -> float:
        n_t = min(max(round(spec.share_treated * J), 1), J - 1)
        ss = n_t * (J - n_t) / J * t0 * t1 / T
        return _crit(J - 1, spec.alpha, spec.power) * _se(spec, spec.responses_per_cell, ss)

    lo, hi = 3, 4
    while mde(hi) > effect:
        lo, hi = hi, hi * 2
        if hi > limit:
            return float("inf")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if mde(mid) > effect else (lo, mid)
    return float(hi)


def _validate(s: PowerSpec) -> None:
    checks = [
        (s.n_jurisdictions >= 3, "n_jurisdictions must be at least 3"),
        (s.n_waves >= 2, "n_waves must be at least 2"),
        (s.responses_per_cell > 0, "responses_per_cell must be positive"),
        (0 <= s.icc < 1, "icc must be in [0, 1)"),
        (s.sd > 0, "sd must be positive"),
        (0 < s.share_treated < 1, "share_treated must be in (0, 1)"),
        (s.design in ("did", "ddd"), "design must be 'did' or 'ddd'"),
        (0 < s.subgroup_share < 1, "subgroup_share must be in (0, 1)"),
        (0 < s.alpha < 1, "alpha must be in (0, 1)"),
        (0 < s.power < 1, "power must be in (0, 1)"),
        (s.deff >= 1, "deff must be at least 1"),
        (s.effect is None or s.effect != 0, "effect must be non-zero"),
    ]
    for ok, msg in checks:
        if not ok:
            raise InvalidSpecification(msg)

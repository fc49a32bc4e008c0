"""Immutable result objects; a tidy DataFrame is the source of truth.

Accessors (``estimate``, ``se``, ``ci``, ``p_value``...) read the tidy table;
``tidy`` hands out a copy, so a result cannot be changed after the fact.
Rendering lives in :mod:`analysis.report`: ``summary()``, ``to_html()``,
``to_json()`` and ``_repr_html_`` only delegate to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

TIDY_COLUMNS = ["term", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high"]


def _freeze(obj):
    if isinstance(obj, dict):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return tuple(_freeze(v) for v in obj)
    return obj


class _Rendered:
    """Delegation of rendering to :mod:`analysis.report`."""

    def summary(self) -> str:
        from . import report

        return report.to_text(self)

    def to_html(self, **kw) -> str:
        from . import report

        return report.to_html(self, **kw)

    def to_latex(self) -> str:
        from . import report

        return report.to_latex(self)

    def to_json(self) -> str:
        from . import report

        return report.to_json(self)

    def _repr_html_(self) -> str:
        from . import report

        return report.to_html(self, fragment=True)

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True, eq=False, repr=False)
class EffectResult(_Rendered):
    """Result of a regression-based effect estimate (pre/post, DiD, DDD, ordinal).

    Attributes
    ----------
    kind : str
        ``"prepost"``, ``"did"``, ``"ddd"``, ``"ordinal"``.
    term : str
        The coefficient the estimator is about (e.g. ``"treated:post"``).
    spec : mapping
        The specification (outcome, indicators, fixed effects, controls,
        weights, cluster, standard errors, alpha...).
    n_obs : int
        Rows used.
    n_by_group : DataFrame
        Rows (and summed weights, mean outcome) by design cell.
    fingerprint : str
        SHA-256 of the analysed rows.
    inference : str
        How standard errors, p-values and intervals were computed.
    notes : tuple of str
        Caveats and facts about the fit (dropped rows, few clusters, ...).
    extras : mapping
        Estimator-specific details (bootstrap, odds ratios, ...).
    """

    kind: str
    term: str
    _tidy: pd.DataFrame = field(repr=False)
    spec: Any = field(default_factory=dict)
    n_obs: int = 0
    n_by_group: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    fingerprint: str = ""
    inference: str = ""
    notes: tuple[str, ...] = ()
    extras: Any = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", _freeze(dict(self.spec)))
        object.__setattr__(self, "extras", _freeze(dict(self.extras)))
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def tidy(self) -> pd.DataFrame:
        """Coefficient table (a copy): term, estimate, se, statistic, p_value, ci."""
        return self._tidy.copy()

    def row(self, term: str | None = None) -> pd.Series:
        t = self._tidy
        hit = t.loc[t["term"] == (term or self.term)]
        if hit.empty:
            raise KeyError(f"no term {term or self.term!r} in the result")
        return hit.iloc[0]

    @property
    def estimate(self) -> float:
        return float(self.row()["estimate"])

    @property
    def se(self) -> float:
        return float(self.row()["se"])

    @property
    def p_value(self) -> float:
        return float(self.row()["p_value"])

    @property
    def ci(self) -> tuple[float, float]:
        r = self.row()
        return float(r["ci_low"]), float(r["ci_high"])

    @property
    def n_clusters(self) -> int:
        return int(self.spec.get("n_clusters", 0) or 0)

    def to_dict(self) -> dict:
        """The stable JSON keys plus the full table and specification."""
        low, high = self.ci
        return {
            "kind": self.kind,
            "term": self.term,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": low,
            "ci_high": high,
            "p_value": self.p_value,
            "n_obs": int(self.n_obs),
            "inference": self.inference,
            "coefficients": _records(self._tidy),
            "n_by_group": _records(self.n_by_group),
            "spec": _plain(self.spec),
            "notes": list(self.notes),
            "fingerprint": self.fingerprint,
            "extras": _plain(self.extras),
        }

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self.kind} {self.term}: estimate={self.estimate:.4g} "
                f"se={self.se:.4g} n_obs={self.n_obs}>")


def _plain(obj):
    """Mapping proxies, tuples and numpy scalars -> JSON-ready Python values."""
    if isinstance(obj, (dict, MappingProxyType)):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return _records(obj)
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _records(df: pd.DataFrame) -> list[dict]:
    if df is None or len(df) == 0:
        return []
    return [{str(k): _plain(v) if not pd.isna(v) else None for k, v in rec.items()}
            for rec in df.to_dict(orient="records")]

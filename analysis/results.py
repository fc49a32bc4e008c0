"""Immutable result objects; a tidy DataFrame is the source of truth.

Accessors (``estimate``, ``se``, ``ci``, ``p_value``...) read the tidy table;
``tidy`` hands out a copy, so a result cannot be changed after the fact.
Each result builds its own report sections (``sections()``); ``summary()``,
``to_html()``, ``to_json()`` and ``_repr_html_`` lay them out with
:mod:`analysis.sections`, and :func:`analysis.report.render` turns them into
bytes of any format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from ._effect_sections import effect_sections
from .sections import Section, html_document, latex_document, text_document
from .values import clean_json, json_value

TIDY_COLUMNS = ["term", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high"]


def _freeze(obj):
    if isinstance(obj, dict):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return tuple(_freeze(v) for v in obj)
    return obj


KIND_LABEL = {
    "did": "Difference-in-differences", "ddd": "Triple differences",
    "prepost": "Before/after (one jurisdiction)", "event_study": "Event study",
    "ordinal": "Ordered-response difference-in-differences", "scales": "Scale reliability",
    "weights": "Raking weights", "power": "Power and minimum detectable effect",
    "report": "Policy and trust report",
    "count_did": "Police reports, difference-in-differences (Poisson)",
    "count_ddd": "Police reports, triple differences (Poisson)",
    "count_event_study": "Police reports, event study (Poisson)",
}


class _Rendered:
    """What every result can say about itself: its title and sections, and their documents.

    A result builds its own sections (:mod:`analysis.sections`); ``summary()``,
    ``to_html()``, ``to_latex()`` and ``to_json()`` lay them out (as
    ``analysis.report.render`` does, without it: no result imports the renderer).
    """

    def sections(self) -> list[Section]:
        raise NotImplementedError(f"{type(self).__name__} builds no sections")

    @property
    def report_title(self) -> str:
        title = getattr(self, "title", None)
        if isinstance(title, str):
            return title
        kind = getattr(self, "kind", "")
        label = KIND_LABEL.get(kind, kind)
        spec = getattr(self, "spec", {}) or {}
        outcome = spec.get("outcome") if hasattr(spec, "get") else None
        return f"{label}: {outcome}" if outcome else label

    def summary(self) -> str:
        return text_document(self.report_title, self.sections())

    def to_html(self, fragment: bool = False) -> str:
        return html_document(self.report_title, self.sections(), fragment=fragment)

    def to_latex(self) -> str:
        return latex_document(self.report_title, self.sections())

    def to_json(self) -> str:
        return json.dumps(clean_json(self.to_dict()), indent=2, allow_nan=False, default=str)  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        return self.to_html(fragment=True)

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

    def sections(self) -> list[Section]:
        """Specification, estimates, checks and notes (:mod:`analysis._effect_sections`)."""
        return effect_sections(self)

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
            "inference_detail": _plain(self.extras.get("inference") or {}),
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
    return json_value(obj)


def _records(df: pd.DataFrame) -> list[dict]:
    if df is None or len(df) == 0:
        return []
    return [{str(k): _plain(v) for k, v in rec.items()}
            for rec in df.to_dict(orient="records")]

"""Scale scores and their reliability from plain scale definitions.

A definition is a mapping, so ``analysis`` never needs the instrument code::

    {"trust": {"items": ["t1", "t2", "t3"], "reverse": ["t2"], "min_items": 2,
               "low": 1, "high": 5}}

The score is the mean of the answered items (reverse-coded ones as
``low + high - x``) when at least ``min_items`` are answered; answers outside
``low..high`` (e.g. 8 = "don't know") count as missing.  Reliability is
computed on respondents who answered every item: Cronbach's alpha,
item-rest correlations, alpha if the item is dropped, and McDonald's omega
(total) from a one-factor maximum-likelihood model (statsmodels ``Factor``)
when the scale has three or more items.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _prep
from .errors import InvalidSpecification
from .results import _Rendered
from .sections import Section, table

__all__ = ["ScaleResult", "cronbach_alpha", "mcdonald_omega", "scales"]


@dataclass(frozen=True)
class ScaleDefinition:
    name: str
    items: tuple[str, ...]
    reverse: tuple[str, ...] = ()
    min_items: int = 1
    low: float = 1
    high: float = 5

    @classmethod
    def parse(cls, name: str, spec) -> ScaleDefinition:
        if not isinstance(spec, Mapping):
            spec = {"items": spec}
        unknown = set(spec) - {"items", "reverse", "min_items", "low", "high", "label"}
        if unknown:
            raise InvalidSpecification(f"scale {name!r}: unknown keys {sorted(unknown)}")
        items = tuple(_prep.as_list(spec.get("items")))
        if not items:
            raise InvalidSpecification(f"scale {name!r} has no items")
        reverse = tuple(_prep.as_list(spec.get("reverse")))
        if set(reverse) - set(items):
            raise InvalidSpecification(
                f"scale {name!r}: reverse items {sorted(set(reverse) - set(items))} are not items")
        min_items = int(spec.get("min_items", math.ceil(len(items) / 2)))
        if not 1 <= min_items <= len(items):
            raise InvalidSpecification(f"scale {name!r}: min_items must be in 1..{len(items)}")
        low, high = float(spec.get("low", 1)), float(spec.get("high", 5))
        if low >= high:
            raise InvalidSpecification(f"scale {name!r}: low must be below high")
        return cls(name, items, reverse, min_items, low, high)


@dataclass(frozen=True, eq=False, repr=False)
class ScaleResult(_Rendered):
    """Scores, reliability (tidy: one row per scale) and item statistics."""

    kind: str
    _tidy: pd.DataFrame = field(repr=False)
    _scores: pd.DataFrame = field(repr=False)
    _items: pd.DataFrame = field(repr=False)
    definitions: tuple = ()
    n_obs: int = 0
    fingerprint: str = ""
    notes: tuple[str, ...] = ()

    @property
    def tidy(self) -> pd.DataFrame:
        """scale, n_items, n_scored, n_complete, alpha, omega, mean, sd."""
        return self._tidy.copy()

    @property
    def scores(self) -> pd.DataFrame:
        """One column per scale, aligned with the input rows (NaN = too few items)."""
        return self._scores.copy()

    @property
    def items(self) -> pd.DataFrame:
        """scale, item, reversed, n, mean, sd, item_rest_r, alpha_if_deleted."""
        return self._items.copy()

    def sections(self) -> list[Section]:
        """Reliability per scale, item statistics, notes."""
        out = [Section("Reliability", "table", table(self.tidy)),
               Section("Items", "table", table(self.items))]
        return out + ([Section("Notes", "list", list(self.notes))] if self.notes else [])

    def alpha(self, scale: str) -> float:
        return float(self._tidy.set_index("scale").loc[scale, "alpha"])

    def to_dict(self) -> dict:
        from .results import _records

        return {"kind": self.kind, "reliability": _records(self._tidy),
                "items": _records(self._items), "n_obs": self.n_obs,
                "fingerprint": self.fingerprint, "notes": list(self.notes)}

    def __repr__(self) -> str:
        return f"<ScaleResult {', '.join(self._tidy['scale'])}: n_obs={self.n_obs}>"


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of a complete (n x k) item matrix."""
    X = np.asarray(items, dtype=float)
    k = X.shape[1]
    if k < 2 or X.shape[0] < 2:
        return float("nan")
    C = np.cov(X, rowvar=False)
    total = C.sum()
    return float(k / (k - 1) * (1 - np.trace(C) / total)) if total > 0 else float("nan")


def mcdonald_omega(items: np.ndarray) -> float:
    """McDonald's omega total from a one-factor ML model (statsmodels)."""
    from statsmodels.multivariate.factor import Factor

    X = np.asarray(items, dtype=float)
    if X.shape[1] < 3 or X.shape[0] <= X.shape[1] + 1:
        return float("nan")
    if np.any(X.std(axis=0) == 0):
        return float("nan")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = Factor(X, n_factor=1, method="ml").fit()
    except (np.linalg.LinAlgError, ValueError):
        return float("nan")
    if any("converge" in str(w.message).lower() for w in caught):
        return float("nan")  # a non-converged factor model gives no usable omega
    lam = np.abs(res.loadings.ravel())
    psi = res.uniqueness
    return float(lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()))


def scales(data: pd.DataFrame, definitions: Mapping[str, Mapping]) -> ScaleResult:
    """Score scales and report their reliability.

    Parameters
    ----------
    data : DataFrame
        One row per response, one column per item (numeric codes).
    definitions : mapping
        ``{scale: {"items": [...], "reverse": [...], "min_items": k,
        "low": 1, "high": 5}}``; a bare list of items is accepted too.

    Returns
    -------
    ScaleResult
    """
    _prep.require_frame(data)
    if not isinstance(definitions, Mapping) or not definitions:
        raise InvalidSpecification("definitions must be a non-empty mapping of scale -> spec")
    defs = tuple(ScaleDefinition.parse(str(k), v) for k, v in definitions.items())
    for d in defs:
        _prep.require_columns(data, {f"item of scale {d.name!r}": list(d.items)})
    scores, rel, item_rows, notes = {}, [], [], []
    for d in defs:
        X = np.column_stack([_prep.numeric(data, c, f"item {c!r}") for c in d.items])
        out_of_range = ~np.isnan(X) & ((X < d.low) | (X > d.high))
        if out_of_range.any():
            notes.append(f"{d.name}: {int(out_of_range.sum())} answers outside "
                         f"{d.low:g}..{d.high:g} treated as missing")
            X = np.where(out_of_range, np.nan, X)
        for j, c in enumerate(d.items):
            if c in d.reverse:
                X[:, j] = d.low + d.high - X[:, j]
        answered = (~np.isnan(X)).sum(axis=1)
        total = np.nansum(X, axis=1)
        score = np.full(len(X), np.nan)
        ok = answered >= d.min_items
        score[ok] = total[ok] / answered[ok]
        scores[d.name] = score
        complete = X[(answered == len(d.items))]
        alpha = cronbach_alpha(complete)
        rel.append({"scale": d.name, "n_items": len(d.items), "n_scored": int(np.sum(
            ~np.isnan(score))), "n_complete": len(complete), "alpha": alpha,
            "omega": mcdonald_omega(complete), "mean": float(np.nanmean(score))
            if np.any(~np.isnan(score)) else np.nan,
            "sd": float(np.nanstd(score, ddof=1)) if np.sum(~np.isnan(score)) > 1 else np.nan})
        for j, c in enumerate(d.items):
            col = complete[:, j]
            rest = np.delete(complete, j, axis=1)
            r = (float(np.corrcoef(col, rest.sum(axis=1))[0, 1])
                 if len(complete) > 2 and rest.shape[1] and col.std() > 0 and rest.sum(1).std() > 0
                 else np.nan)
            xj = X[~np.isnan(X[:, j]), j]
            item_rows.append({"scale": d.name, "item": c, "reversed": c in d.reverse,
                              "n": len(xj), "mean": float(xj.mean()) if len(xj) else np.nan,
                              "sd": float(xj.std(ddof=1)) if len(xj) > 1 else np.nan,
                              "item_rest_r": r,
                              "alpha_if_deleted": cronbach_alpha(rest)})
    score_df = pd.DataFrame(scores, index=data.index)
    used = [c for d in defs for c in d.items]
    return ScaleResult(kind="scales", _tidy=pd.DataFrame(rel), _scores=score_df,
                       _items=pd.DataFrame(item_rows), definitions=defs, n_obs=len(data),
                       fingerprint=_prep.fingerprint(data[list(dict.fromkeys(used))]),
                       notes=tuple(notes))

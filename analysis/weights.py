"""Raking (iterative proportional fitting) to population margins.

Why hand-written: the maintained survey libraries do not fit this project's
install — ``balance`` pins ``numpy<2`` on Python 3.11 and pulls scikit-learn
and IPython; ``samplics`` resolves to an old release on 3.11; ``ipfn`` works
on contingency arrays, not respondent rows, and has no trimming or
diagnostics.  Raking itself is a short loop (Deming and Stephan 1940): the
tests check it reaches the margins, that its solution has the multiplicative
form raking must have, and that trimming and the design effect behave.

Each group (e.g. jurisdiction) is raked separately to its own margins.  After
convergence, weights above ``trim`` times the group mean (or below the mean
divided by ``trim``) are capped and the group is raked again, up to
``trim_rounds`` times, so the margins hold as closely as the caps allow.
Weights average 1 within each group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _prep
from .errors import InvalidSpecification, NotEnoughResponses, UnknownColumn
from .results import _records, _Rendered
from .sections import Section, table

__all__ = ["WeightsResult", "kish_deff", "rake"]


def kish_deff(w: np.ndarray) -> float:
    """Kish's design effect of unequal weights: n * sum(w^2) / sum(w)^2."""
    w = np.asarray(w, dtype=float)
    return float(len(w) * np.sum(w**2) / np.sum(w) ** 2) if len(w) else float("nan")


@dataclass(frozen=True, eq=False, repr=False)
class WeightsResult(_Rendered):
    """Raking weights and their diagnostics.

    ``tidy`` has one row per group: ``group, n, iterations, converged,
    max_margin_error, n_trimmed, min_weight, max_weight, deff_kish,
    n_effective``; ``margins`` has target, sample and weighted shares.
    """

    kind: str
    _tidy: pd.DataFrame = field(repr=False)
    _weights: pd.Series = field(repr=False)
    _margins: pd.DataFrame = field(repr=False)
    spec: Mapping = field(default_factory=dict)
    n_obs: int = 0
    fingerprint: str = ""
    notes: tuple[str, ...] = ()

    @property
    def tidy(self) -> pd.DataFrame:
        return self._tidy.copy()

    @property
    def weights(self) -> pd.Series:
        """Weights aligned with the input rows (mean 1 within each group)."""
        return self._weights.copy()

    @property
    def margins(self) -> pd.DataFrame:
        return self._margins.copy()

    @property
    def deff(self) -> float:
        """Kish design effect over all rows."""
        return kish_deff(self._weights.to_numpy())

    @property
    def converged(self) -> bool:
        return bool(self._tidy["converged"].all())

    def sections(self) -> list[Section]:
        """Design effect and convergence, per-group raking, target against achieved shares."""
        kv = [("Respondents", self.n_obs), ("Kish design effect", self.deff),
              ("Effective sample size", self.n_obs / self.deff), ("Converged", self.converged),
              ("Trim (x mean)", self.spec.get("trim")), ("Data fingerprint", self.fingerprint)]
        out = [Section("Weights", "kv", kv), Section("Groups", "table", table(self.tidy)),
               Section("Margins", "table", table(self.margins))]
        return out + ([Section("Notes", "list", list(self.notes))] if self.notes else [])

    def to_dict(self) -> dict:
        return {"kind": self.kind, "groups": _records(self._tidy),
                "margins": _records(self._margins), "deff_kish": self.deff,
                "converged": self.converged, "n_obs": self.n_obs,
                "fingerprint": self.fingerprint, "notes": list(self.notes)}

    def __repr__(self) -> str:
        return f"<WeightsResult groups={len(self._tidy)} deff={self.deff:.3f}>"


def _normalise_margins(margins, by: list[str], groups: list) -> dict:
    """-> {group key: {variable: {level: share}}}."""
    if isinstance(margins, pd.DataFrame):
        need = [*by, "variable", "level", "share"]
        for c in need:
            if c not in margins.columns:
                raise UnknownColumn(c, margins.columns, "margins")
        out: dict = {}
        keys = margins[by].apply(tuple, axis=1) if by else pd.Series([()] * len(margins))
        for key, var, lev, share in zip(keys, margins["variable"], margins["level"],
                                        margins["share"], strict=False):
            out.setdefault(key, {}).setdefault(var, {})[lev] = float(share)
        return out
    if not isinstance(margins, Mapping) or not margins:
        raise InvalidSpecification("margins must be a non-empty mapping or a DataFrame")
    first = next(iter(margins.values()))
    if isinstance(first, Mapping) and first and all(isinstance(v, Mapping)
                                                    for v in first.values()):
        return {(k if isinstance(k, tuple) else (k,)): dict(v) for k, v in margins.items()}
    return {g: dict(margins) for g in groups}


def rake(
    data: pd.DataFrame,
    margins,
    *,
    by: str | list[str] | None = None,
    base_weights: str | None = None,
    trim: float | None = 5.0,
    trim_rounds: int = 10,
    max_iter: int = 200,
    tol: float = 1e-8,
) -> WeightsResult:
    """Rake respondents to population margins, separately within groups.

    Parameters
    ----------
    data : DataFrame
        Respondent rows with the raking variables.
    margins : mapping or DataFrame
        Target shares.  ``{"age_band": {1: .2, 2: .3, ...}, "gender": {...}}``
        applies to every group; ``{group: {variable: {level: share}}}`` or a
        tidy DataFrame with columns ``by..., variable, level, share`` gives
        each group its own.  A variable may be a tuple of columns for a joint
        margin (levels are then tuples), e.g. ``("age_band", "gender")``.
        Shares are normalised to sum to 1.
    by : str or list of str, optional
        Grouping columns (e.g. ``"jurisdiction"``).
    base_weights : str, optional
        Design weights to start from (default 1).
    trim : float or None, default 5
        Cap weights at ``trim`` x the group mean (floor at mean / ``trim``);
        ``None`` for no trimming.
    trim_rounds, max_iter, tol
        Trim-and-rerake rounds; raking sweeps; convergence tolerance on the
        largest absolute difference between a weighted and a target share.

    Returns
    -------
    WeightsResult
    """
    _prep.require_frame(data)
    by_cols = _prep.as_list(by)
    _prep.require_columns(data, {"group": by_cols, "base weights": base_weights})
    if trim is not None and not trim > 1:
        raise InvalidSpecification(f"trim must be above 1 (or None), got {trim}")
    if by_cols:
        key_codes, _ = _prep.codes(data[by_cols])
        first = np.unique(key_codes, return_index=True)[1]
        firsts = data[by_cols].iloc[first]
        groups = [tuple(r) for r in firsts.itertuples(index=False, name=None)]
    else:
        key_codes, groups = np.zeros(len(data), dtype=np.int64), [()]
    targets = _normalise_margins(margins, by_cols, groups)
    margin_cols = sorted({c for t in targets.values() for v in t
                          for c in (v if isinstance(v, tuple) else (v,))})
    _prep.require_columns(data, {"raking": margin_cols})
    frame = data[margin_cols]
    frame.attrs = {}  # pandas deep-copies attrs on every slice; raking needs none
    base = (np.ones(len(data)) if base_weights is None
            else np.asarray(_prep.weights_array(data, base_weights)))
    w_out = np.full(len(data), np.nan)
    rows, margin_rows, notes = [], [], []
    for gi, g in enumerate(groups):
        idx = np.flatnonzero(key_codes == gi)
        tg = targets.get(g) or targets.get(g[0] if len(g) == 1 else g)
        if tg is None:
            raise InvalidSpecification(f"no margins for group {g}")
        w, info, mrows = _rake_group(frame.iloc[idx], base[idx], tg, trim, trim_rounds,
                                     max_iter, tol, g)
        w_out[idx] = w
        rows.append({"group": g[0] if len(g) == 1 else g, **info})
        margin_rows += mrows
        if not info["converged"]:
            notes.append(f"group {g}: margins missed by {info['max_margin_error']:.2g}"
                         f"{' after trimming' if info['n_trimmed'] else ''}")
    used = by_cols + margin_cols
    return WeightsResult(
        kind="weights", _tidy=pd.DataFrame(rows),
        _weights=pd.Series(w_out, index=data.index, name="weight"),
        _margins=pd.DataFrame(margin_rows),
        spec={"by": by_cols, "trim": trim, "tol": tol, "base_weights": base_weights},
        n_obs=len(data), fingerprint=_prep.fingerprint(data[used]), notes=tuple(notes))


def _rake_group(df, base, tg, trim, trim_rounds, max_iter, tol, g):
    n = len(df)
    if n == 0:
        raise NotEnoughResponses(f"group {g} has no respondents")
    variables = []
    for var, shares in tg.items():
        cols = list(var) if isinstance(var, tuple) else [var]
        for c in cols:
            if c not in df.columns:
                raise UnknownColumn(c, df.columns, "raking")
        if df[cols].isna().any(axis=None):
            raise InvalidSpecification(f"raking variable {var!r} has missing values in group {g}; "
                                       "impute or drop them first")
        levels = list(shares)
        if len(cols) > 1:
            code = pd.MultiIndex.from_tuples(levels).get_indexer(pd.MultiIndex.from_frame(df[cols]))
        else:
            code = pd.Index(levels).get_indexer(df[cols[0]])
        code = np.asarray(code)
        if (code < 0).any():
            bad = sorted({str(v) for v in df.loc[code < 0, cols].drop_duplicates()
                          .itertuples(index=False, name=None)})[:5]
            raise InvalidSpecification(f"{var!r} levels {bad} in group {g} have no target share")
        target = np.array([shares[lev] for lev in levels], dtype=float)
        if (target < 0).any() or target.sum() <= 0:
            raise InvalidSpecification(f"target shares of {var!r} must be non-negative")
        target = target / target.sum()
        present = np.bincount(code, minlength=len(levels)) > 0
        if (target[~present] > 0).any():
            missing = [levels[i] for i in np.flatnonzero(~present & (target > 0))]
            raise NotEnoughResponses(f"group {g}: no respondents with {var!r} in {missing}; "
                                     "collapse levels")
        variables.append((var, levels, code, target))
    w = base.astype(float) * n / base.sum()
    n_trimmed, iters, err = 0, 0, np.inf
    for _ in range(max(1, trim_rounds) if trim else 1):
        for _ in range(max_iter):
            iters += 1
            for _, _, code, target in variables:
                cur = np.bincount(code, weights=w, minlength=len(target)) / w.sum()
                factor = np.divide(target, cur, out=np.zeros_like(target), where=cur > 0)
                w = w * factor[code]
            err = _max_error(w, variables)
            if err < tol:
                break
        if not trim:
            break
        capped = _cap(w, trim)
        out = np.abs(capped - w) > 1e-12 * w.mean()
        if not out.any():
            break
        n_trimmed = int(out.sum())
        w = capped
    if trim:
        w = _cap(w, trim)
    w = w * n / w.sum()
    err = _max_error(w, variables)
    mrows = []
    for var, levels, code, target in variables:
        sample = np.bincount(code, minlength=len(levels)) / n
        weighted = np.bincount(code, weights=w, minlength=len(levels)) / w.sum()
        for i, lev in enumerate(levels):
            mrows.append({"group": g[0] if len(g) == 1 else g, "variable": str(var),
                          "level": lev, "target": target[i], "sample": sample[i],
                          "weighted": weighted[i]})
    deff = kish_deff(w)
    info = {"n": n, "iterations": iters, "converged": bool(err < max(tol, 1e-6)),
            "max_margin_error": float(err), "n_trimmed": n_trimmed,
            "min_weight": float(w.min()), "max_weight": float(w.max()), "deff_kish": deff,
            "n_effective": n / deff}
    return w, info, mrows


def _cap(w: np.ndarray, trim: float) -> np.ndarray:
    """Clip weights to [mean / trim, mean * trim], repeating as the mean moves."""
    for _ in range(100):
        m = w.mean()
        new = np.clip(w, m / trim, m * trim)
        if np.allclose(new, w, rtol=1e-13, atol=0):
            return new
        w = new
    return w


def _max_error(w, variables) -> float:
    total = w.sum()
    return max(float(np.abs(np.bincount(code, weights=w, minlength=len(t)) / total - t).max())
               for _, _, code, t in variables)

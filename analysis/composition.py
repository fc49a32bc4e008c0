"""Composition check: does *who answers* move with the policy?

A survey of residents is a new sample each wave.  If enforcement makes
immigrant, Spanish- or Arabic-speaking residents less willing to answer, the
share of them among respondents falls in treated jurisdictions, and an effect
on the pooled outcome may be partly a change of who answers.  The check runs
the same staggered difference-in-differences (Callaway-Sant'Anna, clustered by
jurisdiction) on each share, so it can be reported beside every effect.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .errors import AnalysisError, UnknownColumn
from .sections import method_label
from .values import finite_or_none

__all__ = ["caveat", "composition_check", "composition_did", "default_shares",
           "with_composition"]

# (label, column, value): value None means a 0/1 column
_CANDIDATES = (("immigrant", "immigrant", None), ("Spanish-speaking", "language", "es"),
               ("Arabic-speaking", "language", "ar"))


def default_shares(data: pd.DataFrame) -> dict[str, tuple[str, object]]:
    """The shares the study's instrument can measure in ``data``."""
    out: dict[str, tuple[str, object]] = {}
    for label, col, value in _CANDIDATES:
        if col not in data.columns:
            continue
        if value is not None and not (data[col].astype(str) == value).any():
            continue
        out[label] = (col, value)
    return out


def parse_shares(spec: str | None, data: pd.DataFrame) -> dict[str, tuple[str, object]]:
    """CLI form: ``auto`` (default), ``none`` or ``COL[=VALUE],...``."""
    if spec is None or spec == "auto":
        return default_shares(data)
    if spec == "none":
        return {}
    out: dict[str, tuple[str, object]] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        col, _, value = part.partition("=")
        if col not in data.columns:
            raise UnknownColumn(f"composition column {col!r} is not in the data")
        out[part] = (col, value or None)
    return out


def composition_check(
    data: pd.DataFrame,
    unit: str,
    time: str,
    first_treated: str,
    shares: Mapping[str, tuple[str, object]] | None = None,
    *,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> list[dict]:
    """Staggered DiD of each respondent share on the policy.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    unit, time, first_treated : str
        As in :func:`analysis.event_study`.
    shares : mapping label -> (column, value), optional
        ``value`` None: the column is 0/1; otherwise the share of rows equal to
        ``value``.  Default: :func:`default_shares`.
    cluster, alpha
        As in :func:`analysis.event_study`.

    Returns
    -------
    list of dict
        One record per share: ``share, column, value, mean, estimate, se,
        ci_low, ci_high, p_value`` (change of the share, in proportion points,
        caused by the policy) or ``note`` when it cannot be estimated.
    """
    from .event_study import event_study

    shares = default_shares(data) if shares is None else shares
    out = []
    for label, (col, value) in shares.items():
        x = data[col]
        if value is None:
            ind = pd.to_numeric(x, errors="coerce")
        else:
            ind = (x.astype(str) == str(value)).astype(float).where(x.notna())
        rec: dict = {"share": label, "column": col, "value": value,
                     "mean": finite_or_none(float(np.nanmean(ind))) if ind.notna().any()
                     else None}
        frame = pd.DataFrame({"_share": ind, unit: data[unit], time: data[time],
                              first_treated: data[first_treated]})
        if cluster and cluster not in frame:
            frame[cluster] = data[cluster]
        try:
            res = event_study(frame, "_share", unit, time, first_treated, cluster=cluster,
                              alpha=alpha)
        except AnalysisError as exc:
            rec["note"] = str(exc).splitlines()[0]
            out.append(rec)
            continue
        rec.update({k: finite_or_none(v) for k, v in res.att.items()})
        rec["inference"] = method_label(res.extras.get("inference"))
        rec["pretrend_p"] = finite_or_none(res.pretrend_p)
        out.append(rec)
    return out


def composition_did(
    data: pd.DataFrame,
    treated: str,
    post: str,
    shares: Mapping[str, tuple[str, object]] | None = None,
    *,
    unit: str | None = None,
    time: str | None = None,
    cluster: str | None = None,
) -> list[dict]:
    """The same check for a (two-way fixed-effects) DiD: each share on ``treated x post``."""
    from .did import did

    shares = default_shares(data) if shares is None else shares
    out = []
    for label, (col, value) in shares.items():
        x = data[col]
        ind = (pd.to_numeric(x, errors="coerce") if value is None else
               (x.astype(str) == str(value)).astype(float).where(x.notna()))
        rec: dict = {"share": label, "column": col, "value": value,
                     "mean": finite_or_none(float(np.nanmean(ind))) if ind.notna().any()
                     else None}
        frame = data[[c for c in dict.fromkeys([treated, post, unit, time, cluster]) if c]]
        frame = frame.assign(_share=ind)
        try:
            res = did(frame, "_share", treated, post, unit=unit, time=time, cluster=cluster,
                      se="cluster" if (cluster or unit) else "hc1")
        except AnalysisError as exc:
            rec["note"] = str(exc).splitlines()[0]
            out.append(rec)
            continue
        low, high = res.ci
        rec.update({"estimate": finite_or_none(res.estimate), "se": finite_or_none(res.se),
                    "ci_low": finite_or_none(low), "ci_high": finite_or_none(high),
                    "p_value": finite_or_none(res.p_value),
                    "inference": method_label(res.extras.get("inference"))})
        out.append(rec)
    return out


def caveat(records: list[dict], alpha: float = 0.05) -> str:
    """One sentence on who answers, generated from the check that ran."""
    moved = [r for r in records if r.get("p_value") is not None and r["p_value"] < alpha]
    if not records:
        return ("Composition: no immigrant or language column to check whether who answers "
                "moved with the policy.")
    if moved:
        parts = ", ".join(f"{r['share']} ({r['estimate']:+.3f}, p = {r['p_value']:.3f})"
                          for r in moved)
        return (f"Composition: the share of respondents who are {parts} changed with the "
                "policy; part of any effect may be a change in who answers, not in what they "
                "think.")
    names = ", ".join(r["share"] for r in records)
    return (f"Composition: the shares of {names} respondents did not detectably move with the "
            "policy (same DiD on each share, reported beside every effect).")


def with_composition(result, records: list[dict]):
    """The same result with the composition check in ``extras["composition"]``."""
    extras = {**dict(result.extras), "composition": records}
    return dataclasses.replace(result, extras=extras)

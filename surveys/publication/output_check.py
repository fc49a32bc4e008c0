"""Output checking of estimates before a viewer or API client sees them (issue 10).

The estimators run on the released cell means (``aggregates.model_cells``),
so nothing moves between releases. What comes out may still hold a cell mean
in disguise: a Callaway-Sant'Anna group-time or cohort effect of a cohort of
one jurisdiction is a difference of four cell means, and with the published
means it gives a suppressed cell's mean back. So for viewers and API clients
every cohort-specific row is dropped unless the cohort spans at least two
jurisdictions and none of its cells is small
(``analysis.disclosure.publishable_groups``, the one small-cell rule).
Aggregated effects (overall ATT, DiD, DDD, event-time effects) and their
intervals remain, as do the design-cell tables, which are suppressed
separately (``reports``). Analysts and admins, who may read microdata, get
the full output. Every report and estimates answer lists the rules applied.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from analysis.disclosure import MIN_UNITS_PER_EFFECT, publishable_groups

COHORT_AGGREGATIONS = ("group_time", "cohort")


def rules(min_cell_size: int, *, full: bool, release: int | None) -> list[str]:
    """Plain sentences naming the disclosure rules applied to an output."""
    out = [f"Released data only: closed waves of release {release if release is not None else '(none yet)'}; "
           "open waves are not in any estimate.",
           f"Small cells: any group of fewer than {min_cell_size} respondents, or whose members all share "
           "one immigrant background or language, is suppressed with complements.",
           "Design-cell tables (responses and means by group) follow the same small-cell rule."]
    if full:
        out.append("Full output for an analyst or admin: cohort and group-time effects are shown unchecked.")
    else:
        out.append(f"Output checking: cohort and group-time effects are withheld for cohorts of fewer than "
                   f"{MIN_UNITS_PER_EFFECT} jurisdictions or with a cell of fewer than {min_cell_size} "
                   "respondents; overall and event-time effects with their intervals remain.")
    return out


def _checked(component: Any, safe: set) -> Any:
    tidy = getattr(component, "_tidy", None)
    if not isinstance(tidy, pd.DataFrame) or not {"aggregation", "cohort"} <= set(tidy.columns):
        return component
    drop = tidy["aggregation"].isin(COHORT_AGGREGATIONS) & ~tidy["cohort"].isin(safe)
    if not drop.any():
        return component
    return dataclasses.replace(component, _tidy=tidy[~drop].reset_index(drop=True))


def check_results(results: tuple[tuple[str, Any], ...], cells: pd.DataFrame,
                  min_cell_size: int) -> tuple[tuple[str, Any], ...]:
    """``results`` without cohort-specific effects of cohorts that fail the check (viewers, API)."""
    if "first_treated" not in cells.columns:
        return results
    treated = cells[cells["first_treated"] > 0]
    safe = publishable_groups(treated, "first_treated", "jurisdiction", "n", min_cell_size)
    return tuple((name, _checked(component, safe)) for name, component in results)

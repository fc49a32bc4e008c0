"""Tidy input: one DataFrame per survey, from a CSV export or any DataFrame.

``load`` reads (or copies) the data, trims column names, turns empty strings
into missing values and, when asked, normalises a first-treated column (empty
or missing = 0 = never treated).  ``cell_means`` aggregates respondents to
cells (e.g. jurisdiction x wave x immigrant) with counts and summed weights:
the form the dashboard and database-side aggregation hand to ``did``,
``ddd`` and ``event_study`` (pass ``weights="n"``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _prep
from .errors import AnalysisError, InvalidSpecification

__all__ = ["FLAG_COLUMNS", "cell_means", "load"]

# The data-quality flags of a row-level export (computed at submission, ``surveys/studies/quality.py``).
FLAG_COLUMNS = ("flag_straightlining", "flag_nonresponse")


def load(
    source,
    *,
    columns: Sequence[str] | None = None,
    first_treated: str | None = None,
    exclude_flagged: bool = False,
) -> pd.DataFrame:
    """Read a survey export (CSV path or DataFrame) into a tidy DataFrame.

    Parameters
    ----------
    source : str, os.PathLike or DataFrame
        A CSV file (comma-separated, header row) or a DataFrame (copied).
    columns : list of str, optional
        Columns that must be present (and are kept, in this order).
    first_treated : str, optional
        Column of first treated wave to normalise: missing or empty -> 0.
    exclude_flagged : bool, default False
        Leave out responses carrying a data-quality flag (``FLAG_COLUMNS`` of a row-level
        export: straight-lining, item non-response; 1 = flagged).

    Returns
    -------
    DataFrame

    Raises
    ------
    AnalysisError
        If the file cannot be read; UnknownColumn for a missing column.
    """
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    elif isinstance(source, (str, os.PathLike)):
        try:
            df = pd.read_csv(source, skipinitialspace=True)
        except FileNotFoundError:
            raise AnalysisError(f"data file not found: {os.fspath(source)}") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise AnalysisError(f"cannot read {os.fspath(source)} as CSV: {first}") from None
        except IsADirectoryError:
            raise AnalysisError(f"data path is a directory: {os.fspath(source)}") from None
    else:
        raise InvalidSpecification(f"cannot load data from {type(source).__name__}")
    df.columns = [str(c).strip() for c in df.columns]
    if df.columns.duplicated().any():
        dup = df.columns[df.columns.duplicated()].tolist()
        raise InvalidSpecification(f"duplicate column names: {dup}")
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c]) and df[c].map(
                lambda v: isinstance(v, str) or pd.isna(v)).all():
            s = df[c].str.strip()
            df[c] = s.where(s != "")
    if exclude_flagged:
        _prep.require_columns(df, {"data-quality flag": list(FLAG_COLUMNS)})
        flagged = np.zeros(len(df), dtype=bool)
        for c in FLAG_COLUMNS:
            flagged |= np.nan_to_num(_prep.numeric(df, c, "data-quality flag"), nan=0.0) > 0
        df = df.loc[~flagged].reset_index(drop=True)
    if columns is not None:
        cols = _prep.as_list(columns)
        _prep.require_columns(df, {"required": cols})
        df = df[cols]
    if first_treated is not None:
        _prep.require_columns(df, {"first-treated": first_treated})
        ft = np.nan_to_num(_prep.numeric(df, first_treated, "first-treated"), nan=0.0)
        df[first_treated] = ft.astype(np.int64) if np.all(ft == np.round(ft)) else ft
    return df


def cell_means(
    data: pd.DataFrame,
    outcomes: str | Sequence[str],
    by: Sequence[str],
    *,
    weights: str | None = None,
    keep: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Collapse respondents to cells: weighted means, counts and summed weights.

    Parameters
    ----------
    data : DataFrame
        Respondent rows.
    outcomes : str or list of str
        Numeric outcomes to average.
    by : list of str
        Cell keys, e.g. ``["jurisdiction", "wave", "immigrant"]``.
    weights : str, optional
        Survey weights; cell means are weighted and ``weight`` sums them.
    keep : list of str, optional
        Columns constant within cells to carry over (e.g. ``treated``,
        ``post``, ``first_treated``); the first value is kept.

    Returns
    -------
    DataFrame
        ``by`` columns, ``keep`` columns, one column per outcome (mean),
        ``n`` (respondents) and ``weight`` (summed weights; equals ``n``
        without weights).  Use ``weights="weight"`` in the estimators.
    """
    outs = _prep.as_list(outcomes)
    by = _prep.as_list(by)
    keep = _prep.as_list(keep)
    _prep.require_columns(data, {"outcome": outs, "cell key": by, "keep": keep,
                                 "weights": weights})
    w = np.ones(len(data)) if weights is None else _prep.weights_array(data, weights)
    tmp = data[by + keep].copy()
    tmp["n"] = 1
    tmp["weight"] = w
    agg = {"n": ("n", "sum"), "weight": ("weight", "sum")}
    agg.update({k: (k, "first") for k in keep})
    for o in outs:
        y = _prep.numeric(data, o, "outcome")
        tmp[f"_wy_{o}"] = w * y
        agg[f"_wy_{o}"] = (f"_wy_{o}", "sum")
    cells = tmp.groupby(by, sort=True).agg(**agg).reset_index()
    for o in outs:
        cells[o] = cells.pop(f"_wy_{o}") / cells["weight"]
    return cells[by + keep + outs + ["n", "weight"]]

"""Plain values for JSON: the one rule for turning NaN (and numpy scalars) into what JSON holds.

A missing or undefined number (NaN, an infinity, ``pd.NA``, None) becomes
``None`` (JSON ``null``), never 0 and never the string ``"NaN"``: a suppressed
or empty figure must read as missing wherever it is published.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["clean_json", "finite_or_none", "json_value"]


def finite_or_none(value: Any) -> float | None:
    """``value`` as a finite float, else None (NaN, infinities, NA, None, non-numbers)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def json_value(value: Any) -> Any:
    """A scalar ready for ``json.dumps``: numpy scalars become Python ones, missing numbers None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def clean_json(x: Any) -> Any:
    """A nested structure (dicts, lists, DataFrames, scalars) ready for ``json.dumps``."""
    if isinstance(x, dict):
        return {str(k): clean_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean_json(v) for v in x]
    if isinstance(x, pd.DataFrame):
        return clean_json(x.to_dict(orient="records"))
    return json_value(x)

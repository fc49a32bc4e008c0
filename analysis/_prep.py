"""Input checks shared by the estimators (private).

Each helper raises a named :mod:`analysis.errors` exception whose message a
researcher can act on.  Nothing here formats output or fits models.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .errors import (
    ConstantTreatment,
    InvalidSpecification,
    NonNumericOutcome,
    NotEnoughResponses,
    UnknownColumn,
)


def as_list(cols: str | Iterable[str] | None) -> list[str]:
    """Normalise a column argument: None, "a", "a,b" or ["a", "b"]."""
    if cols is None:
        return []
    if isinstance(cols, str):
        return [c.strip() for c in cols.split(",") if c.strip()]
    return [str(c) for c in cols]


def require_frame(data) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise InvalidSpecification(f"expected a pandas DataFrame, got {type(data).__name__}")
    return data


# roles that may name the same column as each other (and as the time column)
_GROUPING_ROLES = ("unit", "cluster", "fixed-effect")


def require_columns(df: pd.DataFrame, roles: dict[str, Sequence[str] | str | None],
                    distinct: bool = False) -> None:
    """Check that every named column exists; ``roles`` maps role -> column(s).

    ``distinct``: a column may not play two roles (an outcome that is also the
    treatment indicator, a control that is the subgroup...), except that unit,
    cluster and fixed-effect columns may coincide with each other and with time.
    """
    seen: dict[str, str] = {}
    for role, cols in roles.items():
        for col in as_list(cols) if not isinstance(cols, str) else [cols]:
            if col not in df.columns:
                raise UnknownColumn(col, df.columns, role)
            if not distinct:
                continue
            other = seen.get(col)
            if other is not None and other != role:
                grouping = {other, role} - set(_GROUPING_ROLES)
                if grouping and not grouping <= {"time"}:
                    raise InvalidSpecification(
                        f"column {col!r} is given two roles ({other} and {role})")
            elif other == role and role not in _GROUPING_ROLES:
                raise InvalidSpecification(f"column {col!r} is named twice as {role}")
            seen.setdefault(col, role)


def numeric(df: pd.DataFrame, col: str, role: str = "outcome") -> np.ndarray:
    """Column as float64; raises NonNumericOutcome if it is not numeric."""
    s = df[col]
    if s.dtype == bool or pd.api.types.is_bool_dtype(s):
        return s.astype("float64").to_numpy()
    if not pd.api.types.is_numeric_dtype(s):
        converted = pd.to_numeric(s, errors="coerce")
        bad = converted.isna() & s.notna()
        if bad.any():
            example = s[bad].iloc[0]
            raise NonNumericOutcome(
                f"{role} column {col!r} is not numeric (e.g. value {example!r}); "
                "recode it to numbers first"
            )
        s = converted
    return s.to_numpy(dtype="float64", na_value=np.nan)


def binary(df: pd.DataFrame, col: str, role: str) -> np.ndarray:
    """A 0/1 indicator column as float64; raises if it is not 0/1 or constant."""
    x = numeric(df, col, role)
    if ((x == 0.0) | (x == 1.0) | np.isnan(x)).all():
        return x
    vals = np.unique(x[~np.isnan(x)])
    if not np.isin(vals, [0.0, 1.0]).all():
        raise InvalidSpecification(
            f"{role} column {col!r} must be 0/1, found values {vals[:6].tolist()}"
        )
    return x


def require_varies(x: np.ndarray, col: str, role: str) -> None:
    if len(x) == 0:
        raise NotEnoughResponses(f"no usable rows for {role} column {col!r}; the effect cannot be estimated")
    if np.nanmin(x) == np.nanmax(x):
        raise ConstantTreatment(
            f"{role} column {col!r} is constant ({x[0]:g} in every usable row); "
            "the effect cannot be estimated"
        )


def weights_array(df: pd.DataFrame, col: str | None) -> np.ndarray | None:
    if col is None:
        return None
    w = numeric(df, col, "weights")
    ok = ~np.isnan(w)
    if (w[ok] < 0).any() or not np.isfinite(w[ok]).all():
        raise InvalidSpecification(f"weights column {col!r} must be finite and non-negative")
    return w


def complete_rows(df: pd.DataFrame, cols: Sequence[str], min_rows: int = 3) -> pd.DataFrame:
    """Rows with no missing value in ``cols`` (and positive weight if any)."""
    cols = list(dict.fromkeys(cols))
    sub = df[cols]
    sub.attrs = {}  # pandas deep-copies attrs on every operation; analysed rows need none
    keep = sub.notna().all(axis=1).to_numpy()
    out = sub.loc[keep] if not keep.all() else sub
    if len(out) < min_rows:
        raise NotEnoughResponses(
            f"only {len(out)} usable rows (of {len(df)}) with no missing value in "
            f"{', '.join(cols)}; need at least {min_rows}"
        )
    return out


def codes(values) -> tuple[np.ndarray, int]:
    """Integer codes 0..L-1 of one or several key columns (a DataFrame)."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] == 1:
            values = values.iloc[:, 0]
        else:
            # combine per-column codes arithmetically (no tuples), then renumber
            return combine_codes([codes(values.iloc[:, i]) for i in range(values.shape[1])])
    c, uniq = pd.factorize(values, sort=True)
    return c.astype(np.int64), len(uniq)


def combine_codes(parts: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, int]:
    """Codes of the combinations of several coded keys, numbered 0..L-1 in sorted order."""
    combined = np.zeros(len(parts[0][0]), dtype=np.int64)
    for c, n in parts:
        combined = combined * max(n, 1) + c
    c, uniq = pd.factorize(combined, sort=True)
    return c.astype(np.int64), len(uniq)


def fingerprint(df: pd.DataFrame) -> str:
    """SHA-256 of the analysed rows and columns (order-sensitive), hex.

    Numeric columns enter as their bytes; text columns as their sorted labels
    plus each row's label code, so equal data give equal fingerprints.
    """
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, df.columns)).encode())
    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_extension_array_dtype(s):
            h.update(np.ascontiguousarray(s.to_numpy()).tobytes())
        else:
            codes_, labels = pd.factorize(s, sort=True, use_na_sentinel=True)
            h.update("\x1f".join(map(str, labels)).encode())
            h.update(codes_.astype(np.int64).tobytes())
    return h.hexdigest()

"""Dates in city open data, and the periods counts are aggregated to (private).

Open-data exports mix formats (``2017-03-05``, ``03/05/2017``,
``3/5/17 14:22``, ``2017-03-05T14:22:00.000``, ``05-Mar-2017``,
``March 5, 2017``), often within one file.  Parsing works on the *distinct*
strings of a batch (incident dates repeat), strips a time of day, then tries
explicit formats in a fixed order; a string no format reads is *unparseable*,
never guessed.  Month and day order is a setting (``day_first``), not a guess
per value, so ``03/05/2017`` never means March in one row and May in the next.

A day is an integer (days since 1970-01-01); a period is an integer code with
a label: ``month`` ``YYYY-MM``, ``week`` (Monday start) ``YYYY-MM-DD``,
``quarter`` ``YYYY-Qn``, or custom periods (e.g. survey waves) given as
``(label, first day, last day)``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InvalidSpecification

MISSING, BAD = -(2**40), -(2**40) + 1      # sentinels below any real day
TIME_OF_DAY = (r"(?:[T ]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?"
               r"\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)$")
_COMMON = ["%Y-%m-%d", "%Y/%m/%d", "%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y",
           "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%Y%m%d"]
MONTH_FIRST = _COMMON + ["%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m.%d.%Y"]
DAY_FIRST = _COMMON + ["%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"]
PERIOD_KINDS = ("month", "week", "quarter")
_EPOCH = np.datetime64("1970-01-01", "D")


def day_number(value: _dt.date | str) -> int:
    """Days since 1970-01-01 of a date or an ISO date string."""
    if isinstance(value, str):
        try:
            value = _dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise InvalidSpecification(f"not a date (use YYYY-MM-DD): {value!r}") from None
    if isinstance(value, _dt.datetime):
        value = value.date()
    return int((np.datetime64(value, "D") - _EPOCH).astype(np.int64))


def parse_days(strings, day_first: bool = False) -> np.ndarray:
    """Day numbers of date strings: ``MISSING`` for empty, ``BAD`` for unreadable."""
    s = pd.Series(np.asarray(strings, dtype=object)).astype("string").str.strip()
    out = np.full(len(s), BAD, dtype=np.int64)
    empty = (s.isna() | (s == "")).to_numpy()
    out[empty] = MISSING
    todo = ~empty
    if not todo.any():
        return out
    date_part = s.str.replace(TIME_OF_DAY, "", regex=True).str.strip()
    for fmt in (DAY_FIRST if day_first else MONTH_FIRST):
        if not todo.any():
            break
        got = pd.to_datetime(date_part[todo], format=fmt, errors="coerce")
        ok = got.notna().to_numpy()
        if ok.any():
            idx = np.flatnonzero(todo)[ok]
            days = got[ok].to_numpy().astype("datetime64[D]")
            out[idx] = (days - _EPOCH).astype(np.int64)
            todo[idx] = False
    return out


def looks_day_first(strings) -> bool:
    """Whether unreadable month-first dates read as day-first (a hint for the user)."""
    s = pd.Series(list(strings), dtype="string").str.replace(TIME_OF_DAY, "", regex=True)
    day = parse_days(s, day_first=True)
    return bool((day > BAD).mean() > 0.5) if len(s) else False


@dataclass(frozen=True)
class PeriodScheme:
    """How days group into periods: ``kind`` month/week/quarter, or custom periods."""

    kind: str = "month"
    custom: tuple[tuple[str, int, int], ...] = ()

    @classmethod
    def make(cls, period: str | Sequence = "month") -> PeriodScheme:
        """``"month"``, ``"week"``, ``"quarter"``, or ``[(label, first, last), ...]``."""
        if isinstance(period, str):
            if period not in PERIOD_KINDS:
                raise InvalidSpecification(f"period must be one of {', '.join(PERIOD_KINDS)} or a "
                                           f"list of (label, first day, last day), got {period!r}")
            return cls(period)
        rows = []
        for item in period:
            try:
                label, first, last = item  # type: ignore[str-unpack]  # a str is refused below
            except (TypeError, ValueError):
                raise InvalidSpecification("each custom period is (label, first day, last day)") from None
            rows.append((str(label), day_number(first), day_number(last)))
        rows.sort(key=lambda r: r[1])
        if not rows:
            raise InvalidSpecification("no custom periods given")
        for (la, a0, a1), (lb, b0, _) in zip(rows, rows[1:], strict=False):
            if a1 < a0:
                raise InvalidSpecification(f"period {la!r} ends before it starts")
            if b0 <= a1:
                raise InvalidSpecification(f"periods {la!r} and {lb!r} overlap")
        if rows[-1][2] < rows[-1][1]:
            raise InvalidSpecification(f"period {rows[-1][0]!r} ends before it starts")
        if len({r[0] for r in rows}) < len(rows):
            raise InvalidSpecification("custom period labels must be unique")
        return cls("custom", tuple(rows))

    def codes(self, days: np.ndarray) -> np.ndarray:
        """Period code of each day (-1: in no custom period)."""
        if self.kind == "month":
            return (days + _EPOCH).astype("datetime64[M]").astype(np.int64)
        if self.kind == "quarter":
            return (days + _EPOCH).astype("datetime64[M]").astype(np.int64) // 3
        if self.kind == "week":
            return (days + 3) // 7           # 1970-01-01 was a Thursday; weeks start Monday
        starts = np.array([r[1] for r in self.custom])
        ends = np.array([r[2] for r in self.custom])
        i = np.searchsorted(starts, days, side="right") - 1
        inside = (i >= 0) & (days <= ends[np.maximum(i, 0)])
        return np.where(inside, i, -1)

    def start(self, code: int) -> int:
        """First day of a period."""
        if self.kind == "month":
            return int((np.datetime64(int(code), "M").astype("datetime64[D]") - _EPOCH)
                       .astype(np.int64))
        if self.kind == "quarter":
            return self.__class__("month").start(3 * int(code))
        if self.kind == "week":
            return 7 * int(code) - 3
        return self.custom[int(code)][1]

    def label(self, code: int) -> str:
        if self.kind == "custom":
            return self.custom[int(code)][0]
        day = str(_EPOCH + self.start(code))
        if self.kind == "month":
            return day[:7]
        if self.kind == "quarter":
            return f"{day[:4]}-Q{int(day[5:7]) // 3 + 1}"
        return day

    def span(self, lo: int, hi: int) -> list[int]:
        """Every period code from ``lo`` to ``hi`` (all custom periods)."""
        if self.kind == "custom":
            return list(range(len(self.custom)))
        return list(range(int(lo), int(hi) + 1))

    def first_full(self, day: int) -> int:
        """The first period that starts on or after ``day`` (an event's first treated period)."""
        if self.kind == "custom":
            for i, r in enumerate(self.custom):
                if r[1] >= day:
                    return i
            return len(self.custom)
        code = int(self.codes(np.array([day]))[0])
        return code if self.start(code) == day else code + 1

    def describe(self) -> str:
        if self.kind == "custom":
            return f"{len(self.custom)} custom periods ({self.custom[0][0]} to {self.custom[-1][0]})"
        return {"month": "calendar months", "week": "weeks starting Monday",
                "quarter": "calendar quarters"}[self.kind]

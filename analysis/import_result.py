"""What a police-records import keeps: counts, rows by reason, unmapped values, fingerprints.

An :class:`ImportResult` holds aggregates only.  ``counts`` has one row per
place x period x victim group x category (zeros included, so a missing row
never has to be read as zero); ``tally`` partitions every row of the file by
reason (its ``rows`` sum to ``n_rows``); ``unmapped`` lists the most frequent
unmapped values of the mapped columns, for fixing the mapping.  It renders
itself like every analysis result (text, HTML, LaTeX, JSON, PDF).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .results import _plain, _records, _Rendered

__all__ = ["REASONS", "ImportResult", "ValueTally"]

# Stable keys (JSON, database rows) -> (label, whether the row is in the counts).
REASONS: dict[str, tuple[str, bool]] = {
    "counted": ("counted", True),
    "counted_unknown_group": ("counted, victim group not recorded or not mapped", True),
    "malformed_line": ("malformed line (wrong number of fields)", False),
    "missing_date": ("no date", False),
    "bad_date": ("unparseable date", False),
    "date_out_of_range": ("date outside the study period", False),
    "outside_periods": ("date in none of the periods", False),
    "missing_place": ("no district", False),
    "unknown_place": ("district not mapped to a place", False),
    "excluded_place": ("district excluded by the mapping", False),
    "bad_coordinates": ("unreadable coordinates", False),
    "outside_areas": ("coordinates outside every mapped area", False),
    "missing_category": ("no offence type", False),
    "unknown_category": ("offence type not mapped", False),
    "excluded_category": ("offence type excluded by the mapping", False),
}
# Reasons whose values are listed (never coordinates: they can locate an address).
LISTED = ("bad_date", "unknown_place", "excluded_place", "unknown_category",
          "excluded_category", "counted_unknown_group")


class ValueTally:
    """Counts of values, bounded: beyond ``cap`` distinct values the rarest are pooled.

    A garbage column (an address mapped as the district) cannot make memory
    grow with the file; the most frequent values stay exact as long as fewer
    than ``cap`` distinct values have been seen, approximate after.
    """

    OTHER = "(other values)"

    def __init__(self, cap: int = 2000, keep: int = 500):
        self.cap, self.keep = cap, keep
        self.counts: dict[str, int] = {}

    def add(self, values, counts) -> None:
        for v, c in zip(values, counts, strict=True):
            if c:
                key = str(v)
                self.counts[key] = self.counts.get(key, 0) + int(c)
        if len(self.counts) > self.cap:
            ordered = sorted(self.counts.items(), key=lambda kv: -kv[1])
            other = self.counts.get(self.OTHER, 0)
            self.counts = dict(ordered[: self.keep])
            self.counts[self.OTHER] = other + sum(c for _, c in ordered[self.keep:])

    def frame(self, top: int = 50) -> pd.DataFrame:
        rows = sorted(self.counts.items(), key=lambda kv: (kv[0] == self.OTHER, -kv[1], kv[0]))
        return pd.DataFrame(rows[:top], columns=["value", "rows"])


@dataclass(frozen=True, eq=False, repr=False)
class ImportResult(_Rendered):
    """Counts and the account of every row of one imported file."""

    counts: pd.DataFrame = field(repr=False)
    tally: pd.DataFrame = field(repr=False)
    unmapped: Mapping = field(default_factory=dict, repr=False)
    content_hash: str = ""
    rows_fingerprint: str = ""
    n_rows: int = 0
    n_bytes: int = 0
    first_date: str | None = None
    last_date: str | None = None
    period: str = ""
    columns: tuple[str, ...] = ()
    mapping: Mapping = field(default_factory=dict, repr=False)
    hints: tuple[str, ...] = ()
    kind: str = "records_import"

    @property
    def n_counted(self) -> int:
        t = self.tally
        return int(t.loc[t["counted"], "rows"].sum())

    @property
    def n_not_counted(self) -> int:
        return self.n_rows - self.n_counted

    def rows(self, reason: str) -> int:
        """Rows tallied under ``reason`` (a key of :data:`REASONS`)."""
        if reason not in REASONS:
            raise KeyError(f"unknown reason {reason!r}")
        hit = self.tally.loc[self.tally["reason"] == reason, "rows"]
        return int(hit.iloc[0]) if len(hit) else 0

    @property
    def title(self) -> str:
        return "Police records import"

    def summary_sentence(self) -> str:
        parts = [f"{r.label} {r.rows:,}" for r in self.tally.itertuples()
                 if not r.counted and r.rows]
        text = f"{self.n_counted:,} of {self.n_rows:,} rows counted"
        unknown = self.rows("counted_unknown_group")
        if unknown:
            text += f" ({unknown:,} with no victim group recorded or mapped)"
        return text + (f"; not counted: {'; '.join(parts)}." if parts else "; every row counted.")

    def sections(self):
        from .sections import Section
        from .sections import table as _table

        kv = [("File SHA-256", self.content_hash), ("Rows fingerprint", self.rows_fingerprint),
              ("Bytes read", self.n_bytes), ("Rows read", self.n_rows),
              ("Rows counted", self.n_counted), ("Dates counted", f"{self.first_date} to "
                                                                  f"{self.last_date}"
               if self.first_date else "none"), ("Periods", self.period),
              ("Places", ", ".join(map(str, self.counts["place"].unique())) if len(self.counts)
               else "none")]
        out = [Section("Import", "kv", kv), Section("In words", "text", self.summary_sentence()),
               Section("Rows by reason", "table",
                       _table(self.tally[self.tally["rows"] > 0][["label", "rows", "counted"]]))]
        for reason, frame in self.unmapped.items():
            if len(frame):
                out.append(Section(f"Values: {REASONS[reason][0]}", "table", _table(frame)))
        if len(self.counts):
            pivot = (self.counts.groupby(["place", "category"])["count"].sum()
                     .unstack(fill_value=0).reset_index())
            out.append(Section("Reports by place and category (all periods)", "table",
                               _table(pivot)))
        if self.hints:
            out.append(Section("Hints", "list", list(self.hints)))
        return out

    def to_dict(self) -> dict:
        return {"kind": self.kind, "content_hash": self.content_hash,
                "rows_fingerprint": self.rows_fingerprint, "n_rows": self.n_rows,
                "n_counted": self.n_counted, "n_bytes": self.n_bytes,
                "first_date": self.first_date, "last_date": self.last_date,
                "period": self.period, "columns": list(self.columns),
                "tally": _records(self.tally),
                "unmapped": {k: _records(v) for k, v in self.unmapped.items()},
                "hints": list(self.hints), "mapping": _plain(dict(self.mapping)),
                "counts": _records(self.counts)}

    def __repr__(self) -> str:
        return (f"<ImportResult {self.n_counted:,}/{self.n_rows:,} rows counted, "
                f"{len(self.counts):,} cells, sha256 {self.content_hash[:12]}>")

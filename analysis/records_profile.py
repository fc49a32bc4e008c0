"""A first look at an uploaded records file, for building its mapping.

Before anything is mapped, a researcher needs the file's columns and, for the
columns they pick, the values in them (which district names, which offence
types, which victim categories occur, and how often).  :func:`profile_records`
streams the file once, like the importer, and keeps only bounded tallies of
the distinct values of the requested columns: no row is kept.  A mapping form
(web or CLI) shows these values next to the places and categories to map to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ._csv_stream import CsvBlocks, norm_key
from .errors import UnknownColumn
from .import_result import ValueTally
from .results import _records, _Rendered

__all__ = ["RecordsProfile", "profile_records"]


@dataclass(frozen=True, eq=False, repr=False)
class RecordsProfile(_Rendered):
    """Header, row count, and the most frequent values of the profiled columns."""

    columns: tuple[str, ...]
    n_rows: int
    values: dict = field(default_factory=dict, repr=False)   # column -> DataFrame(value, rows)
    content_hash: str = ""
    kind: str = "records_profile"

    @property
    def title(self) -> str:
        return "Records file: columns and values"

    def sections(self):
        from .sections import Section
        from .sections import table as _table

        out = [Section("File", "kv", [("Columns", ", ".join(self.columns)),
                                      ("Rows", self.n_rows), ("SHA-256", self.content_hash)])]
        for col, frame in self.values.items():
            out.append(Section(f"Values of {col!r}", "table", _table(frame)))
        return out

    def to_dict(self) -> dict:
        return {"kind": self.kind, "columns": list(self.columns), "n_rows": self.n_rows,
                "content_hash": self.content_hash,
                "values": {c: _records(f) for c, f in self.values.items()}}


def profile_records(source, columns: Sequence[str] = (), *, top: int = 200,
                    encoding: str = "utf-8", block_bytes: int = 2 << 20) -> RecordsProfile:
    """Stream a CSV: its header, row count, and the ``top`` values of ``columns``.

    Columns are matched like the importer's (exactly, else ignoring case and
    spaces); an unknown one raises :class:`analysis.UnknownColumn`.  Do not
    profile free-text or address columns for display: their values are rows.
    """
    with CsvBlocks(source, encoding=encoding, block_bytes=block_bytes) as csv_in:
        wanted = _resolve(csv_in.header, columns)
        tallies = {c: ValueTally(cap=max(4 * top, 2000), keep=max(top, 500)) for c in wanted}
        n = 0
        for batch in csv_in.blocks(wanted):
            n += batch.num_rows
            for col in wanted:
                counts = batch.column(col).value_counts().to_pylist()
                tallies[col].add([c["values"] for c in counts], [c["counts"] for c in counts])
    values = {c: t.frame(top) for c, t in tallies.items()}
    return RecordsProfile(columns=tuple(csv_in.header), n_rows=n + csv_in.bad_lines,
                          values=values, content_hash=csv_in.content_hash)


def _resolve(header: list[str], columns) -> list[str]:
    by_key = {norm_key(h): h for h in header}
    out = []
    for c in columns:
        if c in header:
            out.append(c)
        elif norm_key(c) in by_key:
            out.append(by_key[norm_key(c)])
        else:
            raise UnknownColumn(c, header, "profiled")
    return list(dict.fromkeys(out))


"""Import a city's police-records CSV as counts, streaming, keeping no incident row.

A researcher maps the columns of an open-data export of incidents or calls for
service (date, offence type, district or coordinates, victim ethnicity where
published) and the values in them (districts -> the survey's places, offence
types -> :mod:`analysis.offences` categories, victim values -> groups) with a
:class:`RecordsMapping`.  :func:`import_records` then reads the file once, in
blocks (pyarrow's streaming CSV reader; memory does not grow with the file),
and aggregates each block on the spot to place x period x victim group x
category counts.  Incident rows can hold addresses: no row, address or
coordinate is kept, only the counts, a tally of rows by reason, and the most
frequent unmapped values of the mapped columns (so the mapping can be fixed).

Every row is counted once under the first reason that applies, in this order:
malformed line (wrong number of fields), missing / unparseable date / outside
the study period, missing / unknown district (or coordinates unreadable /
outside every mapped area), missing / unknown / excluded offence type; the
rest are counted.  A victim value that is empty or unmapped puts the report in
the ``unknown`` group, and the tally says how many.  Nothing is dropped
silently.

Re-imports are detected by two fingerprints: ``content_hash`` (SHA-256 of the
bytes: the same file) and ``rows_fingerprint`` (an order-independent hash of
the mapped fields of every row: the same incidents re-exported in another
order or with other line endings or extra columns).  Pass earlier imports'
fingerprints as ``known_fingerprints`` and a repeat raises
:class:`DuplicateUpload`.

Past 300 lines on purpose: the mapping's fields, their checks and the one
function that applies them read best together; the per-block work is in
:mod:`analysis._records_batch`, the byte stream in :mod:`analysis._csv_stream`.
"""

from __future__ import annotations

import codecs
import datetime as _dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from . import _dates
from ._csv_stream import CsvBlocks, file_sha256, norm_key
from ._dates import PeriodScheme
from .errors import DuplicateUpload, InvalidSpecification, UnknownColumn
from .import_result import REASONS, ImportResult

__all__ = ["REASONS", "DuplicateUpload", "ImportResult", "RecordsMapping", "file_sha256",
           "first_full_period", "import_records"]

BLOCK_BYTES = 2 << 20     # pyarrow reads ahead a few blocks: ~130 MB peak at 2 MB (bench)
EARLIEST = "1990-01-01"


def _norm_map(mapping: Mapping | None, what: str) -> dict:
    out: dict = {}
    for k, v in (mapping or {}).items():
        key = norm_key(k)
        if key in out and out[key] != v:
            raise InvalidSpecification(f"{what} {k!r} is mapped twice (values are compared "
                                       "ignoring case and spaces)")
        out[key] = None if v is None else str(v)
    return out


@dataclass(frozen=True)
class RecordsMapping:
    """Which columns mean what, and how their values map onto the study.

    Parameters
    ----------
    date, category : str
        Columns of the incident date (any of the usual formats; a time of day
        is ignored) and of the offence or call type.
    categories : mapping
        Offence type -> category (e.g. ``"AGG ASSAULT": "assault"``); a type
        mapped to ``None`` is deliberately not counted (tallied as
        ``excluded_category``); any other type is ``unknown_category``.
    district : str, optional
        Column of the district, beat or precinct; ``districts`` maps its
        values to the survey's place codes.
    latitude, longitude : str, optional
        Coordinate columns, with ``areas`` (place -> polygon of ``(longitude,
        latitude)`` points); used for rows whose district is missing or
        unmapped, or alone when there is no district column.  A row whose
        district is empty and whose coordinates fail is tallied by the
        coordinates' reason; one with an unmapped district value keeps
        ``unknown_place``.
    victim : str, optional
        Column of victim ethnicity or race; ``victim_groups`` maps its values
        to groups (e.g. ``"Hispanic or Latino": "hispanic"``, ``"White":
        "other"``).  Without it every report is in group ``unknown``.
    period : str or list
        ``"month"`` (default), ``"week"``, ``"quarter"``, or custom periods
        ``[(label, first day, last day), ...]`` such as survey waves.
    day_first : bool
        Read ``03/05/2017`` as 3 May (default: 5 March, US style).
    start, end : date or ISO string, optional
        Study period; other dates are tallied ``date_out_of_range``.  Default:
        1990-01-01 to today (placeholder dates such as 1900-01-01 are common).
    encoding : str
        Text encoding of the file (default UTF-8; ``"latin-1"`` or
        ``"cp1252"`` for older exports).
    Values are matched ignoring case and repeated spaces.
    """

    date: str
    category: str
    categories: Mapping = field(default_factory=dict)
    district: str | None = None
    districts: Mapping = field(default_factory=dict)
    latitude: str | None = None
    longitude: str | None = None
    areas: Mapping = field(default_factory=dict)
    victim: str | None = None
    victim_groups: Mapping = field(default_factory=dict)
    period: str | Sequence = "month"
    day_first: bool = False
    start: _dt.date | str | None = None
    end: _dt.date | str | None = None
    encoding: str = "utf-8"

    def __post_init__(self) -> None:
        if not self.date or not self.category:
            raise InvalidSpecification("the mapping needs a date column and an offence-type column")
        if not self.district and not (self.latitude and self.longitude):
            raise InvalidSpecification("the mapping needs a district column or latitude and "
                                       "longitude columns")
        if bool(self.latitude) != bool(self.longitude):
            raise InvalidSpecification("give both latitude and longitude columns, or neither")
        if self.latitude and not self.areas:
            raise InvalidSpecification("coordinates need areas: place -> polygon of "
                                       "(longitude, latitude) points")
        if self.district and not self.districts:
            raise InvalidSpecification("map at least one district value to a place")
        if not any(v is not None for v in self.categories.values()):
            raise InvalidSpecification("map at least one offence type to a category")
        try:
            codecs.lookup(self.encoding)
        except (LookupError, TypeError):
            raise InvalidSpecification(f"unknown text encoding {self.encoding!r}") from None
        PeriodScheme.make(self.period)

    @classmethod
    def from_dict(cls, data: Mapping) -> RecordsMapping:
        """From JSON-like data (the CLI's ``--mapping`` file, the web form)."""
        if not isinstance(data, Mapping):
            raise InvalidSpecification("the mapping must be a JSON object")
        allowed = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise InvalidSpecification(f"unknown mapping keys: {', '.join(unknown)} "
                                       f"(allowed: {', '.join(sorted(allowed))})")
        for key in ("date", "category"):
            if not isinstance(data.get(key), str):
                raise InvalidSpecification(f"the mapping needs {key!r}: the name of a column")
        for key in ("categories", "districts", "victim_groups", "areas"):
            if key in data and not isinstance(data[key], Mapping):
                raise InvalidSpecification(f"{key!r} must be an object of value -> target")
        return cls(**dict(data))

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["categories"], out["districts"] = dict(self.categories), dict(self.districts)
        out["victim_groups"], out["areas"] = dict(self.victim_groups), {
            k: [list(map(float, p)) for p in v] for k, v in self.areas.items()}
        for k in ("start", "end"):
            out[k] = None if out[k] is None else str(out[k])
        if not isinstance(out["period"], str):
            out["period"] = [list(map(str, p)) for p in out["period"]]
        return out


def first_full_period(event_date, period: str | Sequence = "month") -> str | None:
    """Label of the first period starting on or after ``event_date`` (its first treated period).

    ``None`` when the event falls after the last custom period.
    """
    scheme = PeriodScheme.make(period)
    code = scheme.first_full(_dates.day_number(event_date))
    if scheme.kind == "custom" and code >= len(scheme.custom):
        return None
    return scheme.label(code)


def _resolve_columns(header: list[str], m: RecordsMapping) -> dict[str, str]:
    """Mapping roles -> actual header names (exact, else ignoring case and spaces)."""
    by_key: dict[str, str] = {}
    for h in header:
        by_key.setdefault(norm_key(h), h)
    out = {}
    for role in ("date", "category", "district", "latitude", "longitude", "victim"):
        want = getattr(m, role)
        if not want:
            continue
        if want in header:
            out[role] = want
            if header.count(want) > 1:
                raise InvalidSpecification(f"column {want!r} appears twice in the header")
        elif norm_key(want) in by_key:
            out[role] = by_key[norm_key(want)]
        else:
            raise UnknownColumn(want, header, role)
    return out


def import_records(
    source,
    mapping: RecordsMapping | Mapping,
    *,
    known_fingerprints: Collection[str] = (),
    block_bytes: int = BLOCK_BYTES,
) -> ImportResult:
    """Stream a CSV of incidents into place x period x victim group x category counts.

    Parameters
    ----------
    source : path or binary file object
        The CSV (header row; comma-separated; quoted fields may hold commas
        and line breaks).  A file object is read once, from its position.
    mapping : RecordsMapping or dict
        Columns and value maps (see :class:`RecordsMapping`).
    known_fingerprints : collection of str
        ``content_hash`` and ``rows_fingerprint`` values of earlier imports.
    block_bytes : int
        Bytes per streamed block (memory is a few times this).

    Returns
    -------
    ImportResult
        ``counts`` (every place x period x group x category, zeros included),
        ``tally`` (rows by reason), ``unmapped`` (frequent unmapped values),
        fingerprints and the period range.

    Raises
    ------
    DuplicateUpload
        The same bytes, or the same incidents, were imported before.
    UnknownColumn, InvalidSpecification, AnalysisError
        A mapped column is not in the file; the mapping is invalid; the file
        is not readable text in the given encoding or not CSV.
    """
    from ._records_batch import BatchAggregator

    m = mapping if isinstance(mapping, RecordsMapping) else RecordsMapping.from_dict(mapping)
    scheme = PeriodScheme.make(m.period)
    window = (_dates.day_number(m.start or EARLIEST),
              _dates.day_number(m.end or _dt.date.today()))
    with CsvBlocks(source, encoding=m.encoding, block_bytes=block_bytes) as csv_in:
        cols = _resolve_columns(csv_in.header, m)
        agg = BatchAggregator(
            cols=cols, scheme=scheme, window=window, day_first=m.day_first,
            districts=_norm_map(m.districts, "district"),
            categories=_norm_map(m.categories, "offence type"),
            victim_groups=_norm_map(m.victim_groups, "victim value"),
            areas={str(k): v for k, v in m.areas.items()})
        for batch in csv_in.blocks(cols.values()):
            agg.add(batch)
    content_hash = csv_in.content_hash
    rows_fp = agg.rows_fingerprint()
    known = set(known_fingerprints)
    if content_hash in known:
        raise DuplicateUpload(f"this file was imported before (same bytes, SHA-256 "
                              f"{content_hash[:12]}...); nothing was added")
    if rows_fp in known:
        raise DuplicateUpload("these incidents were imported before (same rows in another order "
                              f"or format, fingerprint {rows_fp[:12]}...); nothing was added")
    return agg.result(content_hash=content_hash, rows_fingerprint=rows_fp,
                      bad_lines=csv_in.bad_lines, n_bytes=csv_in.n_bytes, header=csv_in.header,
                      mapping=m)

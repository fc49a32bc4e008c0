"""One streamed block of incident rows -> counts and tallies (private).

Every column is handled through its *distinct* values (pyarrow dictionary
encoding): a block of 50,000 incidents has a few hundred distinct dates,
districts and offence types, so parsing and mapping cost little and the
block's rows are never turned into Python objects.  The block is discarded
once its counts are added.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _dates
from ._csv_stream import norm_key
from ._dates import BAD, MISSING, PeriodScheme
from .import_result import LISTED, REASONS, ImportResult, ValueTally
from .offences import UNKNOWN_GROUP

_CODE = {k: i for i, k in enumerate(REASONS)}
_UNKNOWN, _MISSING, _EXCLUDED = -1, -2, -3
_MIX = np.uint64(0x9E3779B97F4A7C15)
DAY_CACHE = 200_000      # distinct date strings remembered across blocks


class BatchAggregator:
    """Accumulates counts, tallies and a row fingerprint over streamed blocks."""

    def __init__(self, *, cols, scheme: PeriodScheme, window, day_first, districts, categories,
                 victim_groups, areas):
        self.cols, self.scheme, self.window, self.day_first = cols, scheme, window, day_first
        self.districts, self.categories, self.victim_groups = districts, categories, victim_groups
        self.places = sorted({*(v for v in districts.values() if v is not None), *areas})
        self.place_index = {p: i for i, p in enumerate(self.places)}
        self.cats = sorted({v for v in categories.values() if v is not None})
        self.groups = sorted({*(v for v in victim_groups.values() if v is not None),
                              UNKNOWN_GROUP})
        self.paths = self._paths(areas)
        self.cells: dict[int, int] = {}
        self.reasons = np.zeros(len(REASONS), dtype=np.int64)
        self.values = {r: ValueTally() for r in LISTED}
        self.n_rows = 0
        self.h_sum = np.uint64(0)
        self.h_xor = np.uint64(0)
        self.day_range: list[int | None] = [None, None]
        self.day_cache: dict[str, int] = {}

    def _paths(self, areas):
        if not areas:
            return []
        from matplotlib.path import Path

        return [(self.place_index[str(k)], Path(np.asarray(v, dtype=float)))
                for k, v in areas.items()]

    # ------------------------------------------------------------ per column
    @staticmethod
    def _encoded(arr: pa.Array, strip_time: bool = False):
        """(indices, distinct trimmed values) of a string column (dates: time of day removed)."""
        if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
            arr = pc.cast(arr, pa.string())
        arr = pc.utf8_trim_whitespace(arr)
        if strip_time:
            arr = pc.replace_substring_regex(arr, pattern=_dates.TIME_OF_DAY, replacement="")
        enc = pc.dictionary_encode(arr)
        return (enc.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                np.asarray(enc.dictionary.to_pylist(), dtype=object))

    def _mapped(self, encoded, table: dict, reason_key: str | None = None):
        idx, uniq = encoded
        codes = np.empty(len(uniq), dtype=np.int64)
        lookup = {"place": self.place_index, "cat": {c: i for i, c in enumerate(self.cats)},
                  "group": {g: i for i, g in enumerate(self.groups)}}[str(reason_key)]
        for i, u in enumerate(uniq):
            if u == "":
                codes[i] = _MISSING
                continue
            target = table.get(norm_key(u), KeyError)
            codes[i] = (_UNKNOWN if target is KeyError else _EXCLUDED if target is None
                        else lookup[target])
        return codes[idx], idx, uniq

    def _fingerprint(self, n: int, encoded: dict) -> None:
        h = np.zeros(n, dtype=np.uint64)
        for role in sorted(self.cols):
            idx, uniq = encoded[role]
            hu = pd.util.hash_array(uniq.astype(object)) if len(uniq) else np.zeros(0, np.uint64)
            with np.errstate(over="ignore"):
                h = h * _MIX + hu[idx] + np.uint64(len(role))
        with np.errstate(over="ignore"):
            h ^= h >> np.uint64(31)
            h *= _MIX
            self.h_sum = np.uint64(self.h_sum + h.sum(dtype=np.uint64))
        self.h_xor ^= np.bitwise_xor.reduce(h) if len(h) else np.uint64(0)

    def _days(self, strings) -> np.ndarray:
        """Day numbers of distinct date strings, parsed once per import (dates repeat)."""
        todo = [d for d in strings if d not in self.day_cache]
        if todo:
            if len(self.day_cache) > DAY_CACHE:
                self.day_cache.clear()
            self.day_cache.update(zip(todo, _dates.parse_days(todo, self.day_first).tolist(),
                                      strict=True))
        return np.fromiter((self.day_cache[d] for d in strings), dtype=np.int64,
                           count=len(strings))

    def _tally(self, reason, key, idx, uniq) -> None:
        rows = np.bincount(idx[reason == _CODE[key]], minlength=len(uniq))
        self.values[key].add(uniq, rows)

    # ------------------------------------------------------------ per block
    def add(self, batch: pa.RecordBatch) -> None:
        n = batch.num_rows
        if n == 0:
            return
        self.n_rows += n
        # each mapped column dictionary-encoded once (trimmed): fingerprint and mapping share it
        encoded = {role: self._encoded(batch.column(col)) for role, col in self.cols.items()}
        self._fingerprint(n, encoded)
        reason = np.zeros(n, dtype=np.int64)          # 0 = counted

        def mark(mask, key):
            hit = mask & (reason == 0)
            reason[hit] = _CODE[key]

        d_idx, d_uniq = self._encoded(batch.column(self.cols["date"]), strip_time=True)
        days = self._days(d_uniq)[d_idx]
        mark(days == MISSING, "missing_date")
        mark(days == BAD, "bad_date")
        lo, hi = self.window
        mark((days < lo) | (days > hi), "date_out_of_range")
        periods = self.scheme.codes(np.where(days > BAD, days, lo))
        mark(periods < 0, "outside_periods")

        place = np.full(n, _MISSING, dtype=np.int64)
        p_idx = p_uniq = None
        if "district" in self.cols:
            place, p_idx, p_uniq = self._mapped(encoded["district"], self.districts, "place")
        if self.paths:
            todo = place < 0
            if todo.any():
                got = self._locate(batch, np.flatnonzero(todo))
                # an empty district takes the coordinates' reason; a district value the
                # mapping does not know keeps its own (the likelier fix)
                keep_own = place[todo] != _MISSING
                place[todo] = np.where(got >= 0, got, np.where(keep_own, place[todo], got))
        mark(place == _MISSING, "missing_place")
        mark(place == _UNKNOWN, "unknown_place")
        mark(place == _EXCLUDED, "excluded_place")
        mark(place == -10, "bad_coordinates")
        mark(place == -11, "outside_areas")

        cat, c_idx, c_uniq = self._mapped(encoded["category"], self.categories, "cat")
        mark(cat == _MISSING, "missing_category")
        mark(cat == _UNKNOWN, "unknown_category")
        mark(cat == _EXCLUDED, "excluded_category")

        unknown_group = self.groups.index(UNKNOWN_GROUP)
        if "victim" in self.cols:
            group, g_idx, g_uniq = self._mapped(encoded["victim"], self.victim_groups, "group")
            group = np.where(group < 0, unknown_group, group)
            mark(group == unknown_group, "counted_unknown_group")
            self._tally(reason, "counted_unknown_group", g_idx, g_uniq)
        else:
            group = np.full(n, unknown_group, dtype=np.int64)
            mark(np.ones(n, bool), "counted_unknown_group")

        self.reasons += np.bincount(reason, minlength=len(REASONS))
        self._tally(reason, "bad_date", d_idx, d_uniq)
        if p_idx is not None:
            self._tally(reason, "unknown_place", p_idx, p_uniq)
        if p_idx is not None:
            self._tally(reason, "excluded_place", p_idx, p_uniq)
        self._tally(reason, "unknown_category", c_idx, c_uniq)
        self._tally(reason, "excluded_category", c_idx, c_uniq)

        ok = reason <= _CODE["counted_unknown_group"]
        if ok.any():
            G, C = len(self.groups), len(self.cats)
            key = ((periods[ok] * len(self.places) + place[ok]) * G + group[ok]) * C + cat[ok]
            keys, counts = np.unique(key, return_counts=True)
            for k, c in zip(keys.tolist(), counts.tolist(), strict=True):
                self.cells[k] = self.cells.get(k, 0) + c
            d_ok = days[ok]
            lo_d, hi_d = int(d_ok.min()), int(d_ok.max())
            self.day_range = [lo_d if self.day_range[0] is None else min(lo_d, self.day_range[0]),
                              hi_d if self.day_range[1] is None else max(hi_d, self.day_range[1])]

    def _locate(self, batch, rows: np.ndarray):
        """Place of each row from its coordinates: -10 unreadable, -11 outside every area."""
        sub = batch.take(pa.array(rows))
        lat = pd.to_numeric(pd.Series(sub.column(self.cols["latitude"]).to_numpy(
            zero_copy_only=False)), errors="coerce").to_numpy(float)
        lon = pd.to_numeric(pd.Series(sub.column(self.cols["longitude"]).to_numpy(
            zero_copy_only=False)), errors="coerce").to_numpy(float)
        valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        valid &= ~((lat == 0) & (lon == 0))           # 0,0: the usual placeholder
        out = np.where(valid, -11, -10)
        pts = np.column_stack([lon, lat])
        for code, path in self.paths:
            inside = valid & (out == -11)
            if inside.any():
                hit = np.zeros(len(rows), bool)
                hit[inside] = path.contains_points(pts[inside])
                out[hit] = code
        return out

    # ------------------------------------------------------------ the end
    def rows_fingerprint(self) -> str:
        import hashlib

        text = f"{int(self.h_sum):016x}:{int(self.h_xor):016x}:{self.n_rows}:{sorted(self.cols)}"
        return hashlib.sha256(text.encode()).hexdigest()

    def result(self, *, content_hash, rows_fingerprint, bad_lines, n_bytes, header,
               mapping) -> ImportResult:
        reasons = self.reasons.copy()
        reasons[_CODE["malformed_line"]] += bad_lines
        n_rows = self.n_rows + bad_lines
        tally = pd.DataFrame({"reason": list(REASONS),
                              "label": [v[0] for v in REASONS.values()],
                              "rows": reasons, "counted": [v[1] for v in REASONS.values()]})
        counts = self._dense()
        unmapped = {k: v.frame() for k, v in self.values.items() if v.counts}
        hints = self._hints(tally, unmapped, counts)
        first, last = (None, None) if self.day_range[0] is None else (
            str(np.datetime64(self.day_range[0], "D")), str(np.datetime64(self.day_range[1], "D")))
        return ImportResult(counts=counts, tally=tally, unmapped=unmapped,
                            content_hash=content_hash, rows_fingerprint=rows_fingerprint,
                            n_rows=int(n_rows), n_bytes=int(n_bytes), first_date=first,
                            last_date=last, period=self.scheme.describe(), columns=tuple(header),
                            mapping=mapping.to_dict(), hints=tuple(hints))

    def _dense(self) -> pd.DataFrame:
        P, G, C = len(self.places), len(self.groups), len(self.cats)
        columns = ["place", "period", "group", "category", "count"]
        if not self.cells:
            return pd.DataFrame({c: pd.Series(dtype=object if c != "count" else np.int64)
                                 for c in columns})
        keys = np.fromiter(self.cells.keys(), dtype=np.int64)
        vals = np.fromiter(self.cells.values(), dtype=np.int64)
        cat, rest = keys % C, keys // C
        group, rest = rest % G, rest // G
        place, period = rest % P, rest // P
        span = self.scheme.span(int(period.min()), int(period.max()))
        T = len(span)
        grid = np.zeros((P, T, G, C), dtype=np.int64)
        np.add.at(grid, (place, np.searchsorted(span, period), group, cat), vals)
        grid = grid[np.unique(place)]          # places with at least one report
        pp, tt, gg, cc = (a.ravel() for a in np.indices(grid.shape))
        pp = np.unique(place)[pp]
        labels = np.array([self.scheme.label(c) for c in span], dtype=object)
        return pd.DataFrame({"place": np.array(self.places, dtype=object)[pp],
                             "period": labels[tt],
                             "group": np.array(self.groups, dtype=object)[gg],
                             "category": np.array(self.cats, dtype=object)[cc],
                             "count": grid.ravel()})

    def _hints(self, tally, unmapped, counts) -> list[str]:
        rows = dict(zip(tally["reason"], tally["rows"], strict=True))
        hints = []
        if "bad_date" in unmapped and not self.day_first:
            sample = unmapped["bad_date"]["value"].head(50).tolist()
            if sample and _dates.looks_day_first(sample):
                hints.append("Unparseable dates read as day/month/year: if the file writes "
                             "25/03/2017 for 25 March, set day_first")
        for key, what in (("unknown_place", "districts"), ("unknown_category", "offence types")):
            if rows[key]:
                top = unmapped[key].head(5)
                shown = ", ".join(f"{v!r} ({r:,})" for v, r in zip(top["value"], top["rows"],
                                                                   strict=True))
                hints.append(f"{what.capitalize()} the mapping does not know ({rows[key]:,} "
                             f"rows); most frequent: {shown}")
        if rows["malformed_line"]:
            hints.append(f"Lines with the wrong number of fields: {rows['malformed_line']:,} "
                         "(an unquoted comma, or a line cut short)")
        if not len(counts):
            hints.append("No row was counted: check the column and value mapping")
        else:
            silent = sorted(set(self.places) - set(counts["place"]))
            if silent:
                shown = ", ".join(silent[:10]) + (", ..." if len(silent) > 10 else "")
                hints.append(f"Mapped places with no report counted ({len(silent)}): {shown}; "
                             "they are left out of the counts")
        return hints

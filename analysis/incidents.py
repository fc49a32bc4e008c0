"""Synthetic incident-level CSV files, shaped like a city's open-data export.

:func:`write_incidents` expands simulated counts (:func:`analysis.simulate_records`)
into one row per incident, with the columns and the untidy spellings real
exports have (an incident number, a date with a time of day, offence names in
capitals, district names, victim ethnicity as free text, a block address), and
with ``messy=True`` the faults the importer must account for: mixed date
formats, unparseable dates, an unmapped district, an unknown offence type and
malformed lines, each in known numbers.  :func:`mapping_for` gives the mapping
that reads these files (:data:`DEMO_MAPPING` for the demo's eight places).
Tests, the import benchmark and the demo's upload use it; the rows are written
in blocks, so millions of incidents need little memory.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["DEMO_MAPPING", "OFFENCE_SPELLINGS", "mapping_for", "write_incidents"]

OFFENCE_SPELLINGS = {
    "domestic_violence": ("DOMESTIC VIOLENCE", "Domestic Violence - Simple", "FAMILY OFFENSE"),
    "sexual_assault": ("SEXUAL ASSAULT", "Rape", "FONDLING"),
    "assault": ("AGG ASSAULT", "SIMPLE ASSAULT", "Assault - Aggravated"),
    "homicide": ("HOMICIDE", "MURDER & NONNEGLIGENT MANSLAUGHTER"),
    "motor_vehicle_theft": ("MOTOR VEHICLE THEFT", "AUTO THEFT", "Stolen Vehicle"),
}
VICTIM_SPELLINGS = {
    "hispanic": ("Hispanic or Latino", "HISPANIC", "Hispanic"),
    "other": ("White", "Black or African American", "Asian", "WHITE", "Not Hispanic or Latino"),
    "unknown": ("", "Unknown", "UNK"),
}
EXCLUDED = ("TRAFFIC STOP", "NOISE COMPLAINT")
UNKNOWN_OFFENCE = "LOITERING"
UNMAPPED_DISTRICT = "OUTSIDE CITY LIMITS"
_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%Y-%m-%dT%H:%M:%S.000", "%m/%d/%Y %H:%M", "%Y-%m-%d",
            "%d-%b-%Y")
_BAD_DATES = ("N/A", "2017-02-30", "00/00/0000", "TBD")


def district_name(place: str) -> str:
    """The export's spelling of a place: ``J03`` -> ``District 3``, ``BAY`` -> ``BAY District``."""
    text = str(place)
    if text[:1] == "J" and text[1:].isdigit():
        return f"District {int(text[1:])}"
    return f"{text} District"


def mapping_for(places) -> dict:
    """The mapping (JSON-like) that reads :func:`write_incidents` files of these places."""
    return {
        "date": "Date Occurred", "category": "Offense", "district": "District",
        "victim": "Victim Ethnicity",
        "districts": {district_name(p): p for p in places},
        "categories": {**{s: c for c, spell in OFFENCE_SPELLINGS.items() for s in spell},
                       **{s: None for s in EXCLUDED}},
        "victim_groups": {s: g for g, spell in VICTIM_SPELLINGS.items() if g != "unknown"
                          for s in spell},
    }


DEMO_MAPPING: Mapping = mapping_for([f"J{k:02d}" for k in range(1, 9)])


def write_incidents(counts: pd.DataFrame, out, *, seed: int = 0, messy: bool = False,
                    excluded_share: float = 0.02, block_rows: int = 250_000) -> dict:
    """Write one CSV row per incident behind ``counts`` to the binary file ``out``.

    Parameters
    ----------
    counts : DataFrame
        ``place``, ``period`` (``YYYY-MM``), ``group``, ``category``, ``count``.
    out : binary file object
    seed : int
    messy : bool
        Mixed date formats (all readable month-first) and, in known numbers,
        unparseable dates, an unmapped district, an unknown
        offence type, and malformed lines (a field too many, a line cut short).
    excluded_share : float
        Extra rows of offence types the mapping excludes (traffic stops...).
    block_rows : int
        Rows generated and written at a time.

    Returns
    -------
    dict
        What an import with ``mapping_for(places)`` must find: ``rows`` (lines
        written), ``counted``, and rows by reason (``bad_date``,
        ``unknown_place``, ``unknown_category``, ``excluded_category``,
        ``malformed_line``, ``counted_unknown_group``).
    """
    rng = np.random.default_rng(seed)
    c = counts[counts["count"] > 0]
    reps = c["count"].to_numpy(np.int64)
    expect = {"rows": 0, "counted": int(reps.sum()), "bad_date": 0, "unknown_place": 0,
              "unknown_category": 0, "excluded_category": 0, "malformed_line": 0,
              "counted_unknown_group": int(reps[(c["group"] == "unknown").to_numpy()].sum())}
    out.write(b"Incident ID,Date Occurred,Offense,District,Victim Ethnicity,Block Address\n")
    cell = np.repeat(np.arange(len(c)), reps)
    rng.shuffle(cell)
    month_start = pd.PeriodIndex(c["period"].to_numpy(), freq="M").start_time.to_numpy()
    month_days = pd.PeriodIndex(c["period"].to_numpy(), freq="M").days_in_month.to_numpy()
    place = c["place"].to_numpy(object)
    group = c["group"].to_numpy(object)
    category = c["category"].to_numpy(object)
    next_id = 100_000
    for lo in range(0, len(cell), block_rows):
        idx = cell[lo:lo + block_rows]
        n = len(idx)
        when = (month_start[idx]
                + (rng.integers(0, month_days[idx]) * 86_400
                   + rng.integers(0, 86_400, n)).astype("timedelta64[s]"))
        offence = np.array([OFFENCE_SPELLINGS[k][0] for k in category[idx]], dtype=object)
        variant = rng.integers(0, 3, n)
        for k, spell in OFFENCE_SPELLINGS.items():
            hit = category[idx] == k
            offence[hit] = np.asarray(spell, dtype=object)[variant[hit] % len(spell)]
        victim = np.empty(n, dtype=object)
        for g, spell in VICTIM_SPELLINGS.items():
            hit = group[idx] == g
            victim[hit] = np.asarray(spell, dtype=object)[variant[hit] % len(spell)]
        frame = pd.DataFrame({
            "id": np.arange(next_id, next_id + n),
            "date": _dates_text(when, rng, messy),
            "offence": offence,
            "district": [district_name(p) for p in place[idx]],
            "victim": victim,
            "address": [f"{b}00 BLOCK OF {s} ST" for b, s in zip(
                rng.integers(1, 99, n), rng.choice(["ELM", "MAIN", "OAK", "5TH"], n),
                strict=True)],
        })
        next_id += n
        extra = _extras(frame, rng, messy, excluded_share, expect)
        text = pd.concat([frame, extra], ignore_index=True).to_csv(index=False, header=False,
                                                                    lineterminator="\n")
        out.write(text.encode("utf-8"))
        expect["rows"] += n + len(extra)
        if messy:
            out.write(b'999,2017-01-01,AGG ASSAULT,District 1,White,"1 BLOCK",surplus\n'
                      b"998,2017-01-02,AGG ASSAULT\n")
            expect["rows"] += 2
            expect["malformed_line"] += 2
    return expect


def _dates_text(when: np.ndarray, rng, messy: bool) -> np.ndarray:
    ts = pd.DatetimeIndex(when)
    if not messy:
        return np.asarray(ts.strftime("%m/%d/%Y %I:%M:%S %p"), dtype=object)
    out = np.empty(len(ts), dtype=object)
    which = rng.integers(0, len(_FORMATS), len(ts))
    for i, fmt in enumerate(_FORMATS):
        hit = which == i
        out[hit] = np.asarray(ts[hit].strftime(fmt), dtype=object)
    return out


def _extras(frame: pd.DataFrame, rng, messy: bool, excluded_share: float, expect) -> pd.DataFrame:
    """Rows that must not be counted: excluded types always; the faults when messy."""
    n_ex = int(round(excluded_share * len(frame)))
    parts = []
    if n_ex:
        ex = frame.sample(n_ex, random_state=int(rng.integers(1 << 31)), replace=True).copy()
        ex["offence"] = rng.choice(EXCLUDED, n_ex)
        parts.append(ex)
        expect["excluded_category"] += n_ex
    if messy:
        k = max(1, len(frame) // 500)
        for key, col, values in (("bad_date", "date", _BAD_DATES),
                                 ("unknown_place", "district", (UNMAPPED_DISTRICT,)),
                                 ("unknown_category", "offence", (UNKNOWN_OFFENCE,))):
            bad = frame.sample(k, random_state=int(rng.integers(1 << 31)), replace=True).copy()
            bad[col] = rng.choice(values, k)
            parts.append(bad)
            expect[key] += k
    return pd.concat(parts, ignore_index=True) if parts else frame.iloc[0:0]

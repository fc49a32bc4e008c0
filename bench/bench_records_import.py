"""Benchmark: importing 5,000,000 police incident rows, streamed.

Run from the repository root::

    python bench/bench_records_import.py              # 5,000,000 rows (about 2 minutes)
    python bench/bench_records_import.py --rows 500000

Writes a messy city-style export (:func:`analysis.incidents.write_incidents`:
mixed date formats, unparseable dates, an unmapped district, an unknown and an
excluded offence type, malformed lines) to a temporary file, then times each
of these in a fresh process and reads its peak resident memory (``VmHWM``):

1. ``import_records`` (the importer: parse, map, tally, fingerprint, aggregate);
2. reference, the floor: pyarrow's streaming CSV reader reading the same four
   columns and doing nothing with them;
3. reference, the naive way: ``pandas.read_csv`` of the whole file, then a
   ``groupby`` count (what an importer that loads the file would do).

Figures, not a timed test: the target is a peak well under 1 GB; the ratios
to the references are measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import write_result  # noqa: E402 - after sys.path set-up

_PRELUDE = textwrap.dedent(f"""
    import json, sys, time
    sys.path.insert(0, {str(ROOT)!r})
    def hwm():
        for line in open('/proc/self/status'):
            if line.startswith('VmHWM'):
                return int(line.split()[1]) * 1024
""")

JOBS = {
    "import_records": """
        from analysis.incidents import DEMO_MAPPING
        from analysis.records import import_records
        before = hwm(); t0 = time.perf_counter()
        r = import_records(PATH, DEMO_MAPPING)
        out = {"rows": r.n_rows, "counted": r.n_counted, "cells": len(r.counts)}
    """,
    "pyarrow_stream_only": """
        import pyarrow as pa, pyarrow.csv as pacsv
        cols = ["Date Occurred", "Offense", "District", "Victim Ethnicity"]
        before = hwm(); t0 = time.perf_counter()
        s = pacsv.open_csv(PATH, read_options=pacsv.ReadOptions(block_size=2 << 20),
                           parse_options=pacsv.ParseOptions(newlines_in_values=True,
                                                            invalid_row_handler=lambda r: "skip"),
                           convert_options=pacsv.ConvertOptions(
                               column_types={c: pa.string() for c in cols}, include_columns=cols))
        out = {"rows": sum(b.num_rows for b in s)}
    """,
    "pandas_load_then_group": """
        import pandas as pd
        before = hwm(); t0 = time.perf_counter()
        df = pd.read_csv(PATH, dtype=str, on_bad_lines="skip",
                         usecols=["Date Occurred", "Offense", "District", "Victim Ethnicity"])
        df["month"] = pd.to_datetime(df["Date Occurred"], errors="coerce", format="mixed").dt.to_period("M")
        g = df.groupby(["District", "month", "Victim Ethnicity", "Offense"]).size()
        out = {"rows": len(df), "cells": len(g)}
    """,
}


def run_job(name: str, path: Path) -> dict:
    code = _PRELUDE + f"PATH = {str(path)!r}\n" + textwrap.dedent(JOBS[name]) + textwrap.dedent("""
        seconds = time.perf_counter() - t0
        out.update(seconds=seconds, peak_mb=hwm() / 1e6, growth_mb=(hwm() - before) / 1e6)
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=3600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_file(rows: int, folder: Path) -> tuple[Path, dict, float]:
    from analysis.incidents import write_incidents
    from analysis.simulate import simulate_records

    counts = simulate_records(seed=5)
    scale = rows / counts["count"].sum()
    counts = counts.assign(count=(counts["count"] * scale).round().astype("int64"))
    path = folder / "incidents.csv"
    t0 = time.perf_counter()
    with open(path, "wb") as fh:
        expect = write_incidents(counts, fh, messy=True, seed=5)
    return path, expect, time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--skip-pandas", action="store_true",
                        help="leave out the (slow, memory-hungry) pandas reference")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path, expect, gen_s = make_file(args.rows, Path(tmp))
        size_mb = path.stat().st_size / 1e6
        print(f"file: {expect['rows']:,} rows, {size_mb:,.0f} MB, written in {gen_s:.1f} s")
        results = {}
        for name in JOBS:
            if name == "pandas_load_then_group" and args.skip_pandas:
                continue
            results[name] = run_job(name, path)
            r = results[name]
            print(f"{name:24s} {r['seconds']:7.1f} s  {r['rows'] / r['seconds'] / 1e6:5.2f} M rows/s "
                  f" peak {r['peak_mb']:6.0f} MB (growth {r['growth_mb']:5.0f} MB)")
    imp = results["import_records"]
    assert imp["rows"] == expect["rows"] and imp["counted"] == expect["counted"], (imp, expect)
    ratios = {f"time_vs_{k}": imp["seconds"] / v["seconds"] for k, v in results.items()
              if k != "import_records"}
    ratios.update({f"peak_vs_{k}": imp["peak_mb"] / v["peak_mb"] for k, v in results.items()
                   if k != "import_records"})
    for k, v in ratios.items():
        print(f"{k:40s} {v:.2f}")
    print(f"target: import peak well under 1 GB -> {imp['peak_mb']:.0f} MB "
          f"({'met' if imp['peak_mb'] < 1000 else 'NOT met'})")
    write_result("bench_records_import", {"rows": expect["rows"], "file_mb": size_mb,
                                          "generate_s": gen_s, "results": results,
                                          "ratios": ratios, "cpus": os.cpu_count()})
    return 0


if __name__ == "__main__":
    sys.exit(main())

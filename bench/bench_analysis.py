"""Benchmark of the analysis package on 1,000,000 synthetic responses.

Run from the repository root::

    python bench/bench_analysis.py            # full benchmark (a few minutes)
    python bench/bench_analysis.py --quick    # 100,000 rows, for a smoke run

Prints, on 200 jurisdictions x 20 waves (about 250 responses per cell):

1. ``did`` (two-way fixed effects, jurisdiction-clustered CRV1) against
   pyfixest ``feols("trust ~ D | jurisdiction + wave", vcov={"CRV1": ...})``
   in the same run (pyfixest warmed up first so numba compilation is not
   counted), best of three, and the ratio;
2. peak resident memory of a fresh process that builds the data and runs
   ``did`` (``VmHWM``), and the tracemalloc peak of the fit alone;
3. the full report pipeline: scale scores, raking weights, DiD, DDD, event
   study (Callaway-Sant'Anna with the TWFE comparison) and a wild cluster
   bootstrap with 999 draws, against ten times the pyfixest time.

Figures, not a timed test: targets are ratio <= 1 and peak < 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from analysis import ddd, did, event_study, rake, scales, simulate  # noqa: E402 - after sys.path set-up
from analysis.simulate import likert_from_latent  # noqa: E402

MARGINS = {"age_band": {1: .12, 2: .20, 3: .25, 4: .23, 5: .20},
           "gender": {1: .50, 2: .49, 3: .01}, "born_abroad": {1: .20, 2: .15, 3: .65}}


def make_data(quick: bool):
    return simulate(n_jurisdictions=200, n_waves=20, responses_per_cell=25 if quick else 250,
                    seed=1)


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM).

    Not ``ru_maxrss``: Linux carries the parent's high-water mark across
    fork and exec into it, so a child started by a big parent reports the
    parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_memory(quick: bool) -> None:
    """Run in a fresh process: peak RSS of data + did, tracemalloc peak of the fit."""
    df = make_data(quick)
    base = peak_rss_mb()
    tracemalloc.start()
    did(df, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster")
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"rss_peak_mb": peak_rss_mb(), "rss_before_fit_mb": base,
                      "fit_traced_peak_mb": traced / 2**20}))


def pipeline(df) -> dict:
    rng = np.random.default_rng(0)
    items = {f"t{i}": likert_from_latent(df["trust"].to_numpy(), 1, 5, rng, reverse=(i == 2))
             for i in (1, 2, 3)}
    data = df.assign(**items)
    steps = {}
    t0 = time.perf_counter()
    sc = scales(data, {"trust_scale": {"items": ["t1", "t2", "t3"], "reverse": ["t2"]}})
    data = data.assign(trust_scale=sc.scores["trust_scale"])
    steps["scales"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    w = rake(data, MARGINS, by="jurisdiction")
    data = data.assign(weight=w.weights)
    steps["weights"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    did(data, "trust_scale", "treated", "post", unit="jurisdiction", time="wave",
        weights="weight", se="cluster")
    steps["did"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ddd(data, "trust_scale", "treated", "post", "immigrant", unit="jurisdiction",
        time="wave", weights="weight", se="cluster")
    steps["ddd"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    event_study(data, "trust_scale", "jurisdiction", "wave", "first_treated", weights="weight")
    steps["event_study"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    did(data, "trust_scale", "treated", "post", unit="jurisdiction", time="wave",
        weights="weight", se="wild", n_boot=999)
    steps["wild_bootstrap_999"] = time.perf_counter() - t0
    steps["total"] = sum(steps.values())
    return steps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child-memory", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_memory:
        child_memory(args.quick)
        return
    import pyfixest as pf

    t0 = time.perf_counter()
    df = make_data(args.quick)
    print(f"data: {len(df):,} rows, {df['jurisdiction'].nunique()} jurisdictions x "
          f"{df['wave'].nunique()} waves (simulated in {time.perf_counter() - t0:.2f} s)")
    df["D"] = df["treated"] * df["post"]
    small = df.sample(5000, random_state=0)
    pf.feols("trust ~ D | jurisdiction + wave", small, vcov={"CRV1": "jurisdiction"})  # JIT
    did(small, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster")

    ours = best_of(lambda: did(df, "trust", "treated", "post", unit="jurisdiction",
                               time="wave", se="cluster"))
    ref = best_of(lambda: pf.feols("trust ~ D | jurisdiction + wave", df,
                                   vcov={"CRV1": "jurisdiction"}))
    r = did(df, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster")
    m = pf.feols("trust ~ D | jurisdiction + wave", df, vcov={"CRV1": "jurisdiction"})
    print(f"did TWFE + CRV1:   analysis {ours:.3f} s   pyfixest feols {ref:.3f} s   "
          f"ratio {ours / ref:.2f} (target <= 1)")
    print(f"  same answer:     estimate {r.estimate:.6f} vs {m.coef()['D']:.6f}, "
          f"se {r.se:.6f} vs {m.se()['D']:.6f}")

    cmd = [sys.executable, os.path.abspath(__file__), "--child-memory"]
    cmd += ["--quick"] if args.quick else []
    mem = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True)
                     .stdout.strip().splitlines()[-1])
    print(f"memory (fresh process): peak RSS {mem['rss_peak_mb']:.0f} MB (imports and data "
          f"{mem['rss_before_fit_mb']:.0f} MB; target < 1536 MB); did fit traced peak "
          f"{mem['fit_traced_peak_mb']:.0f} MB")

    steps = pipeline(df)
    print("full report pipeline: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()
                                               if k != "total"))
    print(f"  total {steps['total']:.2f} s vs 10 x pyfixest feols {10 * ref:.2f} s "
          f"({'within' if steps['total'] <= 10 * ref else 'over'} the 10x reference)")
    print(f"peak RSS of this whole benchmark process (pyfixest included): "
          f"{peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

"""Benchmark: event study with bootstrap and the wild cluster bootstrap at 1,000,000 rows.

Run from the repository root (once; the machine is shared)::

    python bench/bench_robust.py            # 1,000,000 responses, 200 jurisdictions x 20 waves
    python bench/bench_robust.py --quick    # 100,000 responses

Prints, in one run and against pyfixest ``feols`` (TWFE, CRV1 by jurisdiction;
warmed up, best of three) as the reference:

1. the Callaway-Sant'Anna event study; with the jurisdiction-level multiplier
   bootstrap when ``event_study`` offers one (``n_boot``), said otherwise;
2. the restricted wild cluster bootstrap of ``did`` with 9,999 draws (fast and
   wild: cluster-level sufficient statistics), on the full data and on a tenth
   of it, so the growth of its cost with the number of rows is printed too.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from analysis import did, event_study, simulate  # noqa: E402 - after sys.path set-up
from bench.bench_analysis import best_of  # noqa: E402 - the same timing rule as the other benchmarks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    import pyfixest as pf

    df = simulate(n_jurisdictions=200, n_waves=20, responses_per_cell=25 if args.quick else 250,
                  seed=1)
    df["D"] = df["treated"] * df["post"]
    print(f"data: {len(df):,} rows, {df['jurisdiction'].nunique()} jurisdictions x "
          f"{df['wave'].nunique()} waves")
    small = df.sample(5000, random_state=0)
    pf.feols("trust ~ D | jurisdiction + wave", small, vcov={"CRV1": "jurisdiction"})  # JIT
    ref = best_of(lambda: pf.feols("trust ~ D | jurisdiction + wave", df,
                                   vcov={"CRV1": "jurisdiction"}))
    print(f"pyfixest feols TWFE + CRV1 (reference): {ref:.3f} s")

    kw: dict = {}
    if "n_boot" in inspect.signature(event_study).parameters:
        kw = {"n_boot": 999, "inference": "bootstrap"}
    es = best_of(lambda: event_study(df, "trust", "jurisdiction", "wave", "first_treated", **kw),
                 repeat=1)
    what = ("with a 999-draw multiplier bootstrap" if kw else
            "analytic cluster errors (this branch's event_study has no bootstrap option)")
    print(f"event study (Callaway-Sant'Anna + TWFE comparison, {what}): {es:.3f} s   "
          f"ratio to feols {es / ref:.2f}")

    def wild(data):
        return did(data, "trust", "treated", "post", unit="jurisdiction", time="wave",
                   se="wild", n_boot=9999, seed=1)

    def crv1(data):
        return did(data, "trust", "treated", "post", unit="jurisdiction", time="wave",
                   se="cluster")

    tenth = df.sample(frac=0.1, random_state=1)
    w_full, w_tenth = best_of(lambda: wild(df)), best_of(lambda: wild(tenth))
    c_full, c_tenth = best_of(lambda: crv1(df)), best_of(lambda: crv1(tenth))
    r = wild(df)
    print(f"did + wild cluster bootstrap, 9,999 draws: {w_full:.3f} s on {len(df):,} rows, "
          f"{w_tenth:.3f} s on {len(tenth):,} rows   ratio to feols {w_full / ref:.2f}")
    b_full, b_tenth = w_full - c_full, w_tenth - c_tenth
    print(f"  the bootstrap's own cost (wild minus the CRV1 fit of the same did): "
          f"{b_full:.3f} s on {len(df):,} rows, {b_tenth:.3f} s on {len(tenth):,} rows "
          f"(x{b_full / max(b_tenth, 1e-9):.2f} for 10x the rows)")
    print(f"  estimate {r.estimate:.6f}, interval [{r.ci[0]:.6f}, {r.ci[1]:.6f}]")


if __name__ == "__main__":
    main()

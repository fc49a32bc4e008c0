"""Command line: ``python -m analysis <command> --data F.csv ...`` (a stable contract).

Bad input (unknown column, constant treatment, no comparison group, too few
clusters, non-numeric outcome, unreadable file, bad option) prints one line
``error: ...`` to stderr and exits with code 2, never a traceback.

Past 300 lines on purpose: the flags of every survey command are the stable
contract, and reading them in one parser is how a reviewer checks that none
was renamed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import cli_robust
from .errors import AnalysisError

CONTRACT_KEYS = ("estimate", "se", "ci_low", "ci_high", "p_value", "n_obs")
# added by issue 12 (none renamed): which inference ran, with what and why
INFERENCE_KEYS = ("inference", "inference_detail")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        sys.stderr.write(f"error: {message.splitlines()[0]}\n")
        raise SystemExit(2)


def _common(p: argparse.ArgumentParser, fmt: bool = True) -> None:
    p.add_argument("--data", required=True, help="CSV file, one row per response (or cell)")
    p.add_argument("--exclude-flagged", action="store_true",
                   help="leave out responses flagged for straight-lining or item non-response")
    if fmt:
        p.add_argument("--format", choices=("text", "json"), default="text")


def _effect_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--outcome", required=True)
    p.add_argument("--treated", required=True, help="0/1: unit ever treated")
    p.add_argument("--post", required=True, help="0/1: after the unit's event")
    p.add_argument("--controls", default=None, help="comma-separated control columns")
    p.add_argument("--cluster", default=None)
    p.add_argument("--se", choices=("auto", "classical", "hc1", "cluster", "wild"),
                   default="auto")
    p.add_argument("--weights", default=None)
    p.add_argument("--unit", default=None, help="unit column for fixed effects (TWFE)")
    p.add_argument("--time", default=None, help="time column for fixed effects (TWFE)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--n-boot", type=int, default=999)
    p.add_argument("--seed", type=int, default=0)
    _inference_opt(p)


def _inference_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--inference", choices=("auto", "cluster", "wild", "ri", "bootstrap"),
                   default="auto",
                   help="auto: randomization inference when fewer than 5 jurisdictions are "
                        "treated (or untreated), else the bootstrap/cluster default")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m analysis",
                     description="Civic Trust Survey analysis on a CSV export.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("did", help="difference-in-differences (2x2 or TWFE)")
    _common(p)
    _effect_opts(p)
    p = sub.add_parser("ddd", help="triple differences (subgroup x treated x post)")
    _common(p)
    _effect_opts(p)
    p.add_argument("--subgroup", required=True, help="0/1 subgroup, e.g. immigrant")
    p = sub.add_parser("event-study", help="leads and lags; staggered adoption")
    _common(p)
    for a in ("--outcome", "--unit", "--time", "--first-treated"):
        p.add_argument(a, required=True)
    p.add_argument("--estimator", choices=("cs", "sa", "twfe", "dr"), default="cs",
                   help="dr: Callaway-Sant'Anna with --controls, doubly robust (moderndid)")
    p.add_argument("--control-group", choices=("never", "notyet"), default="never")
    p.add_argument("--base-period", choices=("varying", "universal"), default="varying")
    p.add_argument("--controls", default=None)
    p.add_argument("--cluster", default=None)
    p.add_argument("--weights", default=None)
    p.add_argument("--alpha", type=float, default=0.05)
    _inference_opt(p)
    p.add_argument("--n-boot", type=int, default=999, help="bootstrap draws or permutations")
    p.add_argument("--seed", type=int, default=0)
    cli_robust.add_event_study_options(p)
    p = sub.add_parser("prepost", help="before/after around one event in one jurisdiction")
    _common(p)
    p.add_argument("--outcome", required=True)
    p.add_argument("--time", required=True)
    p.add_argument("--event", type=float, required=True, help="first time value after the event")
    p.add_argument("--unit", default=None)
    p.add_argument("--unit-value", default=None)
    p.add_argument("--window", default=None, help="BEFORE,AFTER waves, e.g. 3,3")
    p.add_argument("--trend", action="store_true")
    p.add_argument("--weights", default=None)
    p.add_argument("--se", choices=("auto", "hc1", "classical", "cluster"), default="auto",
                   help="auto: wave-level inference (respondents in a wave share its shocks; "
                        "fixed-b HAC so shocks may persist across waves)")
    p.add_argument("--cluster", default=None, help="cluster column for --se cluster")
    p = sub.add_parser("ordinal", help="ordered logit/probit DiD for one Likert item")
    _common(p)
    for a in ("--outcome", "--treated", "--post"):
        p.add_argument(a, required=True)
    p.add_argument("--unit", default=None)
    p.add_argument("--time", default=None)
    p.add_argument("--cluster", default=None)
    p.add_argument("--distr", choices=("logit", "probit"), default="logit")
    p = sub.add_parser("alpha", help="scale score reliability (Cronbach's alpha, omega)")
    _common(p)
    p.add_argument("--items", required=True, help="comma-separated item columns")
    p.add_argument("--reverse", default=None, help="comma-separated reverse-coded items")
    p.add_argument("--min-items", type=int, default=None)
    p.add_argument("--low", type=float, default=1)
    p.add_argument("--high", type=float, default=5)
    p = sub.add_parser("rake", help="raking weights to population margins")
    _common(p)
    p.add_argument("--margins", required=True,
                   help="JSON {variable: {level: share}} or CSV with [by...,]variable,level,share")
    p.add_argument("--by", default=None)
    p.add_argument("--trim", type=float, default=5.0, help="cap at TRIM x mean; 0 = none")
    p.add_argument("--out", default=None, help="write the data with a weight column (CSV)")
    p.add_argument("--weight-column", default="weight")
    p = sub.add_parser("power", help="minimum detectable effect of a planned design")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--jurisdictions", type=int, required=True)
    p.add_argument("--waves", type=int, required=True)
    p.add_argument("--responses", type=float, required=True, help="responses per cell")
    p.add_argument("--icc", type=float, default=0.02)
    p.add_argument("--sd", type=float, default=0.92)
    p.add_argument("--share-treated", type=float, default=0.5)
    p.add_argument("--event-wave", type=int, default=None)
    p.add_argument("--design", choices=("did", "ddd"), default="did")
    p.add_argument("--subgroup-share", type=float, default=0.35)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--power", type=float, default=0.8)
    p.add_argument("--deff", type=float, default=1.0)
    p.add_argument("--effect", type=float, default=None)
    p = sub.add_parser("suppress", help="small-cell rule on a table of counts")
    _common(p)
    p.add_argument("--count", default="n")
    p.add_argument("--min-count", type=int, default=10)
    p.add_argument("--groups", default=None,
                   help="published totals: 'a' or 'a;b' (row and column totals)")
    p = sub.add_parser("report", help="full study report to HTML, PDF, LaTeX or JSON")
    p.add_argument("--data", required=True)
    for a in ("--outcome", "--treated", "--post", "--unit", "--time"):
        p.add_argument(a, required=True)
    p.add_argument("--first-treated", default=None)
    p.add_argument("--subgroup", default=None)
    p.add_argument("--weights", default=None)
    p.add_argument("--cluster", default=None)
    p.add_argument("--controls", default=None)
    p.add_argument("--expected-sign", type=int, choices=(-1, 1), default=None)
    p.add_argument("--sesoi", type=float, default=None,
                   help="pre-registered smallest effect size of interest (equivalence test, power)")
    p.add_argument("--headline", choices=("did", "ddd", "event_study"), default=None,
                   help="estimate the verdict rests on (default: CS with staggered timing)")
    p.add_argument("--margins", default=None, help="rake to these margins (JSON or CSV) first")
    p.add_argument("--rake-by", default=None, help="rake within this column (e.g. jurisdiction)")
    p.add_argument("--n-boot", type=int, default=999)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="FILE.html, .pdf, .tex or .json")
    from . import cli_records

    cli_records.add_parsers(sub)
    cli_robust.add_parsers(sub)
    return parser


def _emit(result, fmt: str, contract: tuple | None = None) -> None:
    from . import report

    if fmt == "json":
        d = result.to_dict()
        if contract is not None:
            d = {k: d[k] for k in contract}
            if "att" in d:
                d["att"] = {k: d["att"][k] for k in ("estimate", "se", "ci_low", "ci_high")}
        print(json.dumps(report._clean(d), allow_nan=False))
    else:
        print(report.to_text(result), end="")


def run(args) -> int:
    from . import (
        ddd,
        did,
        load,
        ordinal,
        power,
        prepost,
        rake,
        report,
        scales,
        study_report,
        suppress,
    )

    cmd = args.command
    res: Any
    from . import cli_records

    if cmd in cli_records.COMMANDS:
        return cli_records.run(args)
    if cmd in cli_robust.COMMANDS:
        return cli_robust.run(args)
    if cmd == "power":
        res = power(args.jurisdictions, args.waves, args.responses, icc=args.icc, sd=args.sd,
                    share_treated=args.share_treated, event_wave=args.event_wave,
                    design=args.design, subgroup_share=args.subgroup_share, alpha=args.alpha,
                    power=args.power, deff=args.deff, effect=args.effect)
        _emit(res, args.format)
        return 0
    df = load(args.data, exclude_flagged=getattr(args, "exclude_flagged", False))
    if cmd in ("did", "ddd"):
        kw = {"unit": args.unit, "time": args.time, "controls": args.controls,
              "weights": args.weights, "cluster": args.cluster, "se": args.se,
              "alpha": args.alpha, "n_boot": args.n_boot, "seed": args.seed,
              "inference": args.inference}
        if cmd == "did":
            res = did(df, args.outcome, args.treated, args.post, **kw)
        else:
            res = ddd(df, args.outcome, args.treated, args.post, args.subgroup, **kw)
        _emit(res, args.format, CONTRACT_KEYS + INFERENCE_KEYS)
    elif cmd == "event-study":
        res = cli_robust.event_study_result(df, args)
        cli_robust.emit(res, args.format, ("att", "periods", "pretrend_p", "inference",
                                           "inference_detail"))
    elif cmd == "prepost":
        window: Any = None
        if args.window:
            try:
                window = tuple(int(x) for x in args.window.split(","))
            except ValueError:
                raise AnalysisError("--window must be BEFORE,AFTER, e.g. 3,3") from None
        value = args.unit_value
        if args.unit and value is not None and args.unit in df and df[args.unit].dtype.kind in "iuf":
            value = type(df[args.unit].iloc[0].item())(float(value))
        res = prepost(df, args.outcome, args.time, args.event, unit=args.unit, unit_value=value,
                      window=window, trend=args.trend, weights=args.weights, se=args.se,
                      cluster=args.cluster)
        _emit(res, args.format, CONTRACT_KEYS + INFERENCE_KEYS)
    elif cmd == "ordinal":
        res = ordinal(df, args.outcome, args.treated, args.post, unit=args.unit, time=args.time,
                      cluster=args.cluster, distr=args.distr)
        _emit(res, args.format, CONTRACT_KEYS + INFERENCE_KEYS)
    elif cmd == "alpha":
        spec = {"items": args.items, "reverse": args.reverse, "low": args.low, "high": args.high}
        if args.min_items is not None:
            spec["min_items"] = args.min_items
        res = scales(df, {"scale": spec})
        _emit(res, args.format)
    elif cmd == "rake":
        margins = _read_margins(args.margins)
        res = rake(df, margins, by=args.by, trim=args.trim or None)
        if args.out:
            df.assign(**{args.weight_column: res.weights}).to_csv(args.out, index=False)
        _emit(res, args.format)
    elif cmd == "suppress":
        groups = None
        if args.groups:
            groups = [[c.strip() for c in part.split(",") if c.strip()]
                      for part in args.groups.split(";")]
        out = suppress(df, args.count, args.min_count, groups)
        if args.format == "json":
            print(out.to_json(orient="records"))
        else:
            print(out.to_string(index=False))
    elif cmd == "report":
        rep = study_report(df, args.outcome, treated=args.treated, post=args.post,
                           unit=args.unit, time=args.time, first_treated=args.first_treated,
                           subgroup=args.subgroup, weights=args.weights, cluster=args.cluster,
                           controls=args.controls, expected_sign=args.expected_sign,
                           sesoi=args.sesoi, headline=args.headline, rake_by=args.rake_by,
                           margins=_read_margins(args.margins) if args.margins else None,
                           n_boot=args.n_boot, seed=args.seed)
        report.render(rep, args.out)
        print(f"{rep.verdict}: wrote {args.out}")
    return 0


def _read_margins(path: str):
    import pandas as pd

    try:
        if path.lower().endswith(".json"):
            with open(path, encoding="utf-8") as fh:
                raw = json.load(fh)
            return {var: {_level(k): float(v) for k, v in levels.items()}
                    for var, levels in raw.items()}
        return pd.read_csv(path)
    except FileNotFoundError:
        raise AnalysisError(f"margins file not found: {path}") from None
    except (ValueError, AttributeError) as exc:
        raise AnalysisError(f"cannot read margins {path}: {str(exc).splitlines()[0]}") from None


def _level(k: str):
    try:
        f = float(k)
        return int(f) if f == int(f) else f
    except ValueError:
        return k


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run(args)
    except AnalysisError as exc:
        sys.stderr.write(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}\n")
        return 2
    except (OSError, KeyError) as exc:
        sys.stderr.write(f"error: {type(exc).__name__}: {str(exc).splitlines()[0]}\n")
        return 2
    except Exception as exc:  # noqa: BLE001 - the contract: never a traceback
        sys.stderr.write(f"error: internal error ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}); please report it\n")
        return 1

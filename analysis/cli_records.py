"""Command line for police records and actual reporting (part of ``python -m analysis``).

``records-import``      stream an incident CSV into counts (with a JSON mapping)
``records-did``         Poisson DiD on counts          ``records-ddd``  the triple difference
``records-event-study`` Poisson event study             ``records-simulate``  a synthetic export
``victim-reporting``    reporting rate among victims (survey), with its power statement
``stated-vs-actual``    the survey effect beside the records effect, with the agreement sentence

Bad input ends in one line ``error: ...`` and exit code 2 (through :func:`analysis.cli.main`).  JSON keys
are a stable contract: the effect commands print ``estimate, se, ci_low, ci_high, p_value, n_obs`` plus
``percent_change`` (``estimate, ci_low, ci_high``); ``records-import`` prints
``content_hash, rows_fingerprint, n_rows, n_counted, tally, unmapped, hints``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .errors import AnalysisError

COMMANDS = ("records-import", "records-did", "records-ddd", "records-event-study",
            "records-simulate", "victim-reporting", "stated-vs-actual")
SE_CHOICES = ("auto", "ri", "cluster", "hc1", "classical")


def _csv_list(text: str | None) -> list[str] | None:
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def _read_json(path: str, what: str):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise AnalysisError(f"{what} file not found: {path}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"{what} file {path} is not valid JSON: "
                            f"{str(exc).splitlines()[0]}") from None


def _read_counts(path: str):
    import pandas as pd

    if not os.path.exists(path):
        raise AnalysisError(f"data file not found: {path}")
    try:
        return pd.read_csv(path, dtype={"place": str, "period": str, "group": str,
                                        "category": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"cannot read {path} as a counts CSV (records-import --out writes "
                            f"one): {str(exc).splitlines()[0]}") from None


def add_parsers(sub) -> None:
    """Register the subcommands on the ``python -m analysis`` parser."""
    p = sub.add_parser("records-import", help="stream a police incident CSV into counts")
    p.add_argument("--data", required=True, help="incident CSV (an open-data export)")
    p.add_argument("--mapping", required=True, help="JSON: columns and value maps")
    p.add_argument("--out", default=None, help="write the counts (CSV)")
    p.add_argument("--known", default=None,
                   help="comma-separated fingerprints of earlier imports (re-import check)")
    p.add_argument("--format", choices=("text", "json"), default="text")

    def effect(name: str, help_: str):
        q = sub.add_parser(name, help=help_)
        q.add_argument("--data", required=True, help="counts CSV (records-import --out)")
        q.add_argument("--events", default=None,
                       help="JSON {place: first treated period}; else treated/post columns")
        q.add_argument("--event-dates", default=None,
                       help="JSON {place: event date YYYY-MM-DD}; first full period is treated")
        q.add_argument("--period", default="month", choices=("month", "week", "quarter"),
                       help="periods of the counts (for --event-dates)")
        q.add_argument("--treated", default="treated")
        q.add_argument("--post", default="post")
        q.add_argument("--se", choices=SE_CHOICES, default="auto")
        q.add_argument("--alpha", type=float, default=0.05)
        q.add_argument("--n-perm", type=int, default=999)
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--format", choices=("text", "json"), default="text")
        return q

    q = effect("records-did", "Poisson DiD on counts of police reports")
    q.add_argument("--groups", default=None, help="victim groups to count, e.g. hispanic")
    q.add_argument("--categories", default=None, help="categories to count (comma-separated)")
    q = effect("records-ddd", "triple difference: victim group x sensitive categories x post")
    q.add_argument("--focus-group", default="hispanic")
    q.add_argument("--sensitive", default=None, help="default: domestic_violence,sexual_assault,"
                                                     "assault")
    q.add_argument("--benchmark", default=None, help="default: homicide,motor_vehicle_theft")
    q = effect("records-event-study", "Poisson event study of police reports")
    q.add_argument("--groups", default=None)
    q.add_argument("--categories", default=None)
    q.add_argument("--window", default="-4,6",
                   help="FIRST,LAST event time; write it --window=-4,6 (it starts with a minus)")

    p = sub.add_parser("records-simulate", help="write a synthetic incident export and mapping")
    p.add_argument("--out", required=True, help="incident CSV to write")
    p.add_argument("--mapping-out", default=None, help="write the matching mapping (JSON)")
    p.add_argument("--counts-out", default=None, help="write the true counts (CSV)")
    p.add_argument("--messy", action="store_true")
    p.add_argument("--reporting-effect", type=float, default=-0.25)
    p.add_argument("--crime-effect", type=float, default=0.0)
    p.add_argument("--months", type=int, default=27,
                   help="months of records; with 19 or more, the demo's events (survey waves 4, "
                        "4, 6, 7 = months 10, 10, 16, 19 in places J02, J04, J05, J07)")
    p.add_argument("--seed", type=int, default=2017)

    p = sub.add_parser("victim-reporting", help="reporting rate among victims (survey), DiD/DDD")
    p.add_argument("--data", required=True)
    p.add_argument("--incidents", required=True, help="incident types (victim_K, reported_K)")
    for a in ("--treated", "--post", "--unit", "--time"):
        p.add_argument(a, required=True)
    p.add_argument("--subgroup", default=None)
    p.add_argument("--weights", default=None)
    p.add_argument("--icc", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = sub.add_parser("stated-vs-actual", help="survey effect beside the records effect")
    p.add_argument("--survey", required=True, help="survey CSV (respondent rows)")
    p.add_argument("--records", required=True, help="counts CSV with treated/post (or --events)")
    p.add_argument("--outcome", default="willingness")
    for a in ("--treated", "--post", "--unit", "--time"):
        p.add_argument(a, required=True)
    p.add_argument("--subgroup", default=None, help="e.g. immigrant: DDD on both sides")
    p.add_argument("--events", default=None, help="JSON {place: first treated period}")
    p.add_argument("--incidents", default=None, help="also the survey's victim reporting rate")
    p.add_argument("--expected-sign", type=int, choices=(-1, 1), default=-1)
    p.add_argument("--stated-sesoi", type=float, default=None, help="survey SESOI (points)")  # verdict: TOST
    p.add_argument("--records-sesoi", type=float, default=10.0, help="records SESOI (percent change)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="FILE.html, .pdf, .tex, .json or .txt")
    p.add_argument("--format", choices=("text", "json"), default="text")


def _with_events(df, args):
    from .counts import attach_events
    from .records import first_full_period

    if args.events and args.event_dates:
        raise AnalysisError("give --events or --event-dates, not both")
    if args.events:
        events = _read_json(args.events, "events")
    elif getattr(args, "event_dates", None):
        dates = _read_json(args.event_dates, "event dates")
        if not isinstance(dates, dict):
            raise AnalysisError("--event-dates must be a JSON object {place: date}")
        events = {p: first_full_period(d, args.period) for p, d in dates.items()}
    else:
        return df
    if not isinstance(events, dict):
        raise AnalysisError("--events must be a JSON object {place: first treated period}")
    return attach_events(df, {str(k): v for k, v in events.items()})


def _emit(res, fmt: str, keys=("estimate", "se", "ci_low", "ci_high", "p_value", "n_obs")):
    from . import report

    if fmt == "json":
        d = res.to_dict()
        out = {k: d[k] for k in keys if k in d}
        if "percent_change" in d:
            out["percent_change"] = d["percent_change"]
        for extra in ("sentence", "statement", "agreement"):
            if extra in d:
                out[extra] = d[extra]
        print(json.dumps(report._clean(out), allow_nan=False))
    else:
        print(report.to_text(res), end="")


def run(args) -> int:
    cmd = args.command
    if cmd == "records-import":
        return _import(args)
    if cmd == "records-simulate":
        return _simulate(args)
    if cmd in ("records-did", "records-ddd", "records-event-study"):
        from .counts import count_ddd, count_did, count_event_study

        df = _with_events(_read_counts(args.data), args)
        kw = {"treated": args.treated, "post": args.post, "se": args.se, "alpha": args.alpha,
              "n_perm": args.n_perm, "seed": args.seed}
        res: Any
        if cmd == "records-did":
            res = count_did(df, groups=_csv_list(args.groups),
                            categories=_csv_list(args.categories), **kw)
        elif cmd == "records-ddd":
            extra: dict[str, Any] = {k: _csv_list(v) for k, v in (("sensitive", args.sensitive),
                                                  ("benchmark", args.benchmark)) if v}
            res = count_ddd(df, focus_group=args.focus_group, **extra, **kw)
        else:
            try:
                window = tuple(int(x) for x in args.window.split(","))
            except ValueError:
                raise AnalysisError("--window must be FIRST,LAST, e.g. -4,6") from None
            if len(window) != 2:
                raise AnalysisError("--window must be FIRST,LAST, e.g. -4,6")
            res = count_event_study(df, groups=_csv_list(args.groups),
                                    categories=_csv_list(args.categories), window=window, **kw)
            _emit(res, args.format, ("att", "periods", "pretrend_p"))
            return 0
        _emit(res, args.format)
        return 0
    if cmd == "victim-reporting":
        from .load import load
        from .victimization import victim_reporting

        res = victim_reporting(load(args.data), _csv_list(args.incidents), treated=args.treated,
                               post=args.post, unit=args.unit, time=args.time,
                               subgroup=args.subgroup, weights=args.weights, icc=args.icc,
                               seed=args.seed)
        _emit(res, args.format)
        return 0
    return _stated_vs_actual(args)


def _import(args) -> int:
    from .records import RecordsMapping, import_records

    mapping = RecordsMapping.from_dict(_read_json(args.mapping, "mapping"))
    res = import_records(args.data, mapping, known_fingerprints=_csv_list(args.known) or ())
    if args.out:
        res.counts.to_csv(args.out, index=False)
    if args.format == "json":
        from . import report

        d = res.to_dict()
        d.pop("counts")
        print(json.dumps(report._clean(d), allow_nan=False))
    else:
        print(res.summary(), end="")
        if args.out:
            print(f"counts written to {args.out}")
    return 0


def _simulate(args) -> int:
    from .incidents import mapping_for, write_incidents
    from .simulate import periods_from_waves, simulate_records

    demo = periods_from_waves((0, 4, 0, 4, 6, 0, 7, 0))
    try:
        counts = simulate_records(n_periods=args.months, seed=args.seed,
                                  reporting_effect=args.reporting_effect,
                                  crime_effect_focus=args.crime_effect,
                                  first_treated=demo if args.months >= max(demo) else None)
    except ValueError as exc:
        raise AnalysisError(str(exc)) from None
    with open(args.out, "wb") as fh:
        expect = write_incidents(counts, fh, messy=args.messy, seed=args.seed)
    if args.mapping_out:
        with open(args.mapping_out, "w", encoding="utf-8") as fh:
            json.dump(mapping_for(sorted(counts["place"].unique())), fh, indent=1)
    if args.counts_out:
        counts.to_csv(args.counts_out, index=False)
    truth = counts.attrs["truth"]
    print(f"wrote {expect['rows']:,} incident rows to {args.out}; true triple difference "
          f"{truth['ddd']:+.3f}, DiD on the focus group's sensitive reports "
          f"{truth['did_focus_sensitive']:+.3f} (log points)")
    return 0


def _stated_vs_actual(args) -> int:
    from . import report
    from .counts import count_ddd, count_did
    from .did import ddd, did
    from .load import load
    from .stated_actual import stated_vs_actual
    from .victimization import victim_reporting

    survey = load(args.survey)
    records = _read_counts(args.records)
    if args.events:
        args.event_dates = None
        records = _with_events(records, args)
    common = {"unit": args.unit, "time": args.time, "seed": args.seed}
    if args.subgroup:
        stated = ddd(survey, args.outcome, args.treated, args.post, args.subgroup, **common)
        actual = count_ddd(records, seed=args.seed)
    else:
        stated = did(survey, args.outcome, args.treated, args.post, **common)
        actual = count_did(records, seed=args.seed)
    victims = None
    if args.incidents:
        victims = victim_reporting(survey, _csv_list(args.incidents), treated=args.treated,
                                   post=args.post, unit=args.unit, time=args.time,
                                   subgroup=args.subgroup, seed=args.seed)
    res = stated_vs_actual(stated, actual, victims=victims, expected_sign=args.expected_sign, places=sorted(
        map(str, survey[args.unit].unique())), stated_sesoi=args.stated_sesoi, records_sesoi=args.records_sesoi)
    if args.out:
        report.render(res, args.out)
        print(f"{res.agreement}: wrote {args.out}")
    elif args.format == "json":
        print(json.dumps(report._clean(res.to_dict()), allow_nan=False))
    else:
        print(report.to_text(res), end="")
    return 0

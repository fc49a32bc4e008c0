"""Command line for the robustness estimators (part of ``python -m analysis``).

``staggered-ddd``  Ortiz-Villavicencio-Sant'Anna triple differences for repeated
                   cross-sections, with the two-way fixed-effects DDD beside it
``event-study``    gains ``--anticipation``, ``--honest`` and ``--composition``

JSON keys (a stable contract, extended only): ``staggered-ddd`` prints ``att``,
``periods``, ``pretrend_p`` (as ``event-study``) plus ``twfe`` (the TWFE DDD:
``estimate, se, ci_low, ci_high``), ``pretrend`` and ``composition``; with
``--honest`` both commands add ``honest`` (``bounds``, ``breakdown``,
``pretest_power``, ``sentences``).  ``composition`` is one record per share
(``share, estimate, se, ci_low, ci_high, p_value``...).
"""

from __future__ import annotations

import json

from .values import finite_or_none

COMMANDS = ("staggered-ddd",)
_KEYS = ("estimate", "se", "ci_low", "ci_high")


def _composition_opt(p) -> None:
    p.add_argument("--composition", default="auto",
                   help="shares checked for a policy effect: auto (immigrant, language es/ar), "
                        "none, or COL[=VALUE],...")


def _honest_opts(p) -> None:
    p.add_argument("--honest", action="store_true",
                   help="HonestDiD bounds (smoothness, relative magnitudes) and pre-test power")
    p.add_argument("--honest-target", default="average",
                   help="'average' of post-event effects or one event time, e.g. 0")
    p.add_argument("--honest-mbar", default="0.5,1,2",
                   help="relative-magnitude bounds, comma-separated, or 'none' (they are slow)")


def add_event_study_options(p) -> None:
    """Options the ``event-study`` command gains."""
    p.add_argument("--anticipation", type=int, default=0,
                   help="waves before the event in which an announced policy may act (cs)")
    _composition_opt(p)
    _honest_opts(p)


def add_parsers(sub) -> None:
    p = sub.add_parser("staggered-ddd", help="staggered triple differences, repeated "
                                             "cross-sections (Ortiz-Villavicencio-Sant'Anna)")
    p.add_argument("--data", required=True)
    p.add_argument("--format", choices=("text", "json"), default="text")
    for a in ("--outcome", "--unit", "--time", "--first-treated", "--subgroup"):
        p.add_argument(a, required=True)
    p.add_argument("--control-group", choices=("never", "notyet"), default="never")
    p.add_argument("--controls", default=None, help="comma-separated respondent covariates")
    p.add_argument("--est-method", choices=("reg", "dr", "ipw"), default="reg")
    p.add_argument("--cluster", default=None)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--pretrend-ri", choices=("auto", "on", "off"), default="auto",
                   help="Fisher randomization p-value for the gap's pre-trend test "
                        "(auto: on with < 30 clusters, no controls)")
    p.add_argument("--n-perm", type=int, default=199)
    p.add_argument("--seed", type=int, default=0)
    _composition_opt(p)
    _honest_opts(p)


def _target(text: str):
    from .errors import InvalidSpecification

    if text == "average":
        return text
    try:
        return int(text)
    except ValueError:
        raise InvalidSpecification("--honest-target must be 'average' or an event time") from None


def _mbar(text: str) -> tuple[float, ...]:
    from .errors import InvalidSpecification

    if text == "none":
        return ()
    try:
        vals = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InvalidSpecification("--honest-mbar must be numbers like 0.5,1,2 or 'none'") from None
    if not vals or any(not v >= 0 for v in vals):
        raise InvalidSpecification("--honest-mbar values must be >= 0")
    return vals


def with_robustness(res, df, args, unit: str, time: str, first_treated: str):
    """The result with the composition check and (if asked) HonestDiD in ``extras``."""
    import dataclasses

    import numpy as np

    from .composition import composition_check, parse_shares
    from .errors import InvalidSpecification
    from .honest import honest_sensitivity

    extras = dict(res.extras)
    shares = parse_shares(args.composition, df)
    extras["composition"] = composition_check(df, unit, time, first_treated, shares,
                                              cluster=args.cluster, alpha=args.alpha)
    if args.honest:
        dyn = extras.get("dynamic_vcov")
        if not dyn:
            raise InvalidSpecification("--honest needs the Callaway-Sant'Anna or staggered DDD "
                                       "event study (estimator 'cs')")
        rel = np.array(dyn["rel_time"]) - (int(dyn["base"]) + 1)  # base wave -> -1
        uni = res._agg("dynamic_universal")
        per = uni if len(uni) else res.periods
        beta = per.set_index("rel_time").loc[list(dyn["rel_time"]), "estimate"].to_numpy(float)
        V = np.array([list(r) for r in dyn["vcov"]])
        target = _target(args.honest_target)
        if target != "average":
            target = int(target) - (int(dyn["base"]) + 1)
        mbar = _mbar(args.honest_mbar)
        extras["honest"] = honest_sensitivity(rel, beta, V, n_clusters=res.n_clusters,
                                              target=target, alpha=args.alpha,
                                              mbar=mbar or (1.0,),
                                              relative_magnitudes=bool(mbar))
    return dataclasses.replace(res, extras=extras)


def event_study_result(df, args):
    """``event-study``: the chosen estimator (``dr`` = doubly robust with covariates),
    then the composition check and HonestDiD."""
    from .dr_event import dr_event_study
    from .errors import InvalidSpecification
    from .event_study import event_study

    if args.estimator == "dr":
        if args.weights:
            raise InvalidSpecification("--estimator dr takes no --weights (moderndid's "
                                       "repeated cross-section estimator is unweighted here)")
        res = dr_event_study(df, args.outcome, args.unit, args.time, args.first_treated,
                             args.controls or [], control_group=args.control_group,
                             anticipation=args.anticipation, cluster=args.cluster,
                             alpha=args.alpha)
    else:
        res = event_study(df, args.outcome, args.unit, args.time, args.first_treated,
                          estimator=args.estimator, control_group=args.control_group,
                          base_period=args.base_period, controls=args.controls,
                          weights=args.weights, cluster=args.cluster, alpha=args.alpha,
                          anticipation=args.anticipation, inference=args.inference,
                          n_boot=args.n_boot, seed=args.seed)
    return with_robustness(res, df, args, args.unit, args.time, args.first_treated)


def payload(res, contract: tuple[str, ...]) -> dict:
    """JSON: the event-study contract keys plus the robustness keys."""
    d = res.to_dict()
    out = {k: d[k] for k in contract}
    if "att" in out:
        out["att"] = {k: out["att"][k] for k in _KEYS}
    ex = d.get("extras", {})
    if "twfe" in contract or res.spec.get("estimator") == "ddd":
        t = res.comparison
        row = t[t["aggregation"] == "simple"].iloc[0]
        out["twfe"] = {k: finite_or_none(float(row[k])) for k in _KEYS}
        out["pretrend"] = ex.get("pretrend")
    for k in ("composition", "honest"):
        if k in ex:
            out[k] = ex[k]
    return out


def emit(res, fmt: str, contract: tuple[str, ...]) -> None:
    from . import report

    if fmt == "json":
        print(json.dumps(report._clean(payload(res, contract)), allow_nan=False))
    else:
        print(report.to_text(res), end="")


def run(args) -> int:
    from . import load
    from .staggered_ddd import staggered_ddd

    df = load(args.data)
    res = staggered_ddd(df, args.outcome, args.unit, args.time, args.first_treated,
                        args.subgroup, control_group=args.control_group, controls=args.controls,
                        est_method=args.est_method, cluster=args.cluster, alpha=args.alpha,
                        pretrend_ri={"auto": None, "on": True, "off": False}[args.pretrend_ri],
                        n_perm=args.n_perm, seed=args.seed)
    res = with_robustness(res, df, args, args.unit, args.time, args.first_treated)
    emit(res, args.format, ("att", "periods", "pretrend_p"))
    return 0

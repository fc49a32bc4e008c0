"""The sections of effect estimates (pre/post, DiD, DDD, ordinal, event study), built by the results.

Kept apart from the result classes so that :mod:`analysis.results` stays the
tidy-table source of truth; these functions read a result and say what it
holds, in the order a referee reads it: specification, estimates with their
p-value method, inference, checks, notes.
"""

from __future__ import annotations

import pandas as pd

from .sections import HUMAN, Figure, Section, fmt, method_label, table

SERIES_NAMES = {"cs": "Callaway-Sant'Anna", "sa": "Sun-Abraham", "twfe": "two-way FE",
                "ppml": "Poisson PML"}


def spec_kv(r) -> list[tuple[str, object]]:
    s = r.spec
    kv = [("Outcome", s.get("outcome"))]
    for key, label in (("indicators", "Design indicators"), ("treated", "Treated"),
                       ("post", "Post"), ("unit", "Unit"), ("time", "Time"),
                       ("first_treated", "First treated"), ("estimator", "Estimator"),
                       ("control_group", "Comparison"), ("fixed_effects", "Fixed effects"),
                       ("controls", "Controls"), ("weights", "Weights"),
                       ("cluster", "Cluster"), ("distr", "Link")):
        v = s.get(key)
        if v not in (None, (), [], ""):
            v = HUMAN.get(key, {}).get(v, v) if isinstance(v, str) else v
            if key == "fixed_effects":
                v = " + ".join("^".join(g) for g in v)
            kv.append((label, v))
    kv += [("Observations", r.n_obs), ("Clusters", s.get("n_clusters") or None),
           ("Inference", r.inference), ("Data fingerprint (SHA-256)", r.fingerprint)]
    return [(k, v) for k, v in kv if v is not None]


def inference_kv(r) -> list:
    """Which inference ran, with what and why: read from the result, never assumed."""
    info = dict(r.extras.get("inference") or {})
    rows = [("Method", method_label(info) if info.get("method") else None), ("Why", info.get("reason")),
            ("Clusters", info.get("n_clusters")), ("Draws", info.get("n_draws"))]
    if "uniform_critical_value" in info:
        rows.append(("Uniform band critical value", info["uniform_critical_value"]))
    return rows


def with_method(t: pd.DataFrame, method: str) -> pd.DataFrame:
    """``t`` with the p-value's method named beside each p-value (blank where there is none)."""
    if "p_value" not in t.columns:
        return t
    t = t.copy()
    t.insert(t.columns.get_loc("p_value") + 1, "inference",
             [method if pd.notna(p) else "" for p in t["p_value"]])
    return t


def effect_sections(r) -> list[Section]:
    method = method_label(r.extras.get("inference"))
    out = [Section("Specification", "kv", spec_kv(r)),
           Section("Estimates", "table", table(with_method(r.tidy, method)))]
    ex = r.extras
    if "odds_ratio" in ex:
        out.append(Section("Odds ratio of " + r.term, "kv", list(ex["odds_ratio"].items())))
    if ex.get("thresholds") and hasattr(ex["thresholds"][0], "keys"):
        out.append(Section("Thresholds on the latent scale", "table",
                           table(pd.DataFrame([dict(t) for t in ex["thresholds"]]))))
    if ex.get("proportional_odds"):
        po = dict(ex["proportional_odds"])
        out.append(Section("Proportional-odds check", "kv",
                           [("Statistic (chi-square)", po.get("statistic")), ("df", po.get("df")),
                            ("p-value", fmt(po.get("p_value"), "p_value")),
                            ("Reading", po.get("note"))]))
    if "probability_change" in ex:
        pc = ex["probability_change"]
        pc = pc if isinstance(pc, pd.DataFrame) else pd.DataFrame(list(pc))
        out.append(Section("Change in answer probabilities (treated, post)", "table", table(pc)))
    if len(r.n_by_group):
        out.append(Section("Responses by group", "table", table(r.n_by_group)))
    out += robustness_sections(r)
    if r.notes:
        out.append(Section("Notes", "list", list(r.notes)))
    return out


def event_figure(r) -> Figure:
    """The figure's series, all against one base (wave -1 before the event): a
    Callaway-Sant'Anna fit with varying base is drawn from its universal-base rows."""
    per = r.periods
    uni = r._agg("dynamic_universal")
    if len(uni):
        per = uni
    per = per.assign(series=r.spec["estimator"])
    tw = r.comparison
    tw = tw[tw["aggregation"] == "dynamic"].assign(series="twfe")
    # with anticipation the TWFE leads/lags keep wave -1 as base: left out, one base per figure
    one = r.spec["estimator"] == "twfe" or int(r.spec.get("anticipation", 0) or 0) > 0
    frame = pd.concat([per] if one else [per, tw], ignore_index=True)
    base = -1 - int(r.spec.get("anticipation", 0) or 0)
    x_label = r.spec.get("x_label", f"waves relative to the event (base: wave {base} for every "
                                    "series)")
    y_label = r.spec.get("y_label", f"effect on {r.spec['outcome']}")
    return Figure(frame[["series", "rel_time", "estimate", "ci_low", "ci_high"]], x_label, y_label,
                  SERIES_NAMES)


def event_sections(r) -> list[Section]:
    t = r.tidy
    keep = ["estimator", "estimate", "se", "p_value", "ci_low", "ci_high"]
    att = t.loc[t["aggregation"] == "simple", keep].copy()
    # One p-value per estimate: the two-way comparison is tested where it is the estimate (the
    # DiD), not here with a second method; its row keeps the estimate and interval only.
    comparison = (att["estimator"] == "twfe") & (att["estimator"] != r.spec.get("estimator"))
    att.loc[comparison, "p_value"] = float("nan")
    att = with_method(att, method_label(r.extras.get("inference")))
    att.loc[comparison, "inference"] = "comparison, not tested here"
    pre = r.pretrend
    out = [Section("Specification", "kv", spec_kv(r)),
           Section("Overall effect (ATT)", "table", table(att)),
           Section("Inference", "kv", inference_kv(r)),
           Section("Pre-trend test", "kv", [("F statistic" if pre.get("df2") else "Statistic",
                                             pre.get("statistic")),
                                            ("df", f"{pre.get('df1')}, {pre.get('df2')}"
                                             if pre.get("df2") is not None else pre.get("df1")),
                                            ("p-value", fmt(pre.get("p_value"), "p_value")),
                                            ("Test", pre.get("note"))]),
           Section("Event figure", "figure", event_figure(r)),
           Section("By event time", "table",
                   table(with_method(r.periods[[c for c in (
                       "rel_time", "estimate", "se", "p_value", "ci_low", "ci_high", "band_low",
                       "band_high") if c in r.periods]], method_label(r.extras.get("inference"))))),
           Section("Two-way fixed effects, by event time (comparison)", "table",
                   table(r.comparison.loc[r.comparison["aggregation"] == "dynamic",
                                          ["rel_time", "estimate", "se", "ci_low", "ci_high"]]))]
    if len(r.by_cohort):
        out.append(Section("By cohort", "table",
                           table(r.by_cohort[["cohort", "estimate", "se", "ci_low", "ci_high"]])))
    out.append(Section("Responses by cohort (0 = never treated)", "table", table(r.n_by_group)))
    out += robustness_sections(r)
    if r.notes:
        out.append(Section("Notes", "list", list(r.notes)))
    return out


def robustness_sections(r) -> list[Section]:
    """Composition check and HonestDiD sensitivity, when the result carries them."""
    out = []
    comp = r.extras.get("composition")
    if comp:
        frame = pd.DataFrame([dict(c) for c in comp])
        if "inference" in frame.columns and "p_value" in frame.columns:  # method beside its p-value
            cols = [c for c in frame.columns if c != "inference"]
            cols.insert(cols.index("p_value") + 1, "inference")
            frame = frame[cols]
        out.append(Section("Composition check: does who answers move with the policy?", "table",
                           table(frame)))
    honest = r.extras.get("honest")
    if honest:
        out.append(Section("Sensitivity to parallel-trends violations (HonestDiD)", "table",
                           table(pd.DataFrame([dict(h) for h in honest["bounds"]]))))
        out.append(Section("Breakdown values and pre-test power", "list",
                           list(honest["sentences"])))
    return out

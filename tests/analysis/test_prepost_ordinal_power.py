import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analysis.did import ddd, did
from analysis.errors import InvalidSpecification, NotEnoughResponses
from analysis.ordinal import ordinal
from analysis.power import power
from analysis.prepost import prepost
from analysis.simulate import likert_from_latent, simulate

REL = 1e-6


@pytest.fixture(scope="module")
def one_city():
    df = simulate(n_jurisdictions=4, n_waves=8, responses_per_cell=80, seed=8,
                  first_treated=(5, 0, 0, 0))
    return df


def test_prepost_matches_statsmodels(one_city):
    r = prepost(one_city, "trust", "wave", 5, unit="jurisdiction", unit_value="J01",
                window=(3, 3), se="hc1")
    d = one_city[(one_city["jurisdiction"] == "J01") & one_city["wave"].between(2, 7)]
    d = d.assign(after=(d["wave"] >= 5).astype(int))
    sm = smf.ols("trust ~ after", d).fit(cov_type="HC1")
    assert r.estimate == pytest.approx(sm.params["after"], rel=REL)
    assert r.se == pytest.approx(sm.bse["after"], rel=REL)
    assert r.n_obs == len(d)
    assert any("no comparison group" in n for n in r.notes)
    t = prepost(one_city, "trust", "wave", 5, unit="jurisdiction", unit_value="J01", trend=True,
                se="hc1")
    d2 = one_city[one_city["jurisdiction"] == "J01"].assign(
        after=lambda x: (x["wave"] >= 5).astype(int), et=lambda x: x["wave"] - 5)
    sm2 = smf.ols("trust ~ after + et + after:et", d2).fit(cov_type="HC1")
    assert t.estimate == pytest.approx(sm2.params["after"], rel=REL)
    assert t.se == pytest.approx(sm2.bse["after"], rel=REL)


def test_prepost_default_is_wave_level(one_city):
    # issue 12: respondents in one wave share its shocks; the default runs on wave means
    # with a Bartlett HAC over all waves (fixed-b) so persistent shocks are allowed for
    r = prepost(one_city, "trust", "wave", 5, unit="jurisdiction", unit_value="J01")
    d = one_city[one_city["jurisdiction"] == "J01"]
    waves = d.groupby("wave").agg(y=("trust", "mean"), n=("trust", "size")).reset_index()
    waves["after"] = (waves["wave"] >= 5).astype(int)
    model = smf.wls("y ~ after", waves, weights=waves["n"])
    sm = model.fit()
    assert r.estimate == pytest.approx(sm.params["after"], rel=REL)
    # classical Donald-Lang figures kept for comparison
    assert r.extras["wave_classical"]["se"] == pytest.approx(sm.bse["after"], rel=REL)
    # Bartlett weights 1 - j/W: statsmodels' maxlags = W - 1, no small-sample correction
    hac = model.fit(cov_type="HAC", cov_kwds={"maxlags": len(waves) - 1, "kernel": "bartlett",
                                              "use_correction": False})
    assert r.se == pytest.approx(hac.bse["after"], rel=REL)
    info = r.extras["inference"]
    assert info["method"] == "wave-level-hac" and info["bandwidth"] == len(waves)
    crit = info["critical_value"]
    assert crit > 2.45   # above t(6)'s 2.45: the fixed-b value is wider
    assert r.ci[0] == pytest.approx(r.estimate - crit * r.se, rel=REL)
    assert "wave-level HAC" in r.inference and "fixed-b" in r.inference
    serial = [n for n in r.notes if "persist" in n]
    assert serial and f"{crit:.2f}" in serial[0]          # written from what ran
    assert not any(n.startswith("no cluster column") for n in r.notes)


def test_prepost_refuses_interval_with_too_few_waves(one_city):
    r = prepost(one_city, "trust", "wave", 5, unit="jurisdiction", unit_value="J01",
                window=(1, 3))
    assert np.isfinite(r.estimate)
    assert np.isnan(r.se) and np.isnan(r.ci[0]) and np.isnan(r.p_value)
    info = r.extras["inference"]
    assert info["method"] == "wave-level-refused" and "1 wave(s) before" in info["reason"]
    assert any("no interval is given" in n for n in r.notes)
    # asked for explicitly, an interval assuming independent waves is still available
    assert np.isfinite(prepost(one_city, "trust", "wave", 5, unit="jurisdiction",
                               unit_value="J01", window=(1, 3), se="classical").se)


def test_prepost_errors(one_city):
    with pytest.raises(NotEnoughResponses):
        prepost(one_city, "trust", "wave", 5, unit="jurisdiction", unit_value="J99")
    with pytest.raises(InvalidSpecification, match="before the event"):
        prepost(one_city, "trust", "wave", 50)
    with pytest.raises(InvalidSpecification):
        prepost(one_city, "trust", "wave", 5, se="wild")


@pytest.fixture(scope="module")
def likert():
    df = simulate(n_jurisdictions=12, n_waves=4, responses_per_cell=60, seed=10,
                  first_treated=(3,) * 6 + (0,) * 6, effect_immigrant=-0.6,
                  effect_nonimmigrant=-0.6)
    df["item"] = likert_from_latent(df["trust"], 1, 5, np.random.default_rng(3))
    df["after"] = (df["wave"] >= 3).astype(int)
    return df


def test_ordinal_binary_equals_logit(likert):
    d = likert.assign(high=(likert["item"] >= 4).astype(int))
    r = ordinal(d, "high", "treated", "after")
    sm = smf.logit("high ~ treated * after", d).fit(disp=0)
    assert r.estimate == pytest.approx(sm.params["treated:after"], rel=1e-4)
    assert r.se == pytest.approx(sm.bse["treated:after"], rel=1e-3)
    assert r.extras["odds_ratio"]["estimate"] == pytest.approx(np.exp(r.estimate))


def test_ordinal_direction_and_probabilities(likert):
    r = ordinal(likert, "item", "treated", "after", cluster="jurisdiction")
    assert r.estimate < 0 and r.ci[1] < 0
    pc = pd.DataFrame(r.extras["probability_change"]) if not isinstance(
        r.extras["probability_change"], pd.DataFrame) else r.extras["probability_change"]
    assert pc["change"].sum() == pytest.approx(0.0, abs=1e-9)
    assert pc.iloc[0]["change"] > 0 > pc.iloc[-1]["change"]  # mass moves to distrust
    assert (pc["se"] > 0).all()
    fe = ordinal(likert, "item", "treated", "post", unit="jurisdiction", time="wave",
                 distr="probit")
    assert fe.estimate < 0
    assert "odds_ratio" not in fe.extras


def test_ordinal_shows_latent_thresholds_and_no_fixed_effect_rows(likert):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    fe = ordinal(likert, "item", "treated", "post", unit="jurisdiction", time="wave")
    assert list(fe.tidy["term"]) == ["treated:post"]  # dummies absorbed, not reported
    assert fe.extras["fixed_effects_absorbed"]
    cuts = [t["threshold"] for t in fe.extras["thresholds"]]
    assert np.all(np.diff(cuts) > 0)  # increasing on the latent scale, not log increments
    n = len(cuts) + 1
    m = OrderedModel(np.arange(n), np.arange(n, dtype=float)[:, None] ** 2, distr="logit")
    raw = np.r_[0.0, cuts[0], np.log(np.diff(cuts))]  # statsmodels' own parametrisation
    assert m.transform_threshold_params(raw)[1:-1] == pytest.approx(cuts)
    assert "Thresholds on the latent scale" in str(fe)
    po = fe.extras["proportional_odds"]
    assert po["df"] == len(cuts) - 1 and 0 <= po["p_value"] <= 1  # simulated with one shift: PO holds
    assert "Proportional-odds check" in str(fe)


def test_ordinal_errors(likert):
    with pytest.raises(InvalidSpecification, match="integer"):
        ordinal(likert, "trust", "treated", "after")
    with pytest.raises(InvalidSpecification):
        ordinal(likert, "item", "treated", "after", distr="cauchy")


def test_power_formula_common_timing():
    p = power(20, 6, 50, icc=0.05, sd=1.0, share_treated=0.5, event_wave=4)
    v = 1.0 * (0.05 + 0.95 / 50)
    ss = 20 * 0.25 * 3 * 3 / 6
    assert p.se == pytest.approx(np.sqrt(v / ss), rel=1e-12)
    from scipy import stats

    assert p.mde == pytest.approx((stats.t.ppf(0.975, 19) + stats.t.ppf(0.8, 19)) * p.se)
    assert p.power_at(p.mde) == pytest.approx(0.8, abs=0.01)
    q = power(20, 6, 50, icc=0.05, sd=1.0, effect=p.mde * 0.8)
    assert q.tidy["required_responses_per_cell"].iloc[0] > 50
    assert q.tidy["required_jurisdictions"].iloc[0] > 20
    floor = power(20, 6, 50, icc=0.3, effect=0.01)
    assert np.isinf(floor.tidy["required_responses_per_cell"].iloc[0])
    assert floor.notes
    with pytest.raises(InvalidSpecification):
        power(2, 6, 50)
    with pytest.raises(InvalidSpecification):
        power(10, 6, 50, first_treated=(0, 0))


def _sim_estimates(n_sims, kind, **kw):
    est, se = [], []
    for s in range(n_sims):
        df = simulate(seed=7000 + s, **kw)
        if kind == "did":
            r = did(df, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster")
        else:
            r = ddd(df, "trust", "treated", "post", "immigrant", unit="jurisdiction",
                    time="wave", se="cluster")
        est.append(r.estimate)
        se.append(r.se)
    return np.array(est), np.array(se)


@pytest.mark.slow
def test_power_matches_simulation():
    design = {"n_jurisdictions": 30, "n_waves": 6, "responses_per_cell": 40, "icc": 0.05,
                  "first_treated": (4,) * 15 + (0,) * 15}
    p = power(30, 6, 40, icc=0.05, sd=0.9 / np.sqrt(0.95), event_wave=4)
    est, _ = _sim_estimates(300, "did", effect_immigrant=p.mde, effect_nonimmigrant=p.mde,
                            **design)
    assert est.std(ddof=1) == pytest.approx(p.se, rel=0.12)
    # rejection rate at the MDE is about the planned power
    from scipy import stats

    q = p.power_at(p.mde)
    t = (est - 0) / p.se
    rate = np.mean(np.abs(t) > stats.t.ppf(0.975, 29))
    assert abs(rate - q) < 0.1
    pd_ = power(30, 6, 40, icc=0.05, sd=0.9 / np.sqrt(0.95), event_wave=4, design="ddd",
                subgroup_share=0.35)
    est_d, _ = _sim_estimates(150, "ddd", **design)
    assert est_d.std(ddof=1) == pytest.approx(pd_.se, rel=0.15)

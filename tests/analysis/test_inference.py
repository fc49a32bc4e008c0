"""Inference with few jurisdictions (issue 12): randomization inference, the
jurisdiction multiplier bootstrap, one-jurisdiction cohorts, and the record of
what ran.  Hand-written permutation statistics are checked against pyfixest."""

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import _adoption, _ri
from analysis.cli import main
from analysis.did import ddd, did
from analysis.errors import InvalidSpecification
from analysis.event_study import event_study
from analysis.simulate import simulate

DEMO = (4, 4, 6, 7, 0, 0, 0, 0)


@pytest.fixture(scope="module")
def demo():
    return simulate(n_jurisdictions=8, n_waves=9, responses_per_cell=40, first_treated=DEMO,
                    effect_immigrant=-0.2, effect_nonimmigrant=-0.1, seed=12)


def _first(df):
    return np.array([df.attrs["truth"]["first_treated"][j] for j in sorted(
        df.attrs["truth"]["first_treated"])])


def test_did_defaults_to_randomization_with_few_treated(demo):
    r = did(demo, "trust", "treated", "post", unit="jurisdiction", time="wave")
    info = r.extras["inference"]
    assert info["method"] == "randomization" and info["n_draws"] == 840 and info["enumerated"]
    assert "only 4 treated jurisdictions" in info["reason"]
    assert "randomization inference" in r.inference and "fewer than 5" in r.inference
    ri = r.extras["randomization"]
    assert ri["estimate"] == pytest.approx(r.estimate, rel=1e-9)
    lo, hi = r.ci
    assert lo < r.estimate < hi
    # the interval is the set of constant effects the permutation test does not reject
    H, rr = _cells(demo)
    first = _first_pos(demo)
    A, _, _ = _adoption.adoption_assignments(first, 999, 0)
    sy, sd = _ri.twfe_statistics(H, rr, first, A)
    assert _adoption.shift_pvalue(r.estimate, sy, sd, lo - 1e-6) < 0.05
    assert _adoption.shift_pvalue(r.estimate, sy, sd, lo + 1e-6) >= 0.05
    assert _adoption.shift_pvalue(r.estimate, sy, sd, hi + 1e-6) < 0.05
    assert r.p_value == pytest.approx(_adoption.shift_pvalue(r.estimate, sy, sd, 0.0))
    # asking for the cluster bootstrap still gives it, and says so
    w = did(demo, "trust", "treated", "post", unit="jurisdiction", time="wave",
            inference="wild", n_boot=199)
    assert w.extras["inference"]["method"] == "wild" and "randomization" not in w.extras


def _first_pos(df):
    waves = np.sort(df["wave"].unique())
    ft = _first(df)
    return np.where(ft > 0, np.searchsorted(waves, ft), -1)


def _cells(df):
    J = df["jurisdiction"].nunique()
    u = pd.factorize(df["jurisdiction"], sort=True)[0]
    t = df["wave"].to_numpy() - 1
    W, S = _ri.tables(u, t, np.ones(len(df)), df["trust"].to_numpy(), J, 9)
    return W, S / W


def test_permutation_statistics_match_pyfixest(demo):
    pf = pytest.importorskip("pyfixest")
    first = _first_pos(demo)
    A, _, _ = _adoption.adoption_assignments(first, 999, 0)
    H, r = _cells(demo)
    sy, sd = _ri.twfe_statistics(H, r, first, A)
    u = pd.factorize(demo["jurisdiction"], sort=True)[0]
    t = demo["wave"].to_numpy() - 1
    for k in (0, 5, 333, 839):
        D = (A[k][u] >= 0) & (t >= A[k][u])
        fit = pf.feols("trust ~ D | jurisdiction + wave", demo.assign(D=D.astype(float)))
        assert sy[k] == pytest.approx(fit.coef()["D"], rel=1e-8, abs=1e-12)
        with warnings.catch_warnings():   # row 0 fits exactly: pyfixest divides by se = 0
            warnings.simplefilter("ignore", RuntimeWarning)
            fit_d = pf.feols("post ~ D | jurisdiction + wave",
                             demo.assign(D=D.astype(float), post=demo["post"].astype(float)))
            assert sd[k] == pytest.approx(fit_d.coef()["D"], rel=1e-8, abs=1e-12)


def test_ddd_randomization_matches_its_regression(demo):
    pf = pytest.importorskip("pyfixest")
    r = ddd(demo, "trust", "treated", "post", "immigrant", unit="jurisdiction", time="wave")
    assert r.extras["inference"]["method"] == "randomization"
    assert r.extras["randomization"]["estimate"] == pytest.approx(r.estimate, rel=1e-8)
    d = demo.assign(x=demo["post"] * demo["immigrant"] * 1.0)
    ref = pf.feols("trust ~ x | jurisdiction^wave + jurisdiction^immigrant + wave^immigrant", d)
    assert r.estimate == pytest.approx(ref.coef()["x"], rel=1e-8)


def test_ri_needs_units_and_refuses_controls(demo):
    with pytest.raises(InvalidSpecification, match="unit= and time="):
        did(demo, "trust", "treated", "post", unit="jurisdiction", inference="ri")
    r = did(demo, "trust", "treated", "post", unit="jurisdiction", time="wave",
            controls="age_band")
    assert r.extras["inference"]["method"] == "wild"
    assert any("not available with controls" in n for n in r.notes)


def test_event_study_ri_reproduces_estimates_and_records_it(demo):
    r = event_study(demo, "trust", "jurisdiction", "wave", "first_treated")
    info = r.extras["inference"]
    assert info["method"] == "ri" and info["n_draws"] == 840 and info["enumerated"]
    assert "fewer than 5" in info["reason"] and "permutations" in r.inference
    assert any("small cohorts" in n for n in r.notes)
    # the permutation engine's observed row is the estimator itself
    W, S = _cells(demo)
    S = S * W
    first = _first_pos(demo)
    gt = r.group_time
    table = pd.DataFrame({"g": np.searchsorted(np.arange(1, 10), gt["cohort"].to_numpy()),
                          "t": gt["time"].to_numpy().astype(int) - 1})
    table["base"] = np.where(table["t"] >= table["g"], table["g"] - 1, table["t"] - 1)
    att = _ri.cs_statistics(W, S, first[None, :], table)
    np.testing.assert_allclose(att[0], gt["estimate"].to_numpy(), rtol=1e-9)
    # every aggregation, including one-jurisdiction cohorts, has a permutation interval
    coh = r.by_cohort
    assert np.isfinite(coh[["ci_low", "ci_high"]].to_numpy(float)).all()
    per = r.periods
    assert (per["band_low"] < per["estimate"]).all() and (per["band_high"] > per["estimate"]).all()
    assert r.extras["inference"]["uniform_critical_value"] > 1.9
    assert "randomization Wald" in r.pretrend["note"]
    assert 0 < r.pretrend_p <= 1


def test_one_jurisdiction_cohort_gets_no_cluster_interval(demo):
    r = event_study(demo, "trust", "jurisdiction", "wave", "first_treated", inference="cluster")
    coh = r.by_cohort.set_index("cohort")
    assert np.isnan(coh.loc[6, "ci_low"]) and np.isnan(coh.loc[6, "se"])
    assert np.isnan(coh.loc[7, "ci_high"])
    assert np.isfinite(coh.loc[4, "ci_low"])
    assert any("single treated jurisdiction" in n for n in r.notes)
    d = r.to_dict()
    cohort_rows = [c for c in d["coefficients"] if c["aggregation"] == "cohort"]
    assert any(c["ci_low"] is None for c in cohort_rows)


def test_multiplier_bootstrap_agrees_with_analytic_errors():
    df = simulate(n_jurisdictions=40, n_waves=6, responses_per_cell=20, seed=4,
                  first_treated=(3,) * 10 + (4,) * 10 + (0,) * 20)
    a = event_study(df, "trust", "jurisdiction", "wave", "first_treated", inference="cluster")
    b = event_study(df, "trust", "jurisdiction", "wave", "first_treated", n_boot=4999)
    assert b.extras["inference"]["method"] == "bootstrap"
    assert b.att["estimate"] == a.att["estimate"]
    assert b.att["se"] == pytest.approx(a.att["se"], rel=0.1)
    per = b.periods
    assert ((per["band_high"] - per["band_low"]) > (per["ci_high"] - per["ci_low"])).all()
    assert b.extras["inference"]["uniform_critical_value"] > 2.0
    assert "multiplier" in b.pretrend["note"]


def test_invert_shift_finds_the_edges():
    rng = np.random.default_rng(0)
    sy = rng.normal(size=500)
    sd = rng.uniform(0, 0.5, size=500)
    sy[0], sd[0] = 1.3, 1.0
    p, lo, hi = _adoption.invert_shift(1.3, sy, sd, 0.1)
    for b, inside in ((lo - 1e-9, False), (lo + 1e-9, True), (hi - 1e-9, True), (hi + 1e-9, False)):
        assert bool(_adoption.shift_pvalue(1.3, sy, sd, b) >= 0.1) == inside
    assert p == _adoption.abs_p(1.3, sy)


def test_simulate_ar1_shocks_keep_default_data():
    a = simulate(n_jurisdictions=4, n_waves=5, responses_per_cell=10, seed=3)
    b = simulate(n_jurisdictions=4, n_waves=5, responses_per_cell=10, seed=3, shock_rho=0.0)
    pd.testing.assert_frame_equal(a, b)
    c = simulate(n_jurisdictions=4, n_waves=5, responses_per_cell=10, seed=3, shock_rho=0.7)
    assert not np.allclose(a["trust"], c["trust"])
    with pytest.raises(ValueError, match="shock_rho"):
        simulate(shock_rho=1.0)


def test_cli_inference_option(tmp_path, demo, capsys):
    path = tmp_path / "d.csv"
    demo.to_csv(path, index=False)
    code = main(["did", "--data", str(path), "--outcome", "trust", "--treated", "treated",
                 "--post", "post", "--unit", "jurisdiction", "--time", "wave",
                 "--inference", "ri", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0 and '"method": "randomization"' in out
    code = main(["did", "--data", str(path), "--outcome", "trust", "--treated", "treated",
                 "--post", "post", "--unit", "jurisdiction", "--inference", "ri"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error:") and len(err.strip().splitlines()) == 1
    code = main(["event-study", "--data", str(path), "--outcome", "trust", "--unit",
                 "jurisdiction", "--time", "wave", "--first-treated", "first_treated",
                 "--inference", "cluster", "--format", "json"])
    assert code == 0 and '"method": "cluster"' in capsys.readouterr().out


def test_auto_falls_back_with_a_reason_when_permutations_cannot_run(demo):
    df = demo.assign(wave="w" + demo["wave"].astype(str))
    r = did(df, "trust", "treated", "post", unit="jurisdiction", time="wave", n_boot=199)
    assert r.extras["inference"]["method"] == "wild"
    assert any("numeric time column" in n for n in r.notes)

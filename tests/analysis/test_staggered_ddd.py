"""Staggered DDD (moderndid), HonestDiD, pre-test power, anticipation, composition."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.event_study import event_study
from analysis.honest import honest_sensitivity, pretest_power
from analysis.simulate import simulate
from analysis.staggered_ddd import staggered_ddd


def _sim(seed: int, noise: bool = True) -> pd.DataFrame:
    """12 jurisdictions, 6 waves, adoption at 3 and 5 (4 each), effect on the
    subgroup growing with time since adoption; a subgroup trend common to all
    jurisdictions and jurisdiction-wave shocks (both removed by the DDD)."""
    rng = np.random.default_rng(seed)
    J, T, n = 12, 6, 50
    g = np.repeat([3, 5, 0], 4)
    j = np.repeat(np.arange(J), T * n)
    t = np.tile(np.repeat(np.arange(1, T + 1), n), J)
    q = (rng.random(len(j)) < 0.4).astype(int)
    gj = g[j]
    e = np.where(gj > 0, t - gj, -99)
    y = np.where((gj > 0) & (e >= 0) & (q == 1), -0.1 * (e + 1), 0.0)
    if noise:
        y = y + rng.normal(0, 0.3, J)[j] + 0.05 * t + q * (0.2 + 0.04 * t)
        y = y + rng.normal(0, 0.1, (J, T))[j, t - 1] + rng.normal(0, 0.8, len(j))
    return pd.DataFrame({"y": y, "j": j, "t": t, "g": gj, "q": q})


def test_matches_moderndid_and_cell_means():
    import moderndid

    d = _sim(7)
    r = staggered_ddd(d, "y", "j", "t", "g", "q", n_perm=19)
    ref = moderndid.ddd(d.assign(g=d.g.astype(float), rid=np.arange(len(d))), yname="y",
                        tname="t", idname="rid", gname="g", pname="q", panel=False,
                        est_method="reg", base_period="universal")
    simple = moderndid.agg_ddd(ref, type="simple", boot=False, cband=False)
    es = moderndid.agg_ddd(ref, type="eventstudy", boot=False, cband=False)
    assert abs(r.att["estimate"] - simple.overall_att) < 1e-6
    per = r.periods.set_index("rel_time")["estimate"]
    for e, est in zip(es.egt, es.att_egt, strict=True):
        assert abs(per[int(e)] - est) < 1e-6
    # independent: one group-time effect from the eight cell means
    m = d.groupby(["g", "q", "t"]).y.mean()

    def dd(gg, tt, b):
        return (m[gg, 1, tt] - m[gg, 1, b]) - (m[gg, 0, tt] - m[gg, 0, b])

    gt = r.group_time.set_index("term")["estimate"]
    assert abs(gt["g=3,t=4"] - (dd(3, 4, 2) - dd(0, 4, 2))) < 1e-9
    assert r.comparison.query("aggregation == 'simple'").shape[0] == 1
    assert "gap" in r.pretrend["of"]
    # 12 clusters: the pre-trend p-value is Fisher's, the F test's kept beside it
    assert r.pretrend["randomization"]["n_perm"] == 19
    assert r.pretrend["p_value"] in {k / 20 for k in range(1, 21)}
    assert 0 <= r.pretrend["wald_p_value"] <= 1


@pytest.mark.slow
def test_unbiased_where_twfe_ddd_is_not():
    """300 simulated studies: the staggered DDD's mean error is within 2 Monte Carlo
    standard errors of zero; the TWFE DDD's is not (effects grow with exposure)."""
    R = 300
    err_ddd, err_twfe = [], []
    for s in range(1, R + 1):
        d = _sim(s)
        truth = staggered_ddd(d.assign(y=_sim(s, noise=False).y), "y", "j", "t", "g",
                              "q", pretrend_ri=False).att["estimate"]
        r = staggered_ddd(d, "y", "j", "t", "g", "q", pretrend_ri=False)
        err_ddd.append(r.att["estimate"] - truth)
        err_twfe.append(float(r.comparison.query("aggregation == 'simple'").estimate.iloc[0])
                        - truth)
    a, b = np.array(err_ddd), np.array(err_twfe)
    mcse_a, mcse_b = a.std(ddof=1) / np.sqrt(R), b.std(ddof=1) / np.sqrt(R)
    assert abs(a.mean()) < 2 * mcse_a, (a.mean(), mcse_a)
    assert abs(b.mean()) > 2 * mcse_b, (b.mean(), mcse_b)


def test_anticipation_matches_moderndid():
    import moderndid

    df = simulate(n_jurisdictions=8, n_waves=7, responses_per_cell=40,
                  first_treated=(4, 4, 5, 6, 0, 0, 0, 0), seed=3)
    r = event_study(df, "trust", "jurisdiction", "wave", "first_treated", anticipation=1,
                    base_period="universal")
    d = df.assign(g=df.first_treated.fillna(0).astype(int), rid=np.arange(len(df)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = moderndid.att_gt(d, yname="trust", tname="wave", idname="rid", gname="g",
                             panel=False, est_method="reg", anticipation=1,
                             base_period="universal", control_group="nevertreated")
    ref = {(float(g), float(t)): v for g, t, v in zip(a.groups, a.times, a.att_gt, strict=True)}
    gt = r.group_time
    assert len(gt) > 10
    for row in gt.itertuples():
        assert abs(row.estimate - ref[(float(row.cohort), float(row.time))]) < 1e-6
    assert r.spec["anticipation"] == 1


def test_pretest_power_by_simulation():
    """The slope given 80% power is detected about 80% of the time (chi-square case)."""
    rng = np.random.default_rng(0)
    rel = np.array([-4, -3, -2, 0, 1])
    A = rng.normal(size=(5, 5))
    S = A @ A.T * 0.01 + np.eye(5) * 0.005
    p = pretest_power(rel, np.zeros(5), S, n_clusters=2)  # G - q < 1: chi-square test
    assert p["test"].startswith("chi-square")
    slope = p["slope_80"]
    pre = rel < 0
    V = S[np.ix_(pre, pre)]
    delta = slope * (rel[pre] + 1)
    draws = rng.multivariate_normal(delta, V, size=20000)
    W = np.einsum("ij,jk,ik->i", draws, np.linalg.inv(V), draws)
    from scipy import stats
    rate = np.mean(W > stats.chi2.isf(0.05, 3))
    assert abs(rate - 0.8) < 0.015
    assert p["slope_50"] < p["slope_80"]


@pytest.mark.slow
def test_honest_bounds_agree_with_honestdid_package():
    """moderndid's HonestDiD (used here) against the honestdid package on one case."""
    honestdid = pytest.importorskip("honestdid")
    beta = np.array([0.02, -0.01, 0.015, -0.06, -0.08])
    rng = np.random.default_rng(1)
    A = rng.normal(size=(5, 5)) * 0.01
    sigma = A @ A.T + np.eye(5) * 1e-4
    out = honest_sensitivity([-4, -3, -2, 0, 1], beta, sigma, n_clusters=20, m=(0.01,),
                             relative_magnitudes=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = honestdid.createSensitivityResults(beta, sigma, 3, 2, Mvec=np.array([0.01]),
                                                 l_vec=np.array([0.5, 0.5]))
        orig = honestdid.constructOriginalCS(beta, sigma, 3, 2, l_vec=np.array([0.5, 0.5]))
    sm = [b for b in out["bounds"] if b["restriction"] == "smoothness"][0]
    # both optimise the same FLCI numerically; they agree to the optimiser's tolerance
    assert abs(sm["ci_low"] - float(ref["lb"].iloc[0])) < 1e-3
    assert abs(sm["ci_high"] - float(ref["ub"].iloc[0])) < 1e-3
    none = out["bounds"][0]
    assert abs(none["ci_low"] - float(orig["lb"].iloc[0])) < 1e-9
    assert abs(none["ci_high"] - float(orig["ub"].iloc[0])) < 1e-9
    assert any("Roth 2022" in s for s in out["sentences"])


def test_cli_staggered_ddd_json(tmp_path, capsys):
    path = tmp_path / "d.csv"
    df = simulate(n_jurisdictions=8, n_waves=7, responses_per_cell=30,
                  first_treated=(4, 4, 5, 6, 0, 0, 0, 0), seed=5)
    df.to_csv(path, index=False)
    code = main(["staggered-ddd", "--data", str(path), "--outcome", "trust", "--unit",
                 "jurisdiction", "--time", "wave", "--first-treated", "first_treated",
                 "--subgroup", "immigrant", "--n-perm", "19", "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    d = json.loads(out.out)
    assert list(d)[:3] == ["att", "periods", "pretrend_p"]
    assert set(d["twfe"]) == {"estimate", "se", "ci_low", "ci_high"}
    assert {r["share"] for r in d["composition"]} == {"immigrant", "Spanish-speaking"}
    code = main(["staggered-ddd", "--data", str(path), "--outcome", "trust", "--unit",
                 "jurisdiction", "--time", "wave", "--first-treated", "first_treated",
                 "--subgroup", "immigrant", "--honest", "--honest-mbar", "none", "--pretrend-ri",
                 "off",
                 "--composition", "none", "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    d = json.loads(out.out)
    assert "composition" not in d or d["composition"] == []
    assert d["honest"]["target"] == "average post-event effect"
    code = main(["staggered-ddd", "--data", str(path), "--outcome", "trust", "--unit",
                 "jurisdiction", "--time", "wave", "--first-treated", "first_treated",
                 "--subgroup", "trust"])
    assert code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_doubly_robust_event_study_matches_moderndid():
    import moderndid

    from analysis.dr_event import dr_event_study

    df = simulate(n_jurisdictions=8, n_waves=7, responses_per_cell=40,
                  first_treated=(4, 4, 5, 6, 0, 0, 0, 0), seed=3)
    r = dr_event_study(df, "trust", "jurisdiction", "wave", "first_treated",
                       ["age_band", "immigrant"])
    d = df.assign(g=df.first_treated.fillna(0).astype(int), rid=np.arange(len(df)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = moderndid.att_gt(d, yname="trust", tname="wave", idname="rid", gname="g",
                             xformla="~age_band+immigrant", panel=False, est_method="dr",
                             base_period="universal", control_group="nevertreated")
        s = moderndid.aggte(a, type="simple")
    assert abs(r.att["estimate"] - s.overall_att) < 1e-6
    # one cluster per respondent: the clustered variance is moderndid's analytic one x n/(n-1)
    one = dr_event_study(df.assign(rid=np.arange(len(df))), "trust", "jurisdiction", "wave",
                         "first_treated", ["age_band", "immigrant"], cluster="rid")
    n = len(df)
    assert abs(one.att["se"] - s.overall_se * np.sqrt(n / (n - 1))) < 1e-6
    assert r.comparison.shape[0] > 0 and r.spec["estimator"] == "dr"


def test_cli_event_study_dr_honest_and_figure_base(tmp_path, capsys):
    path = tmp_path / "d.csv"
    df = simulate(n_jurisdictions=8, n_waves=7, responses_per_cell=30,
                  first_treated=(4, 4, 5, 6, 0, 0, 0, 0), seed=5)
    df.to_csv(path, index=False)
    base = ["event-study", "--data", str(path), "--outcome", "trust", "--unit", "jurisdiction",
            "--time", "wave", "--first-treated", "first_treated", "--format", "json"]
    code = main(base + ["--estimator", "dr", "--controls", "age_band"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out)["att"]["estimate"] is not None
    code = main(base + ["--honest", "--honest-mbar", "none", "--composition", "none"])
    out = capsys.readouterr()
    assert code == 0, out.err
    h = json.loads(out.out)["honest"]
    assert {"bounds", "breakdown", "pretest_power", "sentences"} <= set(h)
    assert "no proof of parallel trends" in h["sentences"][-1]
    # the figure draws every series against wave -1 and says so
    r = event_study(df, "trust", "jurisdiction", "wave", "first_treated")
    figure = r.sections()[4].payload  # the event figure the result builds for every format
    frame = figure.frame
    cs = frame[frame["series"] == "cs"].set_index("rel_time")["estimate"]
    uni = event_study(df, "trust", "jurisdiction", "wave", "first_treated",
                      base_period="universal").periods.set_index("rel_time")["estimate"]
    assert np.allclose(cs.sort_index().to_numpy(float), uni.sort_index().to_numpy(float))
    assert "base: wave -1 for every series" in figure.x_label


def test_study_report_puts_composition_beside_every_effect():
    from analysis import study_report

    df = simulate(n_jurisdictions=8, n_waves=7, responses_per_cell=30,
                  first_treated=(4, 4, 5, 6, 0, 0, 0, 0), seed=5)
    rep = study_report(df, "trust", treated="treated", post="post", unit="jurisdiction",
                       time="wave", first_treated="first_treated", subgroup="immigrant",
                       n_boot=99)
    for name, r in rep.results:
        if getattr(r, "kind", "") in ("did", "ddd", "event_study"):
            comp = r.extras["composition"]
            assert {c["share"] for c in comp} == {"immigrant", "Spanish-speaking"}, name
    assert any(c.startswith("Composition:") for c in rep.caveats)
    assert any(c.startswith("Pre-test power:") and "80%" in c for c in rep.caveats)
    rep2 = study_report(df, "trust", treated="treated", post="post", unit="jurisdiction",
                        time="wave", n_boot=99)
    did_res = dict(rep2.results)["Difference-in-differences"]
    assert did_res.extras["composition"][0]["estimate"] is not None


def test_gap_pretrend_test_uses_the_estimable_subspace():
    from scipy import stats

    from analysis._gap_ri import pretrend_test

    rng = np.random.default_rng(3)
    psi = rng.normal(size=(8, 2))
    psi = np.column_stack([psi, psi.sum(axis=1)])  # third estimate tied to the first two
    V = 8 / 7 * psi.T @ psi
    theta = np.array([0.1, -0.05, 0.05])
    out = pretrend_test(theta, V, 8)
    assert out["df1"] == 2 and out["df2"] == 6
    w = theta[:2] @ np.linalg.solve(V[:2, :2], theta[:2])  # same subspace, full rank
    assert out["statistic"] == pytest.approx(w / 2 * 6 / 7, rel=1e-8)
    assert out["p_value"] == pytest.approx(stats.f.sf(w / 2 * 6 / 7, 2, 6), rel=1e-8)


@pytest.mark.slow
def test_gap_pretrend_randomization_test_has_its_size():
    """300 studies with no effect before adoption: Fisher's test of the gap's pre-event
    estimates rejects about 5% at 5% (the F test rejected 16% on this design)."""
    from analysis._gap_ri import gap_pretrend_ri

    R, rejections = 300, 0
    for s in range(1, R + 1):
        d = _sim(1000 + s)
        times = np.unique(d.t.to_numpy())
        gj = d.groupby("j").g.first().sort_index().to_numpy()
        ucohort = np.where(gj > 0, np.searchsorted(times, gj), -1)
        r = gap_pretrend_ri(d.y.to_numpy(), d.j.to_numpy(), np.searchsorted(times, d.t.to_numpy()),
                            ucohort, d.q.to_numpy(), times, n_perm=39, seed=s)
        rejections += r["p_value"] <= 0.05
    assert 0.02 <= rejections / R <= 0.085, rejections / R

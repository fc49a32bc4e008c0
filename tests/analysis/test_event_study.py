"""event_study against independent computations and the `differences` package."""

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from analysis.did import did
from analysis.errors import (
    ConstantTreatment,
    InvalidSpecification,
    NoComparisonGroup,
    UnknownColumn,
)
from analysis.event_study import event_study
from analysis.simulate import simulate

REL = 1e-6


@pytest.fixture(scope="module")
def stag():
    return simulate(n_jurisdictions=30, n_waves=6, responses_per_cell=30, seed=3)


def _means(df, mask, wave):
    return df.loc[mask & (df["wave"] == wave), "trust"].mean()


def test_cs_group_time_are_differences_of_means(stag):
    r = event_study(stag, "trust", "jurisdiction", "wave", "first_treated")
    never = stag["first_treated"] == 0
    for row in r.group_time.itertuples():
        g, t = int(row.cohort), int(row.time)
        base = g - 1 if t >= g else t - 1
        coh = stag["first_treated"] == g
        expect = (_means(stag, coh, t) - _means(stag, coh, base)) - (
            _means(stag, never, t) - _means(stag, never, base))
        assert row.estimate == pytest.approx(expect, rel=REL)
    # simple ATT: post group-time effects weighted by group size
    gt = r.group_time
    post = gt[gt["rel_time"] >= 0]
    size = stag.groupby("first_treated").size()
    w = post["cohort"].map(size)
    assert r.att["estimate"] == pytest.approx((w * post["estimate"]).sum() / w.sum(), rel=REL)


def test_cs_matches_differences_package(stag):
    differences = pytest.importorskip("differences")
    d = stag.assign(cohort=stag["first_treated"].replace(0, np.nan).astype(float))
    att = differences.ATTgt(data=d.set_index(["respondent", "wave"]), cohort_column="cohort")
    att.fit(formula="trust", control_group="never_treated", as_repeated_cross_section=True,
            progress_bar=False)
    simple = att.aggregate("simple")
    event = att.aggregate("event")
    # respondent-level influence functions: cluster = respondent
    r = event_study(stag, "trust", "jurisdiction", "wave", "first_treated", cluster="respondent",
                    inference="cluster")
    n = len(stag)
    unfactor = np.sqrt((n - 1) / n)  # differences omits the G/(G-1) factor we apply
    assert r.att["estimate"] == pytest.approx(simple.iloc[0, 0], rel=REL)
    assert r.att["se"] * unfactor == pytest.approx(simple.iloc[0, 1], rel=1e-5)
    ours = r.periods.set_index("rel_time")
    for rel, est, se in zip(event.index, event.iloc[:, 0], event.iloc[:, 1], strict=False):
        assert ours.loc[rel, "estimate"] == pytest.approx(est, rel=REL)
        assert ours.loc[rel, "se"] * unfactor == pytest.approx(se, rel=1e-5)


def test_cs_not_yet_treated_matches_differences_package(stag):
    differences = pytest.importorskip("differences")
    d = stag.assign(cohort=stag["first_treated"].replace(0, np.nan).astype(float))
    att = differences.ATTgt(data=d.set_index(["respondent", "wave"]), cohort_column="cohort")
    att.fit(formula="trust", control_group="not_yet_treated", as_repeated_cross_section=True,
            progress_bar=False)
    simple = att.aggregate("simple")
    r = event_study(stag, "trust", "jurisdiction", "wave", "first_treated",
                    control_group="notyet", cluster="respondent", inference="cluster")
    assert r.att["estimate"] == pytest.approx(simple.iloc[0, 0], rel=REL)
    n = len(stag)
    assert r.att["se"] * np.sqrt((n - 1) / n) == pytest.approx(simple.iloc[0, 1], rel=1e-5)


def _event_dummies(df, ref=-1):
    rel = (df["wave"] - df["first_treated"]).where(df["first_treated"] > 0)
    cols = []
    out = df.copy()
    for e in sorted(rel.dropna().unique()):
        if e == ref:
            continue
        name = f"e_{'m' if e < 0 else 'p'}{abs(int(e))}"
        out[name] = (rel == e).astype(float)
        cols.append((int(e), name))
    return out, cols


def test_twfe_dynamic_matches_pyfixest(stag):
    r = event_study(stag, "trust", "jurisdiction", "wave", "first_treated", estimator="twfe")
    d, cols = _event_dummies(stag)
    m = pf.feols("trust ~ " + " + ".join(c for _, c in cols) + " | jurisdiction + wave", d,
                 vcov={"CRV1": "jurisdiction"})
    per = r.periods.set_index("rel_time")
    for e, name in cols:
        assert per.loc[e, "estimate"] == pytest.approx(m.coef()[name], rel=REL)
        assert per.loc[e, "se"] == pytest.approx(m.se()[name], rel=REL)
    # joint pre-trend test on the leads (e <= -2), Hotelling-corrected F(q, G - q)
    leads = [name for e, name in cols if e <= -2]
    b = m.coef()[leads].to_numpy()
    V = m._vcov[np.ix_([m._coefnames.index(x) for x in leads],
                       [m._coefnames.index(x) for x in leads])]
    q, G = len(leads), 30
    F = b @ np.linalg.solve(V, b) / q * (G - q) / (G - 1)
    assert r.pretrend["statistic"] == pytest.approx(F, rel=REL)
    # the static ATT is the TWFE DiD
    static = did(stag, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster")
    assert r.att["estimate"] == pytest.approx(static.estimate, rel=REL)
    assert r.att["se"] == pytest.approx(static.se, rel=REL)


def test_sun_abraham_matches_pyfixest_interactions(stag):
    r = event_study(stag, "trust", "jurisdiction", "wave", "first_treated", estimator="sa")
    rel = (stag["wave"] - stag["first_treated"]).where(stag["first_treated"] > 0)
    d = stag.copy()
    names = {}
    for g in sorted(stag.loc[stag["first_treated"] > 0, "first_treated"].unique()):
        for e in sorted(rel[stag["first_treated"] == g].unique()):
            if e == -1:
                continue
            nm = f"g{g}_{'m' if e < 0 else 'p'}{abs(int(e))}"
            d[nm] = ((stag["first_treated"] == g) & (rel == e)).astype(float)
            names[(g, int(e))] = nm
    m = pf.feols("trust ~ " + " + ".join(names.values()) + " | jurisdiction + wave", d,
                 vcov={"CRV1": "jurisdiction"})
    gt = r.group_time
    for row in gt.itertuples():
        nm = names[(int(row.cohort), int(row.rel_time))]
        assert row.estimate == pytest.approx(m.coef()[nm], rel=REL)
        assert row.se == pytest.approx(m.se()[nm], rel=REL)
    # dynamic: cohort-share weighted average at each event time
    e0 = [(g, nm) for (g, e), nm in names.items() if e == 0]
    share = np.array([((d["first_treated"] == g) & (rel == 0)).sum() for g, _ in e0], float)
    share /= share.sum()
    expect = share @ m.coef()[[nm for _, nm in e0]].to_numpy()
    assert r.periods.set_index("rel_time").loc[0, "estimate"] == pytest.approx(expect, rel=REL)


def test_cell_level_data_gives_same_answers(stag):
    cells = (stag.groupby(["jurisdiction", "wave"])
             .agg(trust=("trust", "mean"), n=("trust", "size"),
                  first_treated=("first_treated", "first")).reset_index())
    for est in ("cs", "sa"):
        a = event_study(stag, "trust", "jurisdiction", "wave", "first_treated", estimator=est)
        b = event_study(cells, "trust", "jurisdiction", "wave", "first_treated", estimator=est,
                        weights="n")
        assert b.att["estimate"] == pytest.approx(a.att["estimate"], rel=REL)
        # cs influence functions use only cell sums: identical errors; sa's small-sample
        # factor (N-1)/(N-K) sees the number of cells instead of respondents
        assert b.att["se"] == pytest.approx(a.att["se"], rel=REL if est == "cs" else 0.1)
        pd.testing.assert_series_equal(a.periods["estimate"], b.periods["estimate"], rtol=1e-6)
    assert b.n_obs == len(cells)


def test_notyet_and_universal_and_controls(stag):
    r = event_study(stag, "trust", "jurisdiction", "wave", "first_treated", control_group="notyet",
                    base_period="universal")
    assert -1 not in set(r.periods["rel_time"])
    assert np.isfinite(r.att["estimate"])
    s = event_study(stag, "trust", "jurisdiction", "wave", "first_treated", estimator="sa",
                    controls=["age_band"])
    assert abs(s.att["estimate"] - stag.attrs["truth"]["effect_average"]) < 4 * s.att["se"]
    only_treated = stag[stag["first_treated"] > 0]
    n = event_study(only_treated, "trust", "jurisdiction", "wave", "first_treated",
                    control_group="notyet")
    assert np.isfinite(n.att["estimate"])
    sa = event_study(only_treated, "trust", "jurisdiction", "wave", "first_treated",
                     estimator="sa")
    assert np.isfinite(sa.att["estimate"])


def test_json_contract(stag):
    d = event_study(stag, "trust", "jurisdiction", "wave", "first_treated").to_dict()
    assert set(d["att"]) >= {"estimate", "se", "ci_low", "ci_high"}
    # keys are added (uniform bands, issue 12), never renamed
    assert all(set(p) >= {"rel_time", "estimate", "se", "ci_low", "ci_high"} for p in d["periods"])
    assert isinstance(d["pretrend_p"], float)


def test_errors(stag):
    with pytest.raises(UnknownColumn):
        event_study(stag, "trust", "jurisdiction", "wave", "cohort")
    with pytest.raises(NoComparisonGroup):
        event_study(stag[stag["first_treated"] > 0], "trust", "jurisdiction", "wave",
                    "first_treated")
    with pytest.raises(ConstantTreatment):
        event_study(stag.assign(first_treated=0), "trust", "jurisdiction", "wave", "first_treated")
    with pytest.raises(InvalidSpecification, match="constant within"):
        event_study(stag.assign(first_treated=stag["wave"]), "trust", "jurisdiction", "wave",
                    "first_treated")
    with pytest.raises(InvalidSpecification, match="controls"):
        event_study(stag, "trust", "jurisdiction", "wave", "first_treated", controls="age_band")
    with pytest.raises(InvalidSpecification):
        event_study(stag, "trust", "jurisdiction", "wave", "first_treated", estimator="bjs")


def test_missing_first_treated_means_never(stag):
    a = event_study(stag, "trust", "jurisdiction", "wave", "first_treated")
    b = event_study(stag.assign(first_treated=stag["first_treated"].replace(0, np.nan)),
                    "trust", "jurisdiction", "wave", "first_treated")
    assert a.att["estimate"] == pytest.approx(b.att["estimate"], rel=REL)


@pytest.mark.slow
def test_pretrend_test_size_and_power():
    """Under parallel trends the pre-trend test rejects at about 5%; with a trend, often."""
    reject, reject_trend = [], []
    for s in range(300):
        df = simulate(n_jurisdictions=30, n_waves=6, responses_per_cell=20, seed=1000 + s,
                      first_treated=(3,) * 8 + (4,) * 7 + (0,) * 15)
        reject.append(event_study(df, "trust", "jurisdiction", "wave", "first_treated")
                      .pretrend_p < 0.05)
        if s < 60:
            dft = simulate(n_jurisdictions=30, n_waves=6, responses_per_cell=20, seed=5000 + s,
                           first_treated=(3,) * 8 + (4,) * 7 + (0,) * 15, pre_trend=0.3)
            reject_trend.append(event_study(dft, "trust", "jurisdiction", "wave",
                                            "first_treated").pretrend_p < 0.05)
    rate = np.mean(reject)
    assert 0.02 <= rate <= 0.09, rate
    assert np.mean(reject_trend) > 0.5

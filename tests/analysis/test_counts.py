"""Police-records count designs against pyfixest ``fepois``, and their inference."""

import re
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from scipy import stats

from analysis._adoption import adoption_assignments, equal_tailed_p, n_distinct
from analysis._count_ri import (
    Blocks,
    assignment_matrix,
    permutation_pvalue,
    randomization_inference,
)
from analysis._ols import Design, FixedEffect
from analysis._poisson import fit
from analysis._prep import codes
from analysis.counts import attach_events, count_ddd, count_did, count_event_study
from analysis.errors import (
    ConstantTreatment,
    InvalidSpecification,
    NoComparisonGroup,
    NotEnoughResponses,
    UnknownColumn,
)
from analysis.offences import SENSITIVE
from analysis.simulate import periods_from_waves, simulate_records

REL = 1e-6
DEMO_WAVES = (0, 4, 0, 4, 6, 0, 7, 0)   # the demo's events (BAY, DUN at 4, EAS at 6, GRA at 7)


def fepois(fml, data, vcov):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # pyfixest's own separation and deprecation notices
        return pf.fepois(fml, data, vcov=vcov, iwls_tol=1e-14, iwls_maxiter=200).tidy()


@pytest.fixture(scope="module")
def records():
    return simulate_records(first_treated=periods_from_waves(DEMO_WAVES), seed=11)


@pytest.fixture(scope="module")
def focus_sensitive(records):
    """Hispanic victims' sensitive reports per place-month, as count_did sums them."""
    sub = records[(records["group"] == "hispanic") & records["category"].isin(SENSITIVE)]
    out = sub.groupby(["place", "period"], as_index=False).agg(
        count=("count", "sum"), treated=("treated", "first"), post=("post", "first"),
        event_time=("event_time", "first"))
    out["D"] = out["treated"] * out["post"]
    return out


# ---------------------------------------------------------------- the engine
@pytest.fixture(scope="module")
def messy_panel():
    """Over-dispersed counts, a continuous regressor, weights and an all-zero place."""
    rng = np.random.default_rng(1)
    J, T = 8, 30
    df = pd.DataFrame({"j": np.repeat(np.arange(J), T), "t": np.tile(np.arange(T), J)})
    ft = np.array([10, 10, 16, 19, 0, 0, 0, 0])
    df["D"] = ((ft[df.j] > 0) & (df.t >= ft[df.j])).astype(float)
    df["x"] = rng.normal(size=len(df))
    lam = np.exp(1 + 0.3 * rng.normal(size=J)[df.j] + 0.1 * np.sin(df.t) - 0.2 * df.D + 0.1 * df.x)
    df["y"] = rng.negative_binomial(5, 5 / (5 + lam))
    df.loc[df.j == 7, "y"] = 0
    df["w"] = rng.uniform(0.5, 2, len(df))
    return df


@pytest.mark.parametrize("vcov, se", [({"CRV1": "j"}, "cluster"), ("hetero", "hc1"),
                                      ("iid", "classical")])
@pytest.mark.parametrize("weights", [None, "w"])
def test_engine_matches_fepois(messy_panel, vcov, se, weights):
    df = messy_panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf.fepois("y ~ D + x | j + t", df, vcov=vcov, weights=weights, iwls_tol=1e-14,
                      iwls_maxiter=200)
    ref = m.tidy()
    fes = tuple(FixedEffect(c, *codes(df[c])) for c in ("j", "t"))
    cl, G = codes(df["j"])
    r = fit(Design(y=df.y.to_numpy(float), X=df[["D", "x"]].to_numpy(float), names=("D", "x"),
                   fe=fes, weights=None if weights is None else df.w.to_numpy(), cluster=cl,
                   n_clusters=G), se)
    np.testing.assert_allclose(r.beta, ref["Estimate"].to_numpy(), rtol=REL)
    np.testing.assert_allclose(np.sqrt(np.diag(r.vcov)), ref["Std. Error"].to_numpy(), rtol=REL)
    assert r.n_obs == m._N == 210          # the all-zero place is dropped, as pyfixest does
    assert r.n_separated == 30


# ---------------------------------------------------------------- public estimators
def test_count_did_matches_fepois(records, focus_sensitive):
    r = count_did(records, groups="hispanic", categories=SENSITIVE, se="cluster")
    ref = fepois("count ~ D | place + period", focus_sensitive, {"CRV1": "place"}).loc["D"]
    assert r.estimate == pytest.approx(ref["Estimate"], rel=REL)
    assert r.se == pytest.approx(ref["Std. Error"], rel=REL)
    # Convention: clustered intervals use t(G - 1) (the survey estimators' rule); pyfixest's
    # fepois uses the normal distribution, so only the reference distribution differs.
    t_stat = r.estimate / r.se
    assert r.p_value == pytest.approx(2 * stats.t.sf(abs(t_stat), 7), rel=1e-9)
    assert ref["Pr(>|t|)"] == pytest.approx(2 * stats.norm.sf(abs(t_stat)), rel=1e-5)
    assert ref["2.5%"] == pytest.approx(r.estimate - stats.norm.ppf(0.975) * r.se, rel=REL)
    pct = r.percent_change
    assert pct["estimate"] == pytest.approx(100 * np.expm1(r.estimate))
    assert pct["ci_low"] == pytest.approx(100 * np.expm1(r.ci[0]))


@pytest.mark.parametrize("se, vcov", [("hc1", "hetero"), ("classical", "iid")])
def test_count_did_other_errors_match_fepois(records, focus_sensitive, se, vcov):
    r = count_did(records, groups="hispanic", categories=SENSITIVE, se=se)
    ref = fepois("count ~ D | place + period", focus_sensitive, vcov).loc["D"]
    assert r.se == pytest.approx(ref["Std. Error"], rel=REL)


def test_count_ddd_matches_fepois_with_four_interacted_fixed_effects(records):
    r = count_ddd(records, se="cluster")
    rows = records[records["category"].isin(SENSITIVE + ("homicide", "motor_vehicle_theft"))
                   & (records["group"] != "unknown")]
    cells = (rows.assign(focus=(rows["group"] == "hispanic").astype(int),
                         sensitive=rows["category"].isin(SENSITIVE).astype(int))
             .groupby(["place", "period", "focus", "sensitive"], as_index=False)
             .agg(count=("count", "sum"), D=("post", "first")))
    cells["DGS"] = cells["D"] * cells["focus"] * cells["sensitive"]
    ref = fepois("count ~ DGS | place^period^focus + place^period^sensitive + "
                 "place^focus^sensitive + period^focus^sensitive", cells,
                 {"CRV1": "place"}).loc["DGS"]
    assert r.estimate == pytest.approx(ref["Estimate"], rel=REL)
    assert r.se == pytest.approx(ref["Std. Error"], rel=REL)
    assert r.term == "treated:post:focus:sensitive"


def test_count_event_study_matches_fepois(records, focus_sensitive):
    es = count_event_study(records, groups="hispanic", categories=SENSITIVE, window=(-3, 4))
    d = focus_sensitive.copy()
    rel = d["event_time"].astype("Float64").fillna(-99).astype(int).clip(-3, 4)
    names = []
    for k in [-3, -2, 0, 1, 2, 3, 4]:
        name = f"k{k + 10}"
        d[name] = ((d["treated"] == 1) & (rel == k)).astype(float)
        names.append(name)
    ref = fepois(f"count ~ {' + '.join(names)} | place + period", d, {"CRV1": "place"})
    got = es.periods.set_index("rel_time")
    for k, name in zip([-3, -2, 0, 1, 2, 3, 4], names, strict=True):
        assert got.loc[k, "estimate"] == pytest.approx(ref.loc[name, "Estimate"], rel=REL)
        assert got.loc[k, "se"] == pytest.approx(ref.loc[name, "Std. Error"], rel=REL)
    assert got.loc[-1, "estimate"] == 0.0
    did = count_did(records, groups="hispanic", categories=SENSITIVE)
    assert es.att["estimate"] == pytest.approx(did.estimate)
    assert es.att["ci_low"] == pytest.approx(did.ci[0])
    pre = es.pretrend
    assert pre["df1"] == 2 and pre["df2"] == 6        # e=-3, e=-2 with 8 places
    assert 0 <= es.pretrend_p <= 1


# ---------------------------------------------------------------- randomization inference
def test_adoption_assignments_enumerate_every_distinct_assignment():
    ft = np.array([0, 10, 0, 10, 16, 0, 19, 0])
    A, enumerated, total = adoption_assignments(ft, 999)
    assert enumerated and total == n_distinct(ft) == 840 == len(A)
    assert (A[0] == ft).all()
    assert len({tuple(a) for a in A}) == 840
    assert all(sorted(a) == sorted(ft) for a in A)
    B, enumerated, total = adoption_assignments(np.r_[ft, ft, ft], 199, seed=3)
    assert not enumerated and len(B) == 200 and total > 10**9 and (B[0] == np.r_[ft, ft, ft]).all()
    with pytest.raises(InvalidSpecification):
        adoption_assignments(ft, 5)


def test_equal_tailed_p():
    placebo = np.arange(100, dtype=float)
    assert equal_tailed_p(0.0, placebo) == pytest.approx(0.02)
    assert equal_tailed_p(49.5, placebo) == 1.0
    assert equal_tailed_p(-1.0, placebo) == 0.0


def _ddd_pieces(seed=5):
    """A small 2 x 2 x place x period design built by hand for the private RI functions."""
    rng = np.random.default_rng(seed)
    J, T = 6, 12
    grid = pd.MultiIndex.from_product([range(J), range(T), [0, 1], [0, 1]],
                                      names=["j", "t", "g", "s"]).to_frame(index=False)
    first = np.array([4, 4, 8, -1, -1, -1])
    first = np.where(first < 0, 10**9, first)
    D = (grid["t"].to_numpy() >= first[grid["j"]]).astype(float)
    gs = (grid["g"] * grid["s"]).to_numpy(float)
    mu = np.exp(2 + 0.3 * grid["g"] + 0.5 * grid["s"] + 0.2 * rng.normal(size=J)[grid["j"]]
                - 0.3 * D * gs)
    y = rng.poisson(mu).astype(float)
    fes = []
    for cols in (["j", "t", "g"], ["j", "t", "s"], ["j", "g", "s"], ["t", "g", "s"]):
        c, n = codes(grid[cols])
        fes.append(FixedEffect("^".join(cols), c, n))
    A, _, _ = adoption_assignments(first, 999)
    Dm = assignment_matrix(grid["j"].to_numpy(), grid["t"].to_numpy(), gs, A)
    block = (grid["j"] * T + grid["t"]).to_numpy()
    sign = np.where(grid["g"] == grid["s"], 1.0, -1.0)
    rows = np.arange(0, len(grid), 4)
    bfes = (FixedEffect("place", *codes(grid["j"].iloc[rows])),
            FixedEffect("period", *codes(grid["t"].iloc[rows])))
    blocks = Blocks(block=block, sign=sign, fes=bfes,
                    D=assignment_matrix(grid["j"].to_numpy()[rows], grid["t"].to_numpy()[rows],
                                        np.ones(len(rows)), A))
    return y, tuple(fes), Dm, blocks


def test_reduced_triple_difference_statistic_equals_the_general_one():
    y, fes, Dm, blocks = _ddd_pieces()
    general = permutation_pvalue(y, fes, None, Dm)
    reduced = permutation_pvalue(y, fes, None, Dm, blocks=blocks)
    for b in (-0.6, -0.3, -0.1, 0.0, 0.2):
        assert reduced(b) == pytest.approx(general(b), abs=1e-12)


def test_interval_is_the_inverted_permutation_test():
    y, fes, Dm, blocks = _ddd_pieces(seed=8)
    design = Design(y=y, X=Dm[:, :1], names=("D",), fe=fes, cluster=codes(
        pd.Series(np.repeat(np.arange(6), 48)))[0], n_clusters=6)
    res = fit(design, "cluster")
    est, se = float(res.beta[0]), float(np.sqrt(res.vcov[0, 0]))
    ri = randomization_inference(y, fes, None, Dm, estimate=est, scale=se, blocks=blocks)
    p = permutation_pvalue(y, fes, None, Dm, blocks=blocks)
    eps = 2e-3 * se
    assert p(ri["ci_low"] - eps) < 0.05 <= p(ri["ci_low"] + eps)
    assert p(ri["ci_high"] + eps) < 0.05 <= p(ri["ci_high"] - eps)
    assert ri["p_value"] == p(0.0)
    assert (ri["p_value"] < 0.05) == (not ri["ci_low"] <= 0 <= ri["ci_high"])


def test_auto_inference_is_randomization_with_few_places(records):
    r = count_did(records, groups="hispanic", categories=SENSITIVE)
    ri = r.extras["randomization"]
    assert r.spec["se"] == "ri" and ri["enumerated"] and ri["n_assignments"] == 840
    assert "permuted across places" in r.inference
    assert "only 8 places (4 treated)" in r.spec["se_reason"]
    assert r.extras["crv1"]["se"] == pytest.approx(r.se)
    assert r.ci[0] <= r.estimate <= r.ci[1]
    assert any(n.startswith("staggered adoption") for n in r.notes)


def test_too_few_places_give_an_honest_unbounded_interval(records):
    three = records[records["place"].isin(["J01", "J02", "J03"])]
    r = count_did(three, groups="hispanic", categories=SENSITIVE)
    assert r.extras["randomization"]["n_assignments"] == 3
    assert r.ci == (-np.inf, np.inf) and r.p_value == pytest.approx(2 / 3)
    assert any("smallest attainable p-value is 0.667" in n for n in r.notes)
    assert "95% CI -100.0% to unbounded" in r.sentence()


# ---------------------------------------------------------------- reporting vs crime
def _drop(**kw):
    df = simulate_records(first_treated=periods_from_waves(DEMO_WAVES), n_periods=36, **kw)
    ddd = count_ddd(df)
    did = count_did(df, groups="hispanic", categories=SENSITIVE)
    return ddd, did


def test_ddd_finds_a_reporting_drop_while_crime_is_flat():
    ddd, did = _drop(reporting_effect=-0.3, crime_effect_focus=0.0, seed=21)
    assert ddd.ci[1] < 0 and ddd.ci[0] <= -0.3 <= ddd.ci[1]
    assert did.ci[1] < 0


def test_ddd_finds_no_reporting_drop_when_reports_and_crime_fall_alike():
    ddd, did = _drop(reporting_effect=0.0, crime_effect_focus=-0.3, seed=21)
    assert did.ci[1] < 0                       # the naive DiD sees reports fall...
    assert ddd.ci[0] <= 0 <= ddd.ci[1]         # ...the triple difference sees no reporting drop
    assert abs(ddd.estimate) < 0.15


# ---------------------------------------------------------------- design columns and errors
def test_attach_events_positions_and_event_time():
    counts = pd.DataFrame({"place": ["A"] * 4 + ["B"] * 4,
                           "period": ["2017-01", "2017-02", "2017-03", "2017-04"] * 2,
                           "count": [1, 2, 3, 4, 5, 6, 7, 8]})
    out = attach_events(counts, {"A": "2017-03"})
    assert out["post"].tolist() == [0, 0, 1, 1, 0, 0, 0, 0]
    assert out["treated"].tolist() == [1] * 4 + [0] * 4
    assert out["event_time"].tolist()[:4] == [-2, -1, 0, 1]
    assert out["event_time"].isna().tolist()[4:] == [True] * 4
    with pytest.raises(InvalidSpecification, match="no records: Z"):
        attach_events(counts, {"Z": "2017-03"})


def test_bad_input_is_a_named_error(records):
    with pytest.raises(UnknownColumn):
        count_did(records, count="reports")
    with pytest.raises(InvalidSpecification, match="non-negative"):
        count_did(records.assign(count=-records["count"]))
    with pytest.raises(NoComparisonGroup):
        count_did(records.assign(treated=1))
    with pytest.raises(ConstantTreatment):
        count_did(records.assign(post=0))
    with pytest.raises(NotEnoughResponses):
        count_did(records, groups="nobody")
    with pytest.raises(InvalidSpecification, match="window"):
        count_event_study(records, window=(0, 3))
    with pytest.raises(InvalidSpecification, match="se must be"):
        count_did(records, se="bootstrap")
    # treatment that switches off again: no adoption dates to permute
    flip = records.copy()
    flip.loc[(flip["place"] == "J02") & (flip["period"] == "2017-12"), "post"] = 0
    with pytest.raises(InvalidSpecification, match="switch on once"):
        count_did(flip, se="ri")
    r = count_did(flip)
    assert r.spec["se"] == "cluster" and any("switch on once" in n for n in r.notes)


def test_results_render_in_every_format(records, tmp_path):
    import json

    from analysis import report

    for res in (count_ddd(records), count_event_study(records, groups="hispanic",
                                                      categories=SENSITIVE)):
        text = res.summary()
        assert "In words" in text and res.sentence() in text
        assert "randomization inference" in text
        html = res.to_html()
        assert "<h2>In words</h2>" in html and not re.search(r"<script[^>]+src=", html)
        data = json.loads(res.to_json())
        assert data["percent_change"]["estimate"] == pytest.approx(
            100 * np.expm1(res.estimate))
        assert "\\section*" in res.to_latex()
        pdf = tmp_path / f"{res.kind}.pdf"
        report.render(res, pdf)
        assert pdf.read_bytes()[:4] == b"%PDF"
    es = json.loads(res.to_json())
    assert set(es["att"]) == {"estimate", "se", "ci_low", "ci_high", "p_value"}
    assert [p["rel_time"] for p in es["periods"]] == list(range(-4, 7))


def test_crv1_interval_uses_t_with_places_minus_one(records):
    r = count_did(records, groups="hispanic", categories=SENSITIVE, se="cluster")
    q = stats.t.ppf(0.975, 7)
    assert r.ci[1] - r.estimate == pytest.approx(q * r.se)

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analysis.errors import InvalidSpecification, NotEnoughResponses, UnknownColumn
from analysis.simulate import simulate
from analysis.weights import kish_deff, rake

AGE = {1: 0.12, 2: 0.20, 3: 0.25, 4: 0.23, 5: 0.20}
GENDER = {1: 0.50, 2: 0.49, 3: 0.01}
BORN = {1: 0.25, 2: 0.15, 3: 0.60}


@pytest.fixture(scope="module")
def survey():
    return simulate(n_jurisdictions=4, n_waves=3, responses_per_cell=150, seed=21)


def test_reaches_margins_in_every_group(survey):
    r = rake(survey, {"age_band": AGE, "gender": GENDER, "born_abroad": BORN},
             by="jurisdiction", trim=None)
    assert r.converged
    w = r.weights
    for _, grp in survey.groupby("jurisdiction"):
        ww = w[grp.index]
        assert ww.mean() == pytest.approx(1.0)
        for var, target in (("age_band", AGE), ("gender", GENDER), ("born_abroad", BORN)):
            share = ww.groupby(grp[var]).sum() / ww.sum()
            for lev, t in target.items():
                assert share[lev] == pytest.approx(t, abs=1e-7)
    t = r.tidy
    assert len(t) == 4 and t["converged"].all()
    assert t["deff_kish"].iloc[0] == pytest.approx(kish_deff(w[survey["jurisdiction"] == "J01"]))
    m = r.margins
    assert {"target", "sample", "weighted"} <= set(m.columns)


def test_solution_has_raking_form(survey):
    """IPF's fixed point: log(w / base) is additive in the margin variables."""
    grp = survey[survey["jurisdiction"] == "J02"]
    r = rake(grp, {"age_band": AGE, "born_abroad": BORN}, trim=None, tol=1e-12)
    d = grp.assign(lw=np.log(r.weights))
    fit = smf.ols("lw ~ C(age_band) + C(born_abroad)", d).fit()
    assert fit.rsquared == pytest.approx(1.0, abs=1e-9)


def test_closed_form_two_by_two():
    # sample 2x2 counts; raking to margins has a closed form when the sample is independent
    d = pd.DataFrame({"a": [0] * 60 + [1] * 40, "b": ([0] * 30 + [1] * 30) + ([0] * 20 + [1] * 20)})
    r = rake(d, {"a": {0: 0.3, 1: 0.7}, "b": {0: 0.8, 1: 0.2}}, trim=None)
    w = r.weights
    # independent sample -> weight = (target_a / sample_a) * (target_b / sample_b)
    expect = np.where(d["a"] == 0, 0.3 / 0.6, 0.7 / 0.4) * np.where(d["b"] == 0, 0.8 / 0.5,
                                                                     0.2 / 0.5)
    np.testing.assert_allclose(w, expect, rtol=1e-8)


def test_trimming_caps_weights(survey):
    grp = survey[survey["jurisdiction"] == "J01"]
    extreme = {"gender": {1: 0.02, 2: 0.02, 3: 0.96}}
    r = rake(grp, extreme, trim=3.0)
    w = r.weights
    assert w.max() <= 3.0 * w.mean() * (1 + 1e-9)
    assert w.min() >= w.mean() / 3.0 * (1 - 1e-9)
    assert r.tidy["n_trimmed"].iloc[0] > 0
    assert not r.converged  # the caps keep it from the margins, and it says so
    assert r.notes
    untrimmed = rake(grp, extreme, trim=None)
    assert untrimmed.deff > r.deff


def test_joint_margin_and_tidy_frame_margins(survey):
    joint = {(a, b): 0.0 for a in range(1, 6) for b in (0, 1)}
    for a in range(1, 6):
        joint[(a, 0)], joint[(a, 1)] = AGE[a] * 0.7, AGE[a] * 0.3
    r = rake(survey, {("age_band", "immigrant"): joint}, trim=None)
    share = r.weights.groupby([survey["age_band"], survey["immigrant"]]).sum() / len(survey)
    assert share[(2, 1)] == pytest.approx(0.2 * 0.3, abs=1e-8)
    tidy = pd.DataFrame([(j, "gender", lev, s) for j in survey["jurisdiction"].unique()
                         for lev, s in GENDER.items()],
                        columns=["jurisdiction", "variable", "level", "share"])
    r2 = rake(survey, tidy, by="jurisdiction")
    assert r2.converged


def test_errors(survey):
    with pytest.raises(UnknownColumn):
        rake(survey, {"age": AGE})
    with pytest.raises(InvalidSpecification, match="no target share"):
        rake(survey, {"gender": {1: 0.5, 2: 0.5}})
    with pytest.raises(NotEnoughResponses, match="collapse"):
        rake(survey[survey["gender"] != 3], {"gender": GENDER})
    with pytest.raises(InvalidSpecification, match="trim"):
        rake(survey, {"gender": GENDER}, trim=0.5)
    with pytest.raises(InvalidSpecification, match="missing"):
        rake(survey.assign(gender=survey["gender"].astype(float).where(survey.index > 3)),
             {"gender": GENDER})


def test_kish():
    assert kish_deff(np.ones(10)) == pytest.approx(1.0)
    w = np.array([1.0, 3.0])
    assert kish_deff(w) == pytest.approx(2 * 10 / 16)

import numpy as np
import pandas as pd
import pytest

from analysis.errors import InvalidSpecification, NonNumericOutcome, UnknownColumn
from analysis.scales import cronbach_alpha, mcdonald_omega, scales
from analysis.simulate import likert_from_latent, simulate


@pytest.fixture(scope="module")
def items():
    df = simulate(n_jurisdictions=4, n_waves=3, responses_per_cell=200, seed=5)
    rng = np.random.default_rng(0)
    out = pd.DataFrame({
        "t1": likert_from_latent(df["trust"], 1, 5, rng),
        "t2": likert_from_latent(df["trust"], 1, 5, rng, reverse=True),
        "t3": likert_from_latent(df["trust"], 1, 5, rng),
        "t4": likert_from_latent(df["trust"], 1, 5, rng),
    })
    out["trust"] = df["trust"]
    return out


DEF = {"trust": {"items": ["t1", "t2", "t3", "t4"], "reverse": ["t2"], "min_items": 2}}


def test_scores_reverse_and_min_items():
    d = pd.DataFrame({"a": [1, 5, np.nan, 2, 9], "b": [5, 1, np.nan, np.nan, 3],
                      "c": [2, 4, 3, np.nan, 3]})
    r = scales(d, {"s": {"items": ["a", "b", "c"], "reverse": ["b"], "min_items": 2}})
    s = r.scores["s"]
    assert s[0] == pytest.approx((1 + 1 + 2) / 3)
    assert s[1] == pytest.approx((5 + 5 + 4) / 3)
    assert np.isnan(s[2]) and np.isnan(s[3])  # fewer than 2 items answered
    assert s[4] == pytest.approx((3 + 3) / 2)  # 9 is out of range -> missing
    assert any("outside" in n for n in r.notes)


def test_alpha_matches_textbook_formula(items):
    r = scales(items, DEF)
    X = items[["t1", "t2", "t3", "t4"]].to_numpy(float).copy()
    X[:, 1] = 6 - X[:, 1]
    k = 4
    var_items = X.var(axis=0, ddof=1).sum()
    var_total = X.sum(axis=1).var(ddof=1)
    assert r.alpha("trust") == pytest.approx(k / (k - 1) * (1 - var_items / var_total), rel=1e-9)
    assert 0.6 < r.alpha("trust") < 0.95
    it = r.items.set_index("item")
    rest = X[:, [0, 2, 3]].sum(axis=1)
    assert it.loc["t2", "item_rest_r"] == pytest.approx(np.corrcoef(X[:, 1], rest)[0, 1])
    assert it.loc["t2", "alpha_if_deleted"] == pytest.approx(cronbach_alpha(X[:, [0, 2, 3]]))
    assert it.loc["t2", "reversed"]
    # the score tracks the latent outcome
    assert np.corrcoef(r.scores["trust"], items["trust"])[0, 1] > 0.85


def test_omega_close_to_alpha_for_parallel_items(items):
    r = scales(items, DEF)
    rel = r.tidy.set_index("scale")
    assert rel.loc["trust", "omega"] == pytest.approx(rel.loc["trust", "alpha"], abs=0.03)
    # congeneric items: omega uses the unequal loadings
    rng = np.random.default_rng(1)
    f = rng.normal(size=3000)
    X = np.column_stack([lam * f + rng.normal(scale=0.5, size=3000) for lam in (0.9, 0.6, 0.3)])
    lam, psi = np.array([0.9, 0.6, 0.3]), np.full(3, 0.25)
    std_l = lam / np.sqrt(lam**2 + psi)
    truth = std_l.sum() ** 2 / (std_l.sum() ** 2 + (1 - std_l**2).sum())
    assert mcdonald_omega(X) == pytest.approx(truth, abs=0.02)
    assert np.isnan(mcdonald_omega(X[:, :2]))


def test_errors(items):
    with pytest.raises(UnknownColumn, match="t9"):
        scales(items, {"s": ["t1", "t9"]})
    with pytest.raises(InvalidSpecification, match="reverse"):
        scales(items, {"s": {"items": ["t1"], "reverse": ["t2"]}})
    with pytest.raises(InvalidSpecification):
        scales(items, {"s": {"items": ["t1", "t2"], "min_items": 3}})
    with pytest.raises(NonNumericOutcome):
        scales(items.assign(t1="x"), {"s": ["t1", "t2"]})
    with pytest.raises(InvalidSpecification):
        scales(items, {})

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.disclosure import suppress, tabulate
from analysis.errors import InvalidSpecification, UnknownColumn


def test_primary_and_complementary_one_way():
    t = pd.DataFrame({"group": list("abcd"), "n": [25, 4, 30, 40], "mean": [3.1, 2.0, 3.3, 3.5]})
    out = suppress(t, "n")
    assert out["suppressed"].tolist() == [True, True, False, False]
    assert out["suppression"].tolist() == ["complementary", "primary", "", ""]
    assert out["n"].isna().tolist() == [True, True, False, False]
    assert out["mean"].isna().tolist() == [True, True, False, False]
    # the input is untouched
    assert t["n"].tolist() == [25, 4, 30, 40]


def test_no_suppression_needed():
    t = pd.DataFrame({"g": ["a", "b"], "n": [10, 11]})
    out = suppress(t)
    assert not out["suppressed"].any()
    assert out["n"].tolist() == [10, 11]


def test_two_small_cells_that_sum_below_threshold_need_a_third():
    t = pd.DataFrame({"g": list("abcd"), "n": [2, 3, 50, 60]})
    out = suppress(t)
    assert out["suppressed"].tolist() == [True, True, True, False]


def test_two_way_table_row_and_column_totals():
    t = pd.DataFrame({
        "jurisdiction": ["A"] * 3 + ["B"] * 3 + ["C"] * 3,
        "wave": [1, 2, 3] * 3,
        "n": [5, 40, 50, 30, 35, 45, 60, 70, 80],
    })
    out = suppress(t, group_cols=[["jurisdiction"], ["wave"]])
    _check_safe(out, [["jurisdiction"], ["wave"]], 10)
    assert out.loc[0, "suppression"] == "primary"
    assert out["suppressed"].sum() >= 4  # a 2x2 pattern at least


def _check_safe(out, partitions, min_count):
    counts = out.get("_orig")
    for cols in partitions:
        for _, grp in out.groupby(cols):
            hidden = grp["suppressed"]
            if hidden.sum() == 0 or hidden.all():
                continue
            assert hidden.sum() >= 2
            if counts is not None:
                assert counts[grp.index[hidden]].sum() >= min_count


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=6, max_size=30), st.integers(2, 5),
       st.sampled_from([5, 10]))
def test_property_no_cell_recoverable_from_totals(counts, n_cols, k):
    n_rows = len(counts) // n_cols
    if n_rows < 1:
        return
    counts = counts[: n_rows * n_cols]
    t = pd.DataFrame({"r": np.repeat(np.arange(n_rows), n_cols),
                      "c": np.tile(np.arange(n_cols), n_rows), "n": counts})
    # the rule publishes zero cells; with suppress_zeros they are small like any other
    for zeros, small in ((False, (t["n"] > 0) & (t["n"] < k)), (True, t["n"] < k)):
        out = suppress(t, "n", k, [["r"], ["c"]], suppress_zeros=zeros)
        out["_orig"] = t["n"]
        assert (out.loc[small, "suppressed"]).all()
        _check_safe(out, [["r"], ["c"]], k)


def test_zeros_option_and_errors():
    t = pd.DataFrame({"g": list("abc"), "n": [0, 20, 30]})
    assert not suppress(t)["suppressed"].any()  # the one rule publishes zeros (see docs/disclosure.md)
    assert suppress(t, suppress_zeros=True)["suppressed"].tolist() == [True, True, False]
    with pytest.raises(UnknownColumn):
        suppress(t, "count")
    with pytest.raises(UnknownColumn):
        suppress(t, group_cols=["x"])
    with pytest.raises(InvalidSpecification):
        suppress(t, min_count=0)
    with pytest.raises(InvalidSpecification):
        suppress(t.assign(n=[-1, 2, 3]))


def test_tabulate_counts_means_and_suppresses(sim_df):
    small = sim_df[sim_df["wave"] <= 2]
    out = tabulate(small, ["jurisdiction", "immigrant"], values=["trust"], min_count=30)
    raw = small.groupby(["jurisdiction", "immigrant"])["trust"].agg(["size", "mean"])
    merged = out.set_index(["jurisdiction", "immigrant"]).join(raw)
    shown = ~merged["suppressed"]
    assert (merged.loc[shown, "n"] == merged.loc[shown, "size"]).all()
    np.testing.assert_allclose(merged.loc[shown, "mean_trust"], merged.loc[shown, "mean"])
    assert (merged.loc[merged["size"] < 30, "suppressed"]).all()
    assert merged.loc[merged["suppressed"], "mean_trust"].isna().all()

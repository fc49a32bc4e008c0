import numpy as np
import pandas as pd
import pytest

from analysis.simulate import (
    SimulationParams,
    default_first_treated,
    likert_from_latent,
    simulate,
)

COLUMNS = [
    "respondent", "jurisdiction", "wave", "first_treated", "treated", "post", "event_time",
    "immigrant", "born_abroad", "age_band", "gender", "language", "trust", "willingness", "fear",
]


def test_columns_and_shapes(sim_df):
    df = sim_df
    assert list(df.columns) == COLUMNS
    p = SimulationParams()
    assert df["jurisdiction"].nunique() == p.n_jurisdictions
    assert sorted(df["wave"].unique()) == list(range(1, p.n_waves + 1))
    # mean responses per cell close to the requested mean
    per_cell = df.groupby(["jurisdiction", "wave"]).size()
    assert len(per_cell) == p.n_jurisdictions * p.n_waves
    assert abs(per_cell.mean() - p.responses_per_cell) < 5
    assert df["respondent"].is_unique
    assert set(df["born_abroad"].unique()) <= {1, 2, 3}
    assert (df["immigrant"] == df["born_abroad"].isin([1, 2]).astype(int)).all()
    assert set(df["age_band"].unique()) <= set(range(1, 6))
    assert set(df["gender"].unique()) <= {1, 2, 3}
    assert set(df["language"].unique()) <= {"en", "es"}
    assert df["jurisdiction"].str.match(r"^J\d{2}$").all()


def test_treatment_columns_consistent(sim_df):
    df = sim_df
    never = df["first_treated"] == 0
    assert (df.loc[never, "treated"] == 0).all()
    assert df.loc[never, "event_time"].isna().all()
    assert (df.loc[~never, "treated"] == 1).all()
    et = df.loc[~never, "event_time"].astype(int)
    assert (et == df.loc[~never, "wave"] - df.loc[~never, "first_treated"]).all()
    assert (df["post"] == ((~never) & (df["wave"] >= df["first_treated"])).astype(int)).all()
    # staggered default: about half treated, 2-3 cohorts, every cohort has pre-waves
    cohorts = df.groupby("jurisdiction")["first_treated"].first()
    assert (cohorts == 0).sum() == 4
    assert 2 <= cohorts[cohorts > 0].nunique() <= 3
    assert (cohorts[cohorts > 0] >= 2).all()


def test_deterministic_for_seed():
    a = simulate(seed=5, n_jurisdictions=4, n_waves=3)
    b = simulate(SimulationParams(seed=5, n_jurisdictions=4, n_waves=3))
    pd.testing.assert_frame_equal(a, b)
    c = simulate(seed=6, n_jurisdictions=4, n_waves=3)
    assert not np.allclose(a["trust"].to_numpy()[:50], c["trust"].to_numpy()[:50])


def test_truth_recorded():
    df = simulate(effect_immigrant=-0.3, effect_nonimmigrant=0.1)
    truth = df.attrs["truth"]
    assert truth["effect_immigrant"] == -0.3
    assert truth["effect_nonimmigrant"] == 0.1
    assert truth["effect_difference"] == pytest.approx(-0.4)
    tp = df[df["post"] == 1]
    share = tp["immigrant"].mean()
    assert truth["effect_average"] == pytest.approx(share * -0.3 + (1 - share) * 0.1)
    assert df.attrs["params"]["first_treated"] == list(
        df.groupby("jurisdiction")["first_treated"].first()
    )


def _did_means(df, col):
    m = df.groupby(["treated", (df["wave"] >= 3).astype(int).rename("after")])[col].mean()
    return (m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0])


def test_true_effect_recovered_by_group_means():
    # common timing, no jurisdiction/wave noise: a plain 2x2 difference in means
    df = simulate(
        n_jurisdictions=10, n_waves=4, responses_per_cell=5000, first_treated=(3,) * 5 + (0,) * 5,
        jurisdiction_sd=0.0, wave_sd=0.0, icc=0.0, seed=11,
    )
    imm = df[df["immigrant"] == 1]
    non = df[df["immigrant"] == 0]
    assert _did_means(imm, "trust") == pytest.approx(-0.40, abs=0.04)
    assert _did_means(non, "trust") == pytest.approx(-0.05, abs=0.03)
    assert _did_means(imm, "willingness") == pytest.approx(-0.40, abs=0.04)
    # fear moves the opposite way
    assert _did_means(imm, "fear") == pytest.approx(0.40, abs=0.04)


def test_pre_trend_shows_before_event():
    df = simulate(
        n_jurisdictions=10, n_waves=6, responses_per_cell=3000, first_treated=(5,) * 5 + (0,) * 5,
        jurisdiction_sd=0.0, wave_sd=0.0, icc=0.0, pre_trend=0.2, effect_immigrant=0.0,
        effect_nonimmigrant=0.0, seed=3,
    )
    pre = df[df["wave"] < 5]
    gap = pre[pre.treated == 1].groupby("wave")["trust"].mean() - pre[
        pre.treated == 0].groupby("wave")["trust"].mean()
    slope = np.polyfit(gap.index.to_numpy(), gap.to_numpy(), 1)[0]
    assert slope == pytest.approx(0.2, abs=0.03)


def test_icc_matches_parameter():
    df = simulate(n_jurisdictions=40, n_waves=10, responses_per_cell=50, icc=0.1,
                  jurisdiction_sd=0.0, wave_sd=0.0, effect_immigrant=0.0,
                  effect_nonimmigrant=0.0, seed=8)
    resid = df["trust"] - df.groupby("immigrant")["trust"].transform("mean")
    cell = df["jurisdiction"] + "_" + df["wave"].astype(str)
    between = resid.groupby(cell).mean().var()
    total = resid.var()
    n_bar = df.groupby(cell).size().mean()
    icc_hat = (between - (total - between) / n_bar) / total
    assert icc_hat == pytest.approx(0.1, abs=0.03)


def test_explicit_first_treated_and_never():
    df = simulate(n_jurisdictions=3, n_waves=4, first_treated=[0, 2, 0])
    assert df.groupby("jurisdiction")["first_treated"].first().tolist() == [0, 2, 0]
    df0 = simulate(n_jurisdictions=3, n_waves=4, first_treated=(0, 0, 0))
    assert df0["post"].sum() == 0
    assert np.isnan(df0.attrs["truth"]["effect_average"])


def test_many_jurisdictions_names_sort():
    names = simulate(n_jurisdictions=120, n_waves=2, responses_per_cell=2)["jurisdiction"].unique()
    assert names[0] == "J001" and names[-1] == "J120"


def test_default_first_treated_small_designs():
    for J in range(2, 12):
        for T in range(2, 15):
            ft = default_first_treated(J, T)
            assert len(ft) == J
            assert sum(v > 0 for v in ft) == max(1, J // 2)
            assert all(0 <= v <= T for v in ft)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_jurisdictions": 1}, "n_jurisdictions"),
        ({"n_waves": 1}, "n_waves"),
        ({"responses_per_cell": 0}, "responses_per_cell"),
        ({"immigrant_share": 1.0}, "immigrant_share"),
        ({"icc": 1.0}, "icc"),
        ({"noise_sd": -1.0}, "noise_sd"),
        ({"first_treated": (1, 2)}, "first_treated"),
        ({"first_treated": (0,) * 7 + (11,)}, "first_treated"),
        ({"effect_immigrant": float("nan")}, "effect_immigrant"),
        ({"seed": 1.5}, "seed"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_invalid_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(**kwargs)


def test_likert_from_latent_tracks_latent():
    rng = np.random.default_rng(0)
    latent = rng.normal(3.0, 1.0, 20000)
    a = likert_from_latent(latent, 1, 5, rng)
    b = likert_from_latent(latent, 1, 5, rng, reverse=True)
    c = likert_from_latent(latent, 0, 10, rng)
    assert a.dtype.kind == "i" and a.min() >= 1 and a.max() <= 5
    assert c.min() >= 0 and c.max() <= 10
    assert np.corrcoef(latent, a)[0, 1] > 0.7
    assert np.corrcoef(latent, b)[0, 1] < -0.7
    assert np.corrcoef(latent, c)[0, 1] > 0.7
    # linear map: latent 1..5 -> 0..10, midpoint 3 -> 5
    exact = likert_from_latent(np.array([1.0, 3.0, 5.0, 9.0]), 0, 10, None, item_noise_sd=0)
    assert exact.tolist() == [0, 5, 10, 10]
    assert likert_from_latent(np.array([1.0, 5.0]), 1, 5, 1, 0, reverse=True).tolist() == [5, 1]
    with pytest.raises(ValueError):
        likert_from_latent(latent, 5, 1, rng)


def test_million_rows_fast():
    import time

    t0 = time.perf_counter()
    df = simulate(n_jurisdictions=200, n_waves=20, responses_per_cell=250)
    assert 980_000 < len(df) < 1_020_000
    assert time.perf_counter() - t0 < 10

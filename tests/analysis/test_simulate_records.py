"""Synthetic police records and victimization answers: ground truth the tests and demo rest on."""

import io

import numpy as np
import pytest

from analysis.incidents import mapping_for, write_incidents
from analysis.records import import_records
from analysis.simulate import (
    RecordsParams,
    periods_from_waves,
    simulate,
    simulate_records,
    simulate_victimization,
)

DEMO_CODES = ("ALD", "BAY", "CED", "DUN", "EAS", "FAI", "GRA", "HAR")


def test_demo_places_and_events():
    df = simulate_records(places=DEMO_CODES, first_treated=periods_from_waves((0, 4, 0, 4, 6, 0,
                                                                              7, 0)))
    truth = df.attrs["truth"]["first_treated"]
    assert truth == {"ALD": None, "BAY": "2016-10", "CED": None, "DUN": "2016-10",
                     "EAS": "2017-04", "FAI": None, "GRA": "2017-07", "HAR": None}
    assert periods_from_waves((0, 4, 6), 3) == (0, 10, 16)
    assert len(df) == 8 * 27 * 3 * 5
    cells = df.groupby(["place", "period"])[["treated", "post"]].nunique()
    assert (cells == 1).all().all()
    assert df.loc[(df["place"] == "BAY") & (df["period"] == "2016-10"), "post"].eq(1).all()
    assert df.loc[(df["place"] == "BAY") & (df["period"] == "2016-09"), "post"].eq(0).all()
    # the incident export of these places reads back with its own mapping
    buf = io.BytesIO()
    write_incidents(df, buf, seed=1)
    r = import_records(io.BytesIO(buf.getvalue()), mapping_for(DEMO_CODES))
    assert r.n_counted == df["count"].sum() and set(r.counts["place"]) == set(DEMO_CODES)


def test_effects_move_the_cells_they_should():
    """Means over many seeds: reporting moves only sensitive focus cells; crime all focus cells."""
    def ratio(**kw):
        post = []
        for s in range(20):
            d = simulate_records(first_treated=(0, 0, 0, 0, 1, 1, 1, 1), n_periods=4, seed=s,
                                 dispersion=0, shock_sd=0, group_shock_sd=0, period_sd=0, **kw)
            d = d[d["treated"] == 1]
            g = d.groupby(["group", d["category"].isin(["assault", "sexual_assault",
                                                        "domestic_violence"])])["count"].sum()
            post.append(g)
        return sum(post) / len(post)

    base = ratio(reporting_effect=0.0)
    rep = ratio(reporting_effect=-0.5)
    crime = ratio(reporting_effect=0.0, crime_effect_focus=-0.5)
    assert rep[("hispanic", True)] / base[("hispanic", True)] == pytest.approx(np.exp(-0.5), rel=0.05)
    assert rep[("hispanic", False)] / base[("hispanic", False)] == pytest.approx(1, rel=0.05)
    assert rep[("other", True)] / base[("other", True)] == pytest.approx(1, rel=0.05)
    for sens in (True, False):
        assert crime[("hispanic", sens)] / base[("hispanic", sens)] == pytest.approx(
            np.exp(-0.5), rel=0.05)


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="first_treated"):
        RecordsParams(first_treated=(1, 2))
    with pytest.raises(ValueError, match="places"):
        RecordsParams(places=("A", "A", "B", "C", "D", "E", "F", "G"))
    with pytest.raises(ValueError, match="start"):
        RecordsParams(start="January")
    with pytest.raises(ValueError, match="unknown parameter"):
        simulate_records(colour="red")
    with pytest.raises(ValueError, match="rate_scale"):
        simulate_victimization(simulate(seed=1), rate_scale=0)


def test_victimization_answers():
    base = simulate(n_jurisdictions=6, n_waves=4, responses_per_cell=300, seed=3)
    df = simulate_victimization(base, effect_immigrant=-0.2, rate_scale=3, seed=3)
    for k in df.attrs["truth"]["incident_types"]:
        victim = df[f"victim_{k}"] == 1
        assert df.loc[~victim, f"reported_{k}"].isna().all()
        assert df.loc[victim, f"reported_{k}"].isin([0.0, 1.0]).all()
    assert df.attrs["truth"]["reporting_difference"] == -0.2
    assert len(df) == len(base) and (df["trust"] == base["trust"]).all()

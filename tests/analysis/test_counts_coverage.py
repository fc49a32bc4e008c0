"""Simulation: the records estimators' default 95% intervals on the demo's design.

The demo's 8 places with adoption in survey waves 4, 4, 6 and 7 (months 10,
10, 16, 19 of 27), place sizes varying about 1.6-fold, over-dispersed counts
and serially correlated place-month shocks: with 4 treated places the default
inference is randomization inference over all 840 assignments of the adoption
dates.  No database; each data set takes well under a second.
"""

import numpy as np
import pytest

from analysis.counts import count_ddd, count_did
from analysis.offences import SENSITIVE
from analysis.simulate import periods_from_waves, simulate_records

N_SIMS = 300
DEMO = periods_from_waves((0, 4, 0, 4, 6, 0, 7, 0))


def _runs(n, base_seed, estimator, **effects):
    out = []
    for s in range(n):
        df = simulate_records(first_treated=DEMO, seed=base_seed + s, **effects)
        if estimator == "ddd":
            r, truth = count_ddd(df, seed=s), df.attrs["truth"]["ddd"]
        else:
            r = count_did(df, groups="hispanic", categories=SENSITIVE, seed=s)
            truth = df.attrs["truth"]["did_focus_sensitive"]
        assert r.spec["se"] == "ri"
        out.append((r.ci[0], r.ci[1], r.p_value, truth))
    return np.array(out)


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ["ddd", "did"])
def test_default_interval_covers_the_truth_with_eight_places(estimator):
    # reporting by Hispanic victims falls by a quarter and crime against them by a tenth:
    # the DDD's truth is the reporting change alone, the DiD's both together
    runs = _runs(N_SIMS, 90_000, estimator, reporting_effect=-0.25, crime_effect_focus=-0.1)
    covered = np.mean((runs[:, 0] <= runs[:, 3]) & (runs[:, 3] <= runs[:, 1]))
    assert 0.92 <= covered <= 0.98, covered


@pytest.mark.slow
def test_ddd_separates_a_reporting_drop_from_a_fall_in_crime():
    n = 150
    alike = _runs(n, 95_000, "ddd", reporting_effect=0.0, crime_effect_focus=-0.3)
    naive = _runs(n, 95_000, "did", reporting_effect=0.0, crime_effect_focus=-0.3)
    drop = _runs(n, 97_000, "ddd", reporting_effect=-0.3, crime_effect_focus=0.0)
    # reports and crime fall alike: the DDD reports a reporting drop about as often as its size
    false_drop = np.mean((alike[:, 2] < 0.05) & (alike[:, 1] < 0))
    assert false_drop <= 0.08, false_drop
    # ...while the DiD on the same reports sees the fall (it cannot tell crime from reporting)
    assert np.mean(naive[:, 1] < 0) >= 0.9
    # reporting falls, crime flat: the DDD finds it in most data sets
    assert np.mean(drop[:, 1] < 0) >= 0.7

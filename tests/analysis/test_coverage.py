"""Simulation: 95% intervals of did and ddd cover the truth 92-98% of the time."""

import numpy as np
import pytest

from analysis.did import ddd, did
from analysis.simulate import simulate

N_SIMS = 300


def _coverage(estimator, truth_key, n_jurisdictions, se, n_boot=999, **kw):
    hits = []
    ft = (4,) * (n_jurisdictions // 2) + (0,) * (n_jurisdictions - n_jurisdictions // 2)
    for s in range(N_SIMS):
        df = simulate(n_jurisdictions=n_jurisdictions, n_waves=6, responses_per_cell=20,
                      first_treated=ft, seed=90_000 + s, **kw)
        truth = df.attrs["truth"][truth_key]
        args = ("trust", "treated", "post") + (("immigrant",) if estimator is ddd else ())
        r = estimator(df, *args, unit="jurisdiction", time="wave", se=se, n_boot=n_boot,
                      seed=s)
        lo, hi = r.ci
        hits.append(lo <= truth <= hi)
    return float(np.mean(hits))


@pytest.mark.slow
@pytest.mark.parametrize("estimator, truth_key", [(did, "effect_average"),
                                                  (ddd, "effect_difference")])
def test_cluster_robust_coverage_many_clusters(estimator, truth_key):
    # homogeneous effects within groups, so the estimand is exactly the truth
    cov = _coverage(estimator, truth_key, 40, "cluster", effect_immigrant=-0.3,
                    effect_nonimmigrant=-0.3 if estimator is did else -0.05)
    assert 0.92 <= cov <= 0.98, cov


@pytest.mark.slow
@pytest.mark.parametrize("estimator, truth_key", [(did, "effect_average"),
                                                  (ddd, "effect_difference")])
def test_wild_bootstrap_coverage_few_clusters(estimator, truth_key):
    cov = _coverage(estimator, truth_key, 12, "wild", n_boot=199, effect_immigrant=-0.3,
                    effect_nonimmigrant=-0.3 if estimator is did else -0.05)
    assert 0.92 <= cov <= 0.98, cov

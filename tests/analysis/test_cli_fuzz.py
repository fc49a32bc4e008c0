"""Degenerate specifications, fuzzed over the CLI's argument space.

Hypothesis picks a command, a data set (normal, one wave, no untreated
jurisdiction, all weights zero, a treatment indicator equal to the post one)
and, for every column option, any column of it (so one column can get two
roles, an indicator can be collinear with another, a text column can be the
outcome) or a missing name.  Whatever it picks, the command answers (exit 0) or
ends in one line ``error: ...`` with exit 2: never a traceback, never "internal
error".
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cli import main
from analysis.simulate import simulate

COLUMNS = ["trust", "jurisdiction", "wave", "first_treated", "treated", "post", "immigrant",
           "language", "age_band", "w", "w0", "one", "after", "missing_col"]


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    base = simulate(n_jurisdictions=4, n_waves=4, responses_per_cell=12,
                    first_treated=(3, 0, 4, 0), seed=11)
    base["w"] = np.linspace(0.5, 2, len(base))
    base["w0"] = 0.0
    base["one"] = 1
    base["after"] = (base["wave"] >= 3).astype(int)
    variants = {
        "base": base,
        "one_wave": base[base["wave"] == 1],
        "all_treated": base.assign(first_treated=3, treated=1),
        "collinear": base.assign(treated=base["post"]),
        "tiny": base.head(5),
    }
    paths = {}
    for name, frame in variants.items():
        paths[name] = d / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


col = st.sampled_from(COLUMNS)
cols_list = st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=2).map(",".join)


def role(usual, alt=col):
    """Mostly the column that fits the role (so the degenerate data sets are reached),
    sometimes any column or a missing name (two roles, collinear, text, unknown)."""
    return st.one_of(st.just(usual), st.just(usual), st.just(usual), alt)


def opt(usual=None, alt=col):
    return st.one_of(st.none(), st.just(usual) if usual else st.none(), alt)


COMMANDS = {
    "did": {"--outcome": role("trust"), "--treated": role("treated"), "--post": role("post"),
            "--cluster": opt("jurisdiction"), "--weights": opt("w"),
            "--unit": opt("jurisdiction"), "--time": opt("wave"),
            "--controls": opt("age_band", cols_list),
            "--se": st.sampled_from(["auto", "classical", "hc1", "cluster", "wild"])},
    "ddd": {"--outcome": role("trust"), "--treated": role("treated"), "--post": role("post"),
            "--subgroup": role("immigrant"), "--cluster": opt("jurisdiction"),
            "--weights": opt("w"), "--unit": opt("jurisdiction"), "--time": opt("wave"),
            "--se": st.sampled_from(["auto", "cluster", "wild"])},
    "event-study": {"--outcome": role("trust"), "--unit": role("jurisdiction"),
                    "--time": role("wave"), "--first-treated": role("first_treated"),
                    "--estimator": st.sampled_from(["cs", "sa", "twfe", "dr"]),
                    "--control-group": st.sampled_from(["never", "notyet"]),
                    "--controls": opt("age_band", cols_list), "--weights": opt("w"),
                    "--cluster": opt("jurisdiction"),
                    "--anticipation": st.sampled_from(["0", "0", "1", "5"]),
                    "--composition": st.sampled_from(["none", "auto", "immigrant",
                                                      "language=es", "trust"])},
    "staggered-ddd": {"--outcome": role("trust"), "--unit": role("jurisdiction"),
                      "--time": role("wave"), "--first-treated": role("first_treated"),
                      "--subgroup": role("immigrant"), "--controls": opt("age_band", cols_list),
                      "--control-group": st.sampled_from(["never", "notyet"]),
                      "--cluster": opt("jurisdiction"),
                      "--composition": st.sampled_from(["none", "auto"]),
                      "--n-perm": st.sampled_from(["9", "0"])},
    "prepost": {"--outcome": role("trust"), "--time": role("wave"),
                "--event": st.sampled_from(["3", "1", "9"]), "--weights": opt("w"),
                "--unit": opt("jurisdiction")},
    "ordinal": {"--outcome": role("age_band"), "--treated": role("treated"),
                "--post": role("post"), "--cluster": opt("jurisdiction")},
}


@st.composite
def argv(draw):
    cmd = draw(st.sampled_from(sorted(COMMANDS)))
    args = [cmd, "--data", draw(st.sampled_from(["base", "one_wave", "all_treated",
                                                 "collinear", "tiny"]))]
    for flag, strat in COMMANDS[cmd].items():
        value = draw(strat)
        if value is not None:
            args += [flag, value]
    return args


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(args=argv())
def test_cli_never_fails_internally(datasets, capsys, args):
    args = list(args)
    args[2] = str(datasets[args[2]])
    try:
        code = main(args + ["--format", "json"])
    except SystemExit as exc:  # argparse errors
        code = exc.code
    err = capsys.readouterr().err
    assert code in (0, 2), " ".join(args) + " -> " + err
    if code == 2:
        assert err.startswith("error: ") and err.count("\n") == 1, (args, err)
    assert "internal error" not in err, (args, err)

"""Records and actual-reporting commands: the round trip a researcher runs, and bad input."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from analysis.cli import main
from analysis.counts import count_ddd, count_did
from analysis.offences import SENSITIVE
from analysis.simulate import simulate, simulate_victimization

EFFECT_KEYS = ["estimate", "se", "ci_low", "ci_high", "p_value", "n_obs", "percent_change",
               "sentence"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """records-simulate -> an incident export, its mapping and the true counts."""
    d = tmp_path_factory.mktemp("records")
    code = main(["records-simulate", "--out", str(d / "incidents.csv"), "--mapping-out",
                 str(d / "mapping.json"), "--counts-out", str(d / "truth.csv"), "--messy"])
    assert code == 0
    (d / "events.json").write_text(json.dumps({"J02": "2016-10", "J04": "2016-10",
                                               "J05": "2017-04", "J07": "2017-07"}))
    (d / "event_dates.json").write_text(json.dumps({"J02": "2016-10-01", "J04": "2016-09-20",
                                                    "J05": "2017-03-31", "J07": "2017-06-15"}))
    return d


def test_import_then_estimate_round_trip(export, capsys):
    d = export
    code, out, _ = run(capsys, "records-import", "--data", d / "incidents.csv", "--mapping",
                       d / "mapping.json", "--out", d / "counts.csv", "--format", "json")
    assert code == 0
    summary = json.loads(out)
    for key in ("content_hash", "rows_fingerprint", "n_rows", "n_counted", "tally", "unmapped",
                "hints"):
        assert key in summary
    assert "counts" not in summary
    assert sum(t["rows"] for t in summary["tally"]) == summary["n_rows"]
    counts = pd.read_csv(d / "counts.csv")
    truth = pd.read_csv(d / "truth.csv")
    assert counts["count"].sum() == truth["count"].sum() == summary["n_counted"]
    code, out, _ = run(capsys, "records-ddd", "--data", d / "counts.csv", "--events",
                       d / "events.json", "--format", "json")
    assert code == 0
    got = json.loads(out)
    assert list(got) == EFFECT_KEYS
    assert got["estimate"] == pytest.approx(count_ddd(truth).estimate, abs=1e-9)
    # event dates give the same first treated months (the first month starting on or after)
    code, out, _ = run(capsys, "records-did", "--data", d / "counts.csv", "--event-dates",
                       d / "event_dates.json", "--groups", "hispanic", "--categories",
                       ",".join(SENSITIVE), "--se", "cluster", "--format", "json")
    assert code == 0
    ref = count_did(truth, groups="hispanic", categories=SENSITIVE, se="cluster")
    assert json.loads(out)["se"] == pytest.approx(ref.se, abs=1e-9)
    code, out, _ = run(capsys, "records-event-study", "--data", d / "counts.csv", "--events",
                       d / "events.json", "--window=-3,3", "--format", "json")
    assert code == 0
    es = json.loads(out)
    assert list(es)[:3] == ["att", "periods", "pretrend_p"]
    assert [p["rel_time"] for p in es["periods"]] == [-3, -2, -1, 0, 1, 2, 3]
    code, out, _ = run(capsys, "records-ddd", "--data", d / "counts.csv", "--events",
                       d / "events.json")
    assert code == 0 and "In words" in out and "randomization inference" in out


def test_reimport_is_refused(export, capsys):
    d = export
    code, out, _ = run(capsys, "records-import", "--data", d / "incidents.csv", "--mapping",
                       d / "mapping.json", "--format", "json")
    fingerprints = json.loads(out)
    code, out, err = run(capsys, "records-import", "--data", d / "incidents.csv", "--mapping",
                         d / "mapping.json", "--known",
                         f"abc,{fingerprints['rows_fingerprint']}")
    assert code == 2 and err.startswith("error: these incidents were imported before")
    assert out == ""


def test_victim_reporting_and_stated_vs_actual(export, capsys, tmp_path):
    survey = simulate_victimization(simulate(first_treated=(0, 4, 0, 4, 6, 0, 7, 0), n_waves=9,
                                             responses_per_cell=60, seed=3), seed=3)
    path = tmp_path / "survey.csv"
    survey.to_csv(path, index=False)
    types = ",".join(survey.attrs["truth"]["incident_types"])
    design = ["--treated", "treated", "--post", "post", "--unit", "jurisdiction", "--time", "wave"]
    code, out, _ = run(capsys, "victim-reporting", "--data", path, "--incidents", types,
                       "--subgroup", "immigrant", *design, "--format", "json")
    assert code == 0
    got = json.loads(out)
    assert "percentage points" in got["statement"] and got["n_obs"] > 0
    code, out, _ = run(capsys, "stated-vs-actual", "--survey", path, "--records",
                       export / "truth.csv", "--subgroup", "immigrant", *design,
                       "--incidents", types, "--format", "json")
    assert code == 0
    sva = json.loads(out)
    assert sva["agreement"] in ("agree", "disagree", "partly", "unclear")
    assert [ln["unit"] for ln in sva["lines"]] == ["points", "pp", "percent"]
    assert sva["verdicts"]["actual"]["sesoi"] == 10 and sva["lines"][-1]["verdict"] == sva["verdicts"][
        "actual"]["verdict"]
    code, out, _ = run(capsys, "stated-vs-actual", "--survey", path, "--records",
                       export / "truth.csv", "--subgroup", "immigrant", *design,
                       "--records-sesoi", "150", "--format", "json")
    assert code != 0 and "percentage between 0 and 100" in out + _
    for suffix in (".html", ".pdf", ".tex", ".json", ".txt"):
        target = tmp_path / f"side-by-side{suffix}"
        code, out, _ = run(capsys, "stated-vs-actual", "--survey", path, "--records",
                           export / "truth.csv", "--subgroup", "immigrant", *design,
                           "--out", target)
        assert code == 0 and target.stat().st_size > 0 and out.startswith(sva["agreement"])


@pytest.mark.parametrize("argv, fragment", [
    (["records-import", "--data", "{d}/incidents.csv", "--mapping", "{d}/nope.json"],
     "mapping file not found"),
    (["records-import", "--data", "{d}/nope.csv", "--mapping", "{d}/mapping.json"],
     "records file not found"),
    (["records-import", "--data", "{d}/incidents.csv", "--mapping", "{d}/events.json"],
     "unknown mapping keys"),
    (["records-import", "--data", "{d}/incidents.csv", "--mapping", "{d}/bad.json"],
     "not valid JSON"),
    (["records-ddd", "--data", "{d}/truth.csv", "--focus-group", "martian"],
     "no reports of victims in group 'martian'"),
    (["records-did", "--data", "{d}/truth.csv", "--events", "{d}/events.json",
      "--event-dates", "{d}/event_dates.json"], "not both"),
    (["records-did", "--data", "{d}/truth.csv", "--events", "{d}/bad_events.json"],
     "no records: Z9"),
    (["records-event-study", "--data", "{d}/truth.csv", "--window", "4"], "FIRST,LAST"),
    (["records-did", "--data", "{d}/truth.csv", "--n-perm", "3"], "n_perm"),
    (["records-simulate", "--out", "{d}/x.csv", "--months", "1"], "at least 2"),
    (["records-did", "--data", "{d}/incidents.csv"], "records-import --out writes one"),
])
def test_bad_input_is_one_line_and_exit_2(export, capsys, argv, fragment):
    (export / "bad.json").write_text("{nope")
    (export / "bad_events.json").write_text(json.dumps({"Z9": "2017-01"}))
    code, out, err = run(capsys, *[a.format(d=export) for a in argv])
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err, err


def test_real_subprocess_exit_code(export):
    done = subprocess.run([sys.executable, "-m", "analysis", "records-ddd", "--data",
                           str(export / "missing.csv")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith("error: data file not found")
    assert "Traceback" not in done.stderr

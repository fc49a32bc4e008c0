"""The command line is a stable contract: names, flags, JSON keys, exit code 2."""

import json
import subprocess
import sys

import pytest

from analysis.cli import main
from analysis.did import did
from analysis.simulate import simulate


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    df = simulate(n_jurisdictions=8, n_waves=6, responses_per_cell=30, seed=6)
    df["after"] = (df["wave"] >= 4).astype(int)
    df["item1"] = (df["trust"].round().clip(1, 5)).astype(int)
    df["item2"] = (df["willingness"].round().clip(1, 5)).astype(int)
    df["item3"] = (6 - df["trust"].round().clip(1, 5)).astype(int)
    path = d / "data.csv"
    df.to_csv(path, index=False)
    return path, df


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_did_json_contract(csv, capsys):
    path, df = csv
    code, out, _ = run(capsys, "did", "--data", path, "--outcome", "trust", "--treated",
                       "treated", "--post", "after", "--cluster", "jurisdiction", "--se",
                       "cluster", "--format", "json")
    assert code == 0
    d = json.loads(out)
    # the stable keys first and unchanged; issue 12 added what inference ran (never renamed)
    assert list(d) == ["estimate", "se", "ci_low", "ci_high", "p_value", "n_obs", "inference",
                       "inference_detail"]
    assert d["inference_detail"]["method"] == "cluster"
    assert d["inference_detail"]["n_clusters"] == df["jurisdiction"].nunique()
    ref = did(df, "trust", "treated", "after", cluster="jurisdiction", se="cluster")
    assert d["estimate"] == pytest.approx(ref.estimate, rel=1e-12)
    assert d["n_obs"] == len(df)


def test_ddd_and_event_study_json(csv, capsys):
    path, _ = csv
    code, out, _ = run(capsys, "ddd", "--data", path, "--outcome", "trust", "--treated",
                       "treated", "--post", "post", "--subgroup", "immigrant", "--unit",
                       "jurisdiction", "--time", "wave", "--format", "json", "--n-boot", "199")
    assert code == 0 and set(json.loads(out)) == {"estimate", "se", "ci_low", "ci_high",
                                                  "p_value", "n_obs", "inference",
                                                  "inference_detail"}
    code, out, _ = run(capsys, "event-study", "--data", path, "--outcome", "trust", "--unit",
                       "jurisdiction", "--time", "wave", "--first-treated", "first_treated",
                       "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert list(d)[:5] == ["att", "periods", "pretrend_p", "inference", "inference_detail"]
    assert {r["share"] for r in d["composition"]} >= {"immigrant"}
    assert list(d["att"]) == ["estimate", "se", "ci_low", "ci_high"]
    assert set(d["periods"][0]) == {"rel_time", "estimate", "se", "ci_low", "ci_high",
                                    "band_low", "band_high"}
    assert d["inference_detail"]["method"] in ("ri", "bootstrap")
    assert d["inference_detail"]["reason"]
    for est in ("sa", "twfe"):
        code, out, _ = run(capsys, "event-study", "--data", path, "--outcome", "trust",
                           "--unit", "jurisdiction", "--time", "wave", "--first-treated",
                           "first_treated", "--estimator", est, "--control-group", "notyet")
        assert code == 0 and "Event study" in out


def test_other_commands(csv, capsys, tmp_path):
    path, _ = csv
    code, out, _ = run(capsys, "alpha", "--data", path, "--items", "item1,item2,item3",
                       "--reverse", "item3", "--format", "json")
    assert code == 0 and json.loads(out)["reliability"][0]["alpha"] > 0.3
    margins = tmp_path / "m.json"
    margins.write_text(json.dumps({"gender": {"1": 0.5, "2": 0.49, "3": 0.01}}))
    out_csv = tmp_path / "w.csv"
    code, out, _ = run(capsys, "rake", "--data", path, "--margins", margins, "--by",
                       "jurisdiction", "--out", out_csv)
    assert code == 0 and "Kish" in out and out_csv.exists()
    code, out, _ = run(capsys, "power", "--jurisdictions", 20, "--waves", 8, "--responses", 60,
                       "--format", "json")
    assert code == 0 and json.loads(out)["mde"] > 0
    code, out, _ = run(capsys, "prepost", "--data", path, "--outcome", "trust", "--time", "wave",
                       "--event", 4, "--unit", "jurisdiction", "--unit-value", "J01",
                       "--window", "2,2", "--format", "json")
    assert code == 0 and json.loads(out)["n_obs"] > 0
    code, out, _ = run(capsys, "ordinal", "--data", path, "--outcome", "item1", "--treated",
                       "treated", "--post", "after", "--format", "json")
    assert code == 0 and "estimate" in json.loads(out)
    counts = tmp_path / "c.csv"
    counts.write_text("j,w,n\nA,1,5\nA,2,40\nB,1,30\nB,2,50\n")
    code, out, _ = run(capsys, "suppress", "--data", counts, "--groups", "j;w", "--format",
                       "json")
    assert code == 0 and sum(r["suppressed"] for r in json.loads(out)) == 4


@pytest.mark.parametrize("suffix", ["html", "pdf", "tex", "json"])
def test_report_command(csv, capsys, tmp_path, suffix):
    path, _ = csv
    out = tmp_path / f"r.{suffix}"
    code, text, _ = run(capsys, "report", "--data", path, "--outcome", "trust", "--treated",
                        "treated", "--post", "post", "--unit", "jurisdiction", "--time", "wave",
                        "--first-treated", "first_treated", "--subgroup", "immigrant",
                        "--n-boot", "199", "--out", out)
    assert code == 0
    assert text.split(":")[0] in {"supports", "opposite", "no_effect_of_interest", "inconclusive"}
    assert out.stat().st_size > 1000


def test_report_json_headline_contract_with_sesoi_and_margins(csv, capsys, tmp_path):
    path, _ = csv
    margins = tmp_path / "m.json"
    margins.write_text(json.dumps({"gender": {"1": 0.5, "2": 0.49, "3": 0.01}}))
    out = tmp_path / "r.json"
    code, text, _ = run(capsys, "report", "--data", path, "--outcome", "trust", "--treated",
                        "treated", "--post", "post", "--unit", "jurisdiction", "--time", "wave",
                        "--first-treated", "first_treated", "--expected-sign", "-1",
                        "--sesoi", "0.2", "--margins", margins, "--rake-by", "jurisdiction",
                        "--n-boot", "199", "--out", out)
    assert code == 0, text
    body = json.loads(out.read_text())
    head = body["headline"]
    assert {"estimator", "estimate", "ci_low", "ci_high", "p_value", "inference", "verdict",
            "expected_sign", "plan"} <= set(head)
    assert head["verdict"] == body["verdict"] and head["expected_sign"] == -1
    assert head["plan"] is None and head["sesoi"] == 0.2
    assert "Weights" in body["results"] and any("raked" in c for c in body["caveats"])


BAD = [
    (["did", "--outcome", "nope", "--treated", "treated", "--post", "after"], "nope"),
    (["did", "--outcome", "trust", "--treated", "treated", "--post", "after", "--weights", "w"],
     "'w'"),
    (["did", "--outcome", "language", "--treated", "treated", "--post", "after"], "not numeric"),
    (["did", "--outcome", "trust", "--treated", "one", "--post", "after"], "constant"),
    (["did", "--outcome", "trust", "--treated", "treated", "--post", "post"], "comparison"),
    (["did", "--outcome", "trust", "--treated", "treated", "--post", "after", "--cluster",
      "single", "--se", "cluster"], "at least 2 clusters"),
    (["did", "--outcome", "trust", "--treated", "treated", "--post", "after", "--se", "robust"],
     "invalid choice"),
    (["did", "--outcome", "trust", "--treated", "treated"], "--post"),
    (["event-study", "--outcome", "trust", "--unit", "jurisdiction", "--time", "wave",
      "--first-treated", "never"], "ever treated"),
    (["ddd", "--outcome", "trust", "--treated", "treated", "--post", "after", "--subgroup",
      "x"], "'x'"),
]


@pytest.mark.parametrize("argv, fragment", BAD)
def test_bad_input_is_one_line_and_exit_2(csv, capsys, tmp_path, argv, fragment):
    _, df = csv
    data = tmp_path / "d.csv"
    df.assign(one=1, single="s", never=0).to_csv(data, index=False)
    with pytest.raises(SystemExit) as exc:
        code = main([argv[0], "--data", str(data), *argv[1:]])
        raise SystemExit(code)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert fragment in err
    assert "Traceback" not in err


def test_missing_file_and_real_subprocess(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "analysis", "did", "--data",
                           str(tmp_path / "none.csv"), "--outcome", "y", "--treated", "t",
                           "--post", "p"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: data file not found")
    assert proc.stderr.count("\n") == 1

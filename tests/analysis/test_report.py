import json
import re

import numpy as np
import pytest

from analysis import report
from analysis.did import did
from analysis.event_study import event_study
from analysis.load import cell_means, load
from analysis.pipeline import VERDICTS, study_report, verdict
from analysis.power import power
from analysis.scales import scales
from analysis.simulate import simulate
from analysis.weights import rake


@pytest.fixture(scope="module")
def data():
    return simulate(n_jurisdictions=10, n_waves=6, responses_per_cell=30, seed=14)


@pytest.fixture(scope="module")
def rep(data):
    return study_report(data, "trust", treated="treated", post="post", unit="jurisdiction",
                        time="wave", first_treated="first_treated", subgroup="immigrant",
                        margins={"gender": {1: .5, 2: .49, 3: .01}}, rake_by="jurisdiction",
                        expected_sign=-1, n_boot=199)


def test_every_result_renders_in_every_format(data):
    results = [
        did(data, "trust", "treated", "post", unit="jurisdiction", time="wave", n_boot=199),
        event_study(data, "trust", "jurisdiction", "wave", "first_treated"),
        scales(data.assign(a=data["age_band"], b=data["gender"]), {"s": ["a", "b"]}),
        rake(data, {"gender": {1: .5, 2: .49, 3: .01}}),
        power(10, 6, 30),
    ]
    for r in results:
        text = report.to_text(r)
        assert text.strip() and str(r) == text
        assert "<table" in report.to_html(r, fragment=True)
        assert r._repr_html_().startswith("<div>")
        assert report.to_latex(r).startswith(r"\documentclass")
        json.loads(report.to_json(r))


def test_html_is_self_contained(rep):
    page = report.to_html(rep)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "Plotly" in page and "plotly.js" in page.lower()
    assert rep.verdict.upper() in page


def test_report_contents(rep, data):
    d = rep.to_dict()
    assert d["verdict"] in VERDICTS and d["headline"]["verdict"] == d["verdict"]
    assert len(d["meta"]["fingerprint"]) == 64
    assert {"numpy", "pandas", "statsmodels", "python"} <= set(d["meta"]["versions"])
    assert any("Stated, not actual" in c for c in rep.caveats)
    assert any("raked" in c for c in rep.caveats)
    assert any("Few clusters" in c for c in rep.caveats)
    names = [n for n, _ in rep.results]
    assert names == ["Weights", "Difference-in-differences", "Triple differences", "Event study"]
    tex = report.to_latex(rep)
    assert r"\begin{tabular}" in tex and tex.count(r"\begin{") == tex.count(r"\end{")


def test_pdf_renders_to_pages(rep, tmp_path):
    import shutil
    import subprocess

    path = tmp_path / "r.pdf"
    report.render(rep, path)
    assert path.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(path),
                        str(tmp_path / "p")], check=True)
        assert list(tmp_path.glob("p*.png"))


def test_render_bytes_in_memory_equals_the_file(rep, tmp_path):
    for fmt in ("tex", "json", "txt"):  # html differs only in plotly's random div ids
        report.render(rep, tmp_path / f"x.{fmt}")
        assert report.render_bytes(rep, fmt) == (tmp_path / f"x.{fmt}").read_bytes()
    assert report.render_bytes(rep, "html").startswith(b"<!DOCTYPE html>")
    assert report.render_bytes(rep, "pdf")[:5] == b"%PDF-"
    from analysis.errors import InvalidSpecification

    with pytest.raises(InvalidSpecification):
        report.render_bytes(rep, "docx")


def test_render_dispatch_and_errors(rep, tmp_path):
    for suffix in ("html", "tex", "json", "txt"):
        assert (tmp_path / f"x.{suffix}").name in report.render(rep, tmp_path / f"x.{suffix}")
    from analysis.errors import InvalidSpecification

    with pytest.raises(InvalidSpecification):
        report.render(rep, tmp_path / "x.docx")


def test_verdict_rules():  # the four-outcome rules are in test_verdicts.py
    assert verdict(-0.3, (-0.5, -0.1), 0.2, expected_sign=-1)[0] == "supports"
    assert verdict(-0.3, (-0.5, -0.1), 0.2, expected_sign=1)[0] == "opposite"
    assert verdict(0.01, (-0.05, 0.07), 0.2, expected_sign=-1)[0] == "no_effect_of_interest"
    assert verdict(0.05, (-0.2, 0.3), 0.2)[0] == "inconclusive"


def test_load_and_cell_means(tmp_path, data):
    p = tmp_path / "d.csv"
    data.assign(first_treated=data["first_treated"].replace(0, np.nan),
                note=" ").to_csv(p, index=False)
    df = load(p, first_treated="first_treated")
    assert (df["first_treated"] == data["first_treated"]).all()
    assert df["note"].isna().all()
    from analysis.errors import AnalysisError, UnknownColumn

    with pytest.raises(AnalysisError, match="not found"):
        load(tmp_path / "none.csv")
    with pytest.raises(UnknownColumn):
        load(data, columns=["trust", "zzz"])
    cells = cell_means(data, ["trust", "fear"], ["jurisdiction", "wave"],
                       keep=["treated", "post"])
    assert cells["n"].sum() == len(data)
    a = did(data, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster")
    b = did(cells, "trust", "treated", "post", unit="jurisdiction", time="wave", se="cluster",
            weights="n")
    assert b.estimate == pytest.approx(a.estimate, rel=1e-9)

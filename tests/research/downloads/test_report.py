"""Regression report downloads: every format carries the specification, N, fingerprint, versions, verdict.

The PDF is rendered to PNG with pdftoppm (poppler) to check its page count and
that no page is blank; the HTML must work offline (no external URL at all).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from analysis.verdicts import VERDICTS
from surveys.extensions import db
from surveys.models import AuditLog
from tests.factories import make_policy_event, make_researcher, make_survey
from tests.research.dashboard.data import add_responses, default_instrument, login, post_form

CODES = ("J01", "J02", "J03", "J04", "J05", "J06")


@pytest.fixture
def study(app_ctx):
    """Six jurisdictions x five waves; J02 and J04 adopt a policy before wave 3 (immigrant trust falls)."""
    analyst = make_researcher(role="analyst")
    viewer = make_researcher(role="viewer", organisation=analyst.organisation)
    survey = make_survey(organisation=analyst.organisation, instrument=default_instrument(), n_waves=5,
                         jurisdictions=tuple(f"Place {c}" for c in CODES))
    rng = np.random.default_rng(4)
    for wave in range(1, 6):
        for index, code in enumerate(CODES):
            treated = code in ("J02", "J04") and wave >= 3
            base = 3.0 + 0.05 * index + rng.normal(0, 0.05)
            drop = 0.5 if treated else 0.0
            add_responses(survey, wave, code, 25, immigrant=False, trust=base, willingness=base + 0.4)
            add_responses(survey, wave, code, 15, immigrant=True, trust=base - 0.2 - drop,
                          willingness=base + 0.2 - drop + rng.normal(0, 0.05))
    for index in (1, 3):
        make_policy_event(survey.jurisdictions[index], survey.waves[2].opens_on - timedelta(days=4))
    survey.waves[-1].closed = True  # every wave released: reports read released waves only
    db.session.commit()
    return survey, analyst, viewer


def download(client, survey, **fields):
    return post_form(client, f"/research/surveys/{survey.slug}/reports", f"/research/surveys/{survey.slug}/export",
                     fields)


def test_json_report_has_specification_sizes_fingerprint_versions_verdict(client, study) -> None:
    survey, analyst, _ = study
    login(client, analyst)
    response = download(client, survey, format="json", outcome="trust", estimator="ddd", subgroup="all",
                        weights="responses", comparison=["J01", "J03"])
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    body = json.loads(response.data)
    assert body["verdict"] in VERDICTS and body["verdict_text"]
    assert body["headline"]["verdict"] == body["verdict"] and body["headline"]["estimator"] == "twfe_ddd"
    assert body["caveats"]
    meta = body["meta"]
    assert meta["specification"]["estimator"] == "ddd" and meta["specification"]["comparison"] == ["J01", "J03"]
    assert meta["jurisdictions"] == ["J01", "J02", "J03", "J04"]
    assert meta["n_obs"] == 4 * 5 * 40 and len(meta["fingerprint"]) == 64
    assert {"python", "numpy", "pandas", "statsmodels"} <= set(meta["versions"])
    assert "Triple differences" in body["results"]
    # The simulated drop for immigrant respondents in treated places is found.
    assert body["results"]["Triple differences"]["estimate"] == pytest.approx(-0.5, abs=0.15)


def test_html_report_is_self_contained(client, study) -> None:
    survey, analyst, _ = study
    login(client, analyst)
    response = download(client, survey, format="html", outcome="willingness", estimator="did", subgroup="immigrant",
                        weights="cells")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "attachment" in response.headers["Content-Disposition"]
    html = response.get_data(as_text=True)
    assert "Specification" in html and "Data fingerprint" in html and "Package versions" in html
    assert re.search(r"(supports|contradicts|inconclusive)", html, re.I)
    assert "Plotly" in html  # plotly.js inline, for the event-study figure
    # Nothing is fetched from anywhere: no external script, stylesheet, image or font outside the inline
    # scripts (plotly.js itself carries map-attribution links as strings, which load nothing).
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup)
    assert not re.search(r"<script[^>]*\ssrc=", html) and "<link" not in markup


def test_latex_report(client, study) -> None:
    survey, analyst, _ = study
    login(client, analyst)
    response = download(client, survey, format="tex", outcome="trust", estimator="did", subgroup="all",
                        weights="responses")
    assert response.status_code == 200
    tex = response.get_data(as_text=True)
    assert "\\begin{tabular}" in tex or "\\begin{table}" in tex


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pdf_report_renders_to_non_blank_pages(client, study, tmp_path) -> None:
    survey, analyst, _ = study
    login(client, analyst)
    response = download(client, survey, format="pdf", outcome="trust", estimator="event_study", subgroup="all",
                        weights="responses")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.pgm"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    expected = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert len(pages) == expected >= 2  # verdict and tables, then the estimator sections and the figure
    for page in pages:
        assert (grey_pixels(page) < 200).mean() > 0.005, f"{page.name} looks blank"


def grey_pixels(path) -> np.ndarray:
    """The pixels of a binary PGM (P5) file, as pdftoppm -gray writes it."""
    data = path.read_bytes()
    fields, position = [], 0
    while len(fields) < 4:  # magic, width, height, maxval (whitespace separated)
        while data[position:position + 1].isspace():
            position += 1
        end = position
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    assert fields[0] == b"P5"
    width, height = int(fields[1]), int(fields[2])
    return np.frombuffer(data[position + 1:position + 1 + width * height], dtype=np.uint8)


def test_viewer_gets_the_default_specification_and_every_download_is_audited(client, study) -> None:
    survey, _, viewer = study
    login(client, viewer)
    response = download(client, survey, format="json", outcome="fear", estimator="ddd", comparison=["J01"])
    assert response.status_code == 200
    spec = json.loads(response.data)["meta"]["specification"]
    assert spec["outcome"] == "trust" and spec["estimator"] == "did" and spec["comparison"] is None
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "report.export")).all()
    assert [(a.researcher_id, a.parameters["format"]) for a in audit] == [(viewer.id, "json")]


@pytest.mark.parametrize(("fields", "status"), [
    ({"format": "docx"}, 400),
    ({"format": "json", "estimator": "ddd", "subgroup": "immigrant"}, 422),
    ({"format": "json", "comparison": ["J02"]}, 422),  # J02 has an event: not a comparison
])
def test_bad_specifications_are_refused(client, study, fields: dict, status: int) -> None:
    survey, analyst, _ = study
    login(client, analyst)
    response = download(client, survey, **fields)
    assert response.status_code == status
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == "report.export")).all()


def test_design_cell_tables_in_reports_follow_the_small_cell_rule(client, study) -> None:
    """A report's "N by group" tables hide groups below the survey's minimum: count and mean alike."""
    survey, analyst, _ = study
    survey.min_cell_size = 100  # immigrant respondents in treated places: 60 before, 90 after the event
    db.session.commit()
    login(client, analyst)
    response = download(client, survey, format="json", outcome="trust", estimator="ddd", subgroup="all",
                        weights="responses", comparison=["J01", "J03"])
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    groups = json.loads(response.data)["results"]["Triple differences"]["n_by_group"]
    small = [g for g in groups if g["immigrant"] == 1 and g["treated"] == 1]
    large = [g for g in groups if g["immigrant"] == 0]
    assert len(small) == 2 and all(g["suppressed"] for g in small)
    assert all(g["respondents"] is None and g["mean"] is None and g["weight"] is None for g in small)
    assert all(not g["suppressed"] and g["respondents"] >= 100 for g in large)
    for fmt in ("tex", "html"):
        text = download(client, survey, format=fmt, outcome="trust", estimator="ddd", subgroup="all",
                        weights="responses", comparison=["J01", "J03"]).get_data(as_text=True)
        # the headers are human labels (issue 13); the JSON above keeps its keys
        heads = (re.findall(r"<th[^>]*>([^<]*)</th>", text) if fmt == "html" else
                 [c.strip() for h in re.findall(r"\n([^\n]*) \\\\\n\\midrule", text)
                  for c in h.split(" & ")])
        assert {"Respondents", "Suppressed"} <= set(heads), heads
        assert not {"respondents", "suppressed"} & set(heads)

"""Population margins uploaded in the browser, and web reports raked to them (issue 13).

Good and bad files through the real upload route (400 unreadable, 422 does not fit, nothing
stored), the audit row, and a report weighted by raking weights that differs from the unweighted
one and says so in HTML, JSON, LaTeX and PDF.
"""
from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import AuditLog, RakingMargins
from tests.research.dashboard.data import login, post_form
from tests.research.downloads.test_report import CODES, download, study  # noqa: F401 - the fixture

IMMIGRANT_SHARE = 0.6  # the sample has 15 of 40 (0.375) in every cell


def margins_csv(share: float = IMMIGRANT_SHARE, codes=CODES, extra: str = "") -> bytes:
    lines = ["jurisdiction,variable,level,share"]
    for code in codes:
        lines += [f"{code},immigrant,1,{share}", f"{code},immigrant,0,{1 - share:.6f}"]
    return ("\n".join(lines) + "\n" + extra).encode()


def upload(client, survey, content: bytes, filename: str = "margins.csv"):
    page = f"/research/surveys/{survey.slug}/margins"
    return post_form(client, page, page, {"file": (io.BytesIO(content), filename)})


def stored_count(survey) -> int:
    return db.session.scalar(select(func.count()).select_from(RakingMargins)
                             .where(RakingMargins.survey_id == survey.id))


def test_good_upload_is_stored_shown_and_audited(client, study) -> None:  # noqa: F811
    survey, analyst, _ = study
    login(client, analyst)
    response = upload(client, survey, margins_csv())
    assert response.status_code == 302
    assert stored_count(survey) == 1
    page = client.get(f"/research/surveys/{survey.slug}/margins").get_data(as_text=True)
    assert "Target shares" in page and "0.600" in page and "J06" in page
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "margins.upload",
                                                   AuditLog.target == survey.slug))
    assert row is not None and row.researcher_id == analyst.id
    assert row.parameters["rows"] == 2 * len(CODES) and row.parameters["variables"] == ["immigrant"]


@pytest.mark.parametrize(("content", "status", "message"), [
    (b"", 400, "Choose a CSV file"),
    (b"\xff\xfe\x00bad", 400, "not UTF-8"),
    (b"place,share\nJ01,0.5\n", 400, "missing: jurisdiction, variable, level"),
    (b"jurisdiction,variable,level,share\n", 400, "no margins"),
    (margins_csv(codes=CODES[:-1]), 422, "Jurisdiction J06 has no margins for immigrant"),
    (margins_csv(extra="J99,immigrant,1,0.5\n"), 422, "no jurisdiction with code &#39;J99&#39;"),
    (margins_csv(extra="J01,religion,1,0.5\n"), 422, "&#39;religion&#39; cannot be raked to"),
    (margins_csv(extra="J01,gender,7,0.5\n"), 422, "level &#39;7&#39; is not an answer code of &#39;gender&#39;"),
    (margins_csv(extra="J01,gender,1,lots\n"), 422, "is not a number"),
    (margins_csv(extra="J01,gender,1,1.5\n"), 422, "must be between 0 and 1"),
    (margins_csv(extra="J01,gender,1,0.5\nJ01,gender,2,0.5\n"), 422, "Jurisdiction J02 has no margins for gender"),
    (margins_csv(extra="".join(f"{c},gender,1,0.5\n{c},gender,2,0.5\n" for c in CODES)), 422,
     "gender in J01 has no share for level 3; give every answer code a share (0 is allowed)"),
    (margins_csv(extra="J01,immigrant,1,0.2\n"), 422, "appears twice"),
    (margins_csv(share=0.6).replace(b"0.400000", b"0.300000"), 422, "sum to 0.900, not 1"),
])
def test_bad_upload_is_refused_with_the_reason(client, study, content, status, message) -> None:  # noqa: F811
    survey, analyst, _ = study
    login(client, analyst)
    response = upload(client, survey, content) if content else post_form(
        client, f"/research/surveys/{survey.slug}/margins", f"/research/surveys/{survey.slug}/margins", {})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert stored_count(survey) == 0


def test_viewer_cannot_upload(client, study) -> None:  # noqa: F811
    survey, _, viewer = study
    login(client, viewer)
    assert client.get(f"/research/surveys/{survey.slug}/margins").status_code == 403


def test_raked_report_without_margins_is_422(client, study) -> None:  # noqa: F811
    survey, analyst, _ = study
    login(client, analyst)
    response = download(client, survey, format="json", outcome="trust", estimator="did", subgroup="all",
                        weights="raked")
    assert response.status_code == 422 and "no population margins" in response.get_data(as_text=True)


def _report(client, survey, fmt: str, weights: str):
    response = download(client, survey, format=fmt, outcome="trust", estimator="did", subgroup="all",
                        weights=weights)
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    return response.data


def test_raked_report_differs_and_says_so_in_every_format(client, study, tmp_path) -> None:  # noqa: F811
    survey, analyst, _ = study
    login(client, analyst)
    assert upload(client, survey, margins_csv()).status_code == 302
    sha = db.session.scalar(select(RakingMargins.sha256).where(RakingMargins.survey_id == survey.id))
    plain = json.loads(_report(client, survey, "json", "responses"))
    raked = json.loads(_report(client, survey, "json", "raked"))
    # Immigrant respondents' trust fell in treated places: more weight on them, a larger fall.
    plain_did = plain["results"]["Difference-in-differences"]["estimate"]
    raked_did = raked["results"]["Difference-in-differences"]["estimate"]
    assert raked_did < plain_did - 0.05
    # The DiD with cell means weighted by their share: 0.6 of the -0.5 immigrant drop, against 15/40 of it.
    assert raked_did == pytest.approx(-0.5 * IMMIGRANT_SHARE, abs=0.06)
    assert plain_did == pytest.approx(-0.5 * 15 / 40, abs=0.06)
    sentence = raked["meta"]["weights_sentence"]
    assert sentence.startswith("raking weights to the population margins") and sha[:12] in sentence
    assert any("raking weights to the population margins" in c for c in raked["caveats"])
    assert not any("not weighted" in c or "not raked" in c for c in raked["caveats"])
    assert raked["results"]["Difference-in-differences"]["spec"]["weights"] == "_rake_weight"
    assert "raking weights" not in plain["meta"]["weights_sentence"]
    html = _report(client, survey, "html", "raked").decode()
    assert sha[:12] in html and "raking weights to the population margins" in html
    assert "not weighted to the population" not in html and "not raked" not in html
    tex = _report(client, survey, "tex", "raked").decode()
    assert "raking weights to the population margins" in tex
    if shutil.which("pdftotext"):
        pdf = tmp_path / "r.pdf"
        pdf.write_bytes(_report(client, survey, "pdf", "raked"))
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True, timeout=60).stdout
        assert sha[:12] in text and "not weighted to the population" not in text
        assert "raking weights to the population" in " ".join(text.split())

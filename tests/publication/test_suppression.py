"""Small-cell suppression on every surface that shows a count (the rule itself: tests/analysis).

The data: a cell of 9 (Beta, wave 2, immigrant respondents) among cells of 15-25.
Each surface (dashboard table and figures, aggregate CSV/JSON exports, API)
must hide the 9, hide enough other cells that no total minus the rest gives it
back, and never print the number 9 as a count.
"""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from surveys.publication.aggregates import Filters, aggregate
from tests.api.api_data import API_SLUG, make_api_study
from tests.research.dashboard.data import login, post_form
from tests.research.dashboard.test_dashboard import figures_of

# --- every surface --------------------------------------------------------------------------


@pytest.fixture
def study(app_ctx):
    return make_api_study()


def _viewer(study):
    from surveys.models import Researcher

    return next(r for r in Researcher.query.all() if r.role == "viewer"
                and r.organisation_id == study.survey.organisation_id)


def test_service_hides_the_nine_in_every_grouping_and_filter(study) -> None:
    survey = study.survey
    for by in [("wave", "jurisdiction", "immigrant"), ("wave", "immigrant"), ("jurisdiction", "immigrant"),
               ("immigrant",), ("wave", "jurisdiction", "language", "immigrant")]:
        for filters in [Filters(), Filters(waves=(2,)), Filters(jurisdictions=("J02",)),
                        Filters(jurisdictions=("J01", "J02")), Filters(language="en")]:
            frame = aggregate(survey, by, filters, margins=True).frame
            assert not (frame["n"] == 9).any(), (by, filters)
            assert not (frame["trust_n"] == 9).any(), (by, filters)


def test_dashboard_table_and_figures_hide_the_nine(client, study) -> None:
    login(client, _viewer(study))
    html = client.get(f"/research/surveys/{API_SLUG}/dashboard").get_data(as_text=True)
    cells = re.findall(r"<td>(.*?)</td>", html)
    assert "9" not in cells
    figures = figures_of(html)
    immigrant = {t["name"]: t["y"] for t in figures["figure-subgroups-trust"]["data"] if "xaxis" not in t}
    assert immigrant["Beta"][1] is None
    assert sum(v is None for v in immigrant["Beta"]) >= 2
    for figure in figures.values():
        for trace in figure["data"]:
            if trace.get("type") == "heatmap":
                assert all(v != 9 for row in trace["z"] for v in row)


def test_aggregate_exports_hide_the_nine(client, study) -> None:
    login(client, _viewer(study))
    page = f"/research/surveys/{API_SLUG}/export"
    raw = post_form(client, f"/research/surveys/{API_SLUG}/export/aggregates", page,
                    {"by": "wave,jurisdiction,immigrant", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(raw.get_data(as_text=True))))
    nine = next(r for r in rows if (r["wave"], r["jurisdiction"], r["immigrant"]) == ("2", "J02", "immigrant"))
    assert nine["n"] == "" and nine["suppressed"] == "True" and nine["trust_mean"] == ""
    assert all(r["n"] != "9" for r in rows)
    line = [r for r in rows if r["wave"] == "2" and r["immigrant"] == "immigrant"]
    assert sum(r["suppressed"] == "True" for r in line) >= 2
    body = json.loads(post_form(client, f"/research/surveys/{API_SLUG}/export/aggregates", page,
                                {"by": "wave,immigrant", "format": "json", "jurisdiction": "J02"}).data)
    assert body["min_cell_size"] == 10 and body["suppressed_cells"] >= 1
    assert all(r["n"] != 9 for r in body["rows"])


def test_api_hides_the_nine(client, study) -> None:
    for query in ("by=wave,jurisdiction,immigrant&margins=true", "by=immigrant&jurisdiction=J02&wave_from=2"):
        rows = client.get(f"/api/v1/surveys/{API_SLUG}/aggregates?{query}",
                          headers=study.headers("viewer")).get_json()["rows"]
        assert all(r["n"] != 9 for r in rows), query
        assert any(r["suppressed"] for r in rows), query
    # A margin over all jurisdictions holds the 9 and its complement together: safe, so published.
    rows = client.get(f"/api/v1/surveys/{API_SLUG}/aggregates?by=wave,immigrant&language=en",
                      headers=study.headers("viewer")).get_json()["rows"]
    wave2 = next(r for r in rows if r["wave"] == 2 and r["immigrant"] == "immigrant")
    assert wave2["n"] == 15 + 9 + 15 and not wave2["suppressed"]


def test_a_higher_minimum_hides_more(study) -> None:
    from surveys.extensions import db

    survey = study.survey
    survey.min_cell_size = 20  # before anything is released: the first release uses it
    db.session.commit()
    after = aggregate(survey, ("wave", "jurisdiction", "immigrant"))
    assert after.min_cell_size == 20
    assert not ((after.frame["n"] > 0) & (after.frame["n"] < 20)).any()
    fifteen = after.frame[(after.frame["jurisdiction"] == "J03") & (after.frame["immigrant"] == "immigrant")]
    assert fifteen["suppressed"].all()  # published at k = 10 (test_api_hides_the_nine), hidden at 20


def test_a_release_never_changes_when_k_changes_later(study) -> None:
    """Raising k applies to later releases: what a release published is already public and stays so."""
    from surveys.extensions import db

    survey = study.survey
    before = aggregate(survey, ("wave", "jurisdiction", "immigrant"), margins=True).frame
    survey.min_cell_size = 20
    db.session.commit()
    after = aggregate(survey, ("wave", "jurisdiction", "immigrant"), margins=True)
    assert after.release == 1 and after.min_cell_size == 10
    assert after.frame["n"].equals(before["n"])

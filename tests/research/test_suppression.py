"""Small-cell suppression everywhere: the cube rule itself, and every surface that shows a count.

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

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from surveys.aggregates import Filters, aggregate
from surveys.suppression import derivable, extend_with_margins, protect
from tests.api.api_data import API_SLUG, make_api_study
from tests.research.dashboard_data import login, post_form
from tests.research.test_dashboard import figures_of

# --- the rule ---------------------------------------------------------------------------------

def test_primary_and_complementary_cells_in_a_two_way_table() -> None:
    counts = np.array([[50, 9, 40], [60, 70, 80], [30, 30, 30]])
    mask = protect(counts, 10)
    table = extend_with_margins(counts)
    assert mask[0, 1]  # the 9
    assert mask[0].sum() >= 2 and mask[:, 1].sum() >= 2  # its row and column hide another cell each
    assert not mask[-1].any() and not mask[:, -1].any()  # the margins themselves are safe to publish
    assert not derivable(mask).any()
    assert table[-1, -1] == counts.sum()


def test_a_small_margin_is_suppressed_too() -> None:
    counts = np.array([[4, 3], [50, 60]])  # row 0 totals 7
    mask = protect(counts, 10)
    assert mask[0, 2]  # the row total of 7
    assert not derivable(mask).any()


def test_zero_cells_are_published_and_never_complements() -> None:
    counts = np.array([[0, 9, 30], [0, 40, 30]])
    mask = protect(counts, 10)
    assert not mask[:, 0].any()


def test_a_bridge_between_two_cycles_is_broken() -> None:
    """Two 2x2 cycles of suppressed cells joined through one line can pin a cell down; the audit adds cells."""
    counts = np.array([[5, 30, 0, 0], [30, 30, 0, 0], [0, 0, 5, 30], [0, 0, 30, 30]]) + 20
    mask = protect(counts, 30)
    assert not derivable(mask).any()


@settings(max_examples=150, deadline=None, derandomize=True)
@given(arrays(np.int64, st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 3)),
              elements=st.integers(0, 25)), st.integers(2, 12))
def test_no_suppressed_cell_is_ever_derivable(counts: np.ndarray, k: int) -> None:
    mask = protect(counts, k)
    table = extend_with_margins(counts)
    assert not (((table > 0) & (table < k)) & ~mask).any()  # every small cell hidden
    assert not derivable(mask).any()  # none can be solved for from the published margins
    hidden_per_line = [np.moveaxis(mask, axis, -1).reshape(-1, mask.shape[axis]).sum(axis=1)
                       for axis in range(mask.ndim)]
    assert all(((h == 0) | (h >= 2)).all() for h in hidden_per_line)


# --- every surface --------------------------------------------------------------------------


@pytest.fixture
def study(app_ctx):  # noqa: ANN001, ANN201
    return make_api_study()


def _viewer(study):  # noqa: ANN001, ANN202
    from surveys.models import Researcher

    return next(r for r in Researcher.query.all() if r.role == "viewer"
                and r.organisation_id == study.survey.organisation_id)


def test_service_hides_the_nine_in_every_grouping_and_filter(study) -> None:  # noqa: ANN001
    survey = study.survey
    for by in [("wave", "jurisdiction", "immigrant"), ("wave", "immigrant"), ("jurisdiction", "immigrant"),
               ("immigrant",), ("wave", "jurisdiction", "language", "immigrant")]:
        for filters in [Filters(), Filters(waves=(2,)), Filters(jurisdictions=("J02",)),
                        Filters(jurisdictions=("J01", "J02")), Filters(language="en")]:
            frame = aggregate(survey, by, filters, margins=True).frame
            assert not (frame["n"] == 9).any(), (by, filters)
            assert not (frame["trust_n"] == 9).any(), (by, filters)


def test_dashboard_table_and_figures_hide_the_nine(client, study) -> None:  # noqa: ANN001
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


def test_aggregate_exports_hide_the_nine(client, study) -> None:  # noqa: ANN001
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


def test_api_hides_the_nine(client, study) -> None:  # noqa: ANN001
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


def test_a_higher_minimum_hides_more(study) -> None:  # noqa: ANN001
    from surveys.extensions import db

    survey = study.survey
    before = aggregate(survey, ("wave", "jurisdiction", "immigrant")).suppressed_cells
    survey.min_cell_size = 20
    db.session.commit()
    after = aggregate(survey, ("wave", "jurisdiction", "immigrant"))
    assert after.min_cell_size == 20 and after.suppressed_cells > before
    assert not ((after.frame["n"] > 0) & (after.frame["n"] < 20)).any()

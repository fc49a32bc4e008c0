"""Dashboard readability (issue 14): heatmap scale and legend, suppressed cells, empty states,
inline filter errors, language names, event markers that stack and keep their date under filters."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from surveys.extensions import db
from tests.factories import make_policy_event, make_researcher, make_survey
from tests.research.dashboard.data import add_responses, login

FIGURE_BLOCK = re.compile(r'<script type="application/json" class="figure-data" data-target="([^"]+)">(.*?)</script>',
                          re.S)


def figures_of(html: str) -> dict[str, dict]:
    return {target: json.loads(body) for target, body in FIGURE_BLOCK.findall(html)}


@pytest.fixture
def study(app_ctx):
    """Two places, three closed waves; Beta's wave 2 has 3 responses (suppressed); two events on one date."""
    researcher = make_researcher(role="viewer")
    survey = make_survey(organisation=researcher.organisation, n_waves=3, jurisdictions=("Alpha", "Beta"))
    for wave in (1, 2, 3):
        add_responses(survey, wave, "J01", 40)
        add_responses(survey, wave, "J02", 3 if wave == 2 else 25)
    day = survey.waves[2].opens_on - timedelta(days=3)
    make_policy_event(survey.jurisdictions[0], day)
    make_policy_event(survey.jurisdictions[1], day, direction=1)
    survey.waves[-1].closed = True
    db.session.commit()
    return survey, researcher


def _page(client, survey, query: str = ""):
    return client.get(f"/research/surveys/{survey.slug}/dashboard{'?' + query if query else ''}")


def test_heatmap_runs_light_to_dark_with_a_legend_and_labelled_suppressed_cells(client, study):
    survey, researcher = study
    login(client, researcher)
    html = _page(client, survey).get_data(as_text=True)
    counts, veil = figures_of(html)["figure-responses"]["data"]
    low, high = counts["colorscale"][0][1], counts["colorscale"][-1][1]
    assert counts["zmin"] == 0
    assert sum(int(low[i:i + 2], 16) for i in (1, 3, 5)) > sum(int(high[i:i + 2], 16) for i in (1, 3, 5))
    beta = counts["y"].index("Beta")
    assert counts["z"][beta][1] is None  # no number drawn for a suppressed cell...
    # ...but a grey cell saying so (3 waves: room for the word)
    assert veil["z"][beta][1] == 1 and veil["texttemplate"] == "suppressed"
    assert all(v is None for row, hidden in zip(veil["z"], counts["z"], strict=True)
               for v, c in zip(row, hidden, strict=True) if c is not None)
    assert 'class="heat-legend"' in html and "suppressed (fewer than" in html
    assert re.search(r'<span class="heat-scale-label">\d+ responses</span>', html)


def test_events_on_one_date_are_stacked_in_one_label_and_listed(client, study):
    survey, researcher = study
    login(client, researcher)
    html = _page(client, survey).get_data(as_text=True)
    layout = figures_of(html)["figure-scores-trust"]["layout"]
    assert [s["x0"] for s in layout["shapes"]] == [2.5]
    events = [a for a in layout["annotations"] if a.get("xref") == "x"]
    assert [a["text"] for a in events] == ["E1<br>E2"]
    assert events[0]["y"] == 1 and events[0]["yanchor"] == "top"  # inside the plot, never over the title
    assert html.count("<strong>E1</strong>") == 1 and html.count("<strong>E2</strong>") == 1
    assert "expected to raise trust" in html and "expected to lower trust" in html


@pytest.mark.parametrize("query, drawn", [("wave_from=2", [2.5]), ("wave_from=3", [2.5]), ("wave_to=1", []),
                                          ("jurisdiction=J02", [2.5])])
def test_event_markers_keep_their_date_under_a_wave_filter(client, study, query, drawn):
    survey, researcher = study
    login(client, researcher)
    html = _page(client, survey, query).get_data(as_text=True)
    layout = figures_of(html)["figure-scores-trust"]["layout"]
    assert [s["x0"] for s in layout["shapes"]] == drawn
    if not drawn:
        assert "outside the waves shown" in html


@pytest.mark.parametrize(("query", "status", "message"), [
    ("wave_from=abc", 400, "wave_from"),
    ("wave_from=9", 422, "not a wave of this survey"),
    ("jurisdiction=NOPE", 422, "not part of this survey"),
    ("language=xx", 422, "not offered"),
])
def test_a_bad_filter_is_an_inline_error_on_the_page(client, study, query, status, message):
    survey, researcher = study
    login(client, researcher)
    page = _page(client, survey, query)
    assert page.status_code == status  # the status stays honest; the page stays usable
    html = page.get_data(as_text=True)
    assert 'id="filter-error"' in html and message in html
    assert '<form class="filters"' in html and "figure-responses" in html
    assert len(figures_of(html)) == 7


def test_the_api_keeps_its_4xx_for_bad_filters(client, study):
    survey, researcher = study
    from surveys.accounts.tokens import create_token

    _, token = create_token(researcher, "t")
    response = client.get(f"/api/v1/surveys/{survey.slug}/aggregates?wave_from=abc",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and response.is_json


def test_empty_selections_say_so_instead_of_drawing_empty_charts(client, app_ctx):
    researcher = make_researcher(role="viewer")
    no_waves = make_survey(organisation=researcher.organisation, n_waves=0)
    not_released = make_survey(organisation=researcher.organisation, n_waves=1)
    db.session.commit()
    login(client, researcher)
    html = _page(client, no_waves).get_data(as_text=True)
    assert "no waves yet" in html and not figures_of(html)
    html = _page(client, not_released).get_data(as_text=True)
    assert "nothing is released" in html and not figures_of(html)


def test_a_filter_that_selects_nothing_says_so(client, study):
    survey, researcher = study
    login(client, researcher)
    html = _page(client, survey, "language=es").get_data(as_text=True)
    assert "No responses in this selection" in html and not figures_of(html)


def test_language_filter_lists_language_names(client, study):
    survey, researcher = study
    login(client, researcher)
    html = _page(client, survey).get_data(as_text=True)
    options = dict(re.findall(r'<option (?:selected )?value="(\w*)">([^<]+)</option>', html))
    assert options.get("en") == "English"
    assert options.get("es") in (None, "Español")
    assert options.get("ar") in (None, "العربية")
    assert "ar" not in options.values() and "en" not in options.values()


def test_wave_status_is_scheduled_open_or_closed(client, app_ctx):
    from surveys.models import Wave

    researcher = make_researcher(role="viewer")
    survey = make_survey(organisation=researcher.organisation, n_waves=2)
    today = date.today()
    survey.waves[0].closed = False
    survey.waves[0].closes_on = today - timedelta(days=1)
    db.session.add(Wave(survey=survey, number=3, label="Wave 3", opens_on=today + timedelta(days=10),
                        closes_on=today + timedelta(days=20)))
    db.session.commit()
    login(client, researcher)
    html = client.get(f"/research/surveys/{survey.slug}/manage").get_data(as_text=True)
    states = re.findall(r'<span class="wave-state wave-(\w+)">', html)
    assert states == ["closed", "open", "scheduled"]

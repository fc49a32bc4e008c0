"""The dashboard page: figures from the suppressed aggregates, filters validated, plotly.js served locally."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from surveys.extensions import db
from surveys.web.assets import plotly_js_version
from tests.factories import make_policy_event, make_researcher, make_survey
from tests.research.dashboard.data import add_responses, login

FIGURE_BLOCK = re.compile(r'<script type="application/json" class="figure-data" data-target="([^"]+)">(.*?)</script>',
                          re.S)


@pytest.fixture
def study(app_ctx):
    """Three jurisdictions, four waves, an event in Beta before wave 3; one cell of 9 immigrants."""
    researcher = make_researcher(role="viewer")
    survey = make_survey(organisation=researcher.organisation, n_waves=4, jurisdictions=("Alpha", "Beta", "Gamma"))
    for wave in range(1, 5):
        for code in ("J01", "J02", "J03"):
            add_responses(survey, wave, code, 30, immigrant=False, trust=3.0 + 0.1 * wave)
            add_responses(survey, wave, code, 20 if (wave, code) != (2, "J02") else 9, immigrant=True, trust=2.5)
    make_policy_event(survey.jurisdictions[1], survey.waves[2].opens_on - timedelta(days=5))
    survey.waves[-1].closed = True  # every wave closed, so every wave is released and shown
    db.session.commit()
    return survey, researcher


def figures_of(html: str) -> dict[str, dict]:
    return {target: json.loads(body) for target, body in FIGURE_BLOCK.findall(html)}


def test_dashboard_shows_every_figure_as_json_data(client, study) -> None:
    survey, researcher = study
    login(client, researcher)
    page = client.get(f"/research/surveys/{survey.slug}/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    figures = figures_of(html)
    assert set(figures) == {"figure-responses", "figure-scores-trust", "figure-scores-willingness",
                            "figure-scores-fear", "figure-scores-involvement", "figure-subgroups-trust",
                            "figure-subgroups-willingness"}
    heatmap = figures["figure-responses"]["data"][0]
    assert heatmap["x"] == [1, 2, 3, 4] and heatmap["y"] == ["Alpha", "Beta", "Gamma"]
    assert heatmap["z"][0] == [50, 50, 50, 50]
    # Beta's wave-2 cell has 39 responses but 9 immigrants: the totals themselves are not small.
    assert heatmap["z"][1][1] == 39
    # The event in Beta is a dashed line just before wave 3 on every time chart.
    shapes = figures["figure-scores-trust"]["layout"]["shapes"]
    assert [s["x0"] for s in shapes] == [2.5]
    # No inline script: every <script> either has a src on our origin or is a JSON data block.
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'type="application/json"' in tag or re.search(r'src="/static/', tag), tag
    assert f"/static/vendor/plotly-{plotly_js_version()}.min.js" in html
    assert "style=" not in html


def test_subgroup_chart_hides_the_cell_of_nine_and_its_complements(client, study) -> None:
    survey, researcher = study
    login(client, researcher)
    figures = figures_of(client.get(f"/research/surveys/{survey.slug}/dashboard").get_data(as_text=True))
    traces = figures["figure-subgroups-trust"]["data"]
    immigrant = {t["name"]: t["y"] for t in traces if t.get("xaxis") is None}
    assert immigrant["Beta"][1] is None  # the 9
    # Complements: the wave-2 column (with its "all selected" total) and Beta's row each hide a second cell,
    # so no total minus the others gives the 9 back.
    wave2 = [immigrant[name][1] for name in ("Alpha", "Gamma", "All selected jurisdictions")]
    assert wave2.count(None) >= 1
    assert immigrant["Beta"].count(None) >= 2
    assert sum(v is None for trace in immigrant.values() for v in trace) < 12  # not everything is hidden


def test_filters_select_waves_jurisdictions_and_language(client, study) -> None:
    survey, researcher = study
    login(client, researcher)
    page = client.get(f"/research/surveys/{survey.slug}/dashboard?wave_from=2&wave_to=3&jurisdiction=J01"
                      "&jurisdiction=J03&language=en")
    assert page.status_code == 200
    heatmap = figures_of(page.get_data(as_text=True))["figure-responses"]["data"][0]
    assert heatmap["x"] == [2, 3] and heatmap["y"] == ["Alpha", "Gamma"]


@pytest.mark.parametrize(("query", "status", "message"), [
    ("wave_from=abc", 400, "wave_from"),
    ("wave_from=9", 422, "not a wave of this survey"),
    ("wave_from=3&wave_to=2", 422, "after wave_to"),
    ("jurisdiction=NOPE", 422, "not part of this survey"),
    ("language=xx", 422, "not offered"),
    ("language=" + "x" * 500, 400, "too long"),
])
def test_bad_filters_get_a_clear_4xx(client, study, query: str, status: int, message: str) -> None:
    survey, researcher = study
    login(client, researcher)
    page = client.get(f"/research/surveys/{survey.slug}/dashboard?{query}")
    assert page.status_code == status
    assert message in page.get_data(as_text=True)


def test_other_organisations_survey_is_not_found(client, study) -> None:
    survey, _ = study
    outsider = make_researcher(role="admin")
    db.session.commit()
    login(client, outsider)
    assert client.get(f"/research/surveys/{survey.slug}/dashboard").status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, study) -> None:
    survey, _ = study
    response = client.get(f"/research/surveys/{survey.slug}/dashboard")
    assert response.status_code == 302 and "/research/login" in response.headers["Location"]


def test_plotly_assets_are_served_from_our_origin_and_cacheable(client) -> None:
    version = plotly_js_version()
    script = client.get(f"/static/vendor/plotly-{version}.min.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert b"Plotly" in script.data[:5000] or len(script.data) > 1_000_000
    assert "immutable" in script.headers["Cache-Control"]
    css = client.get(f"/static/vendor/plotly-{version}.css")
    assert css.status_code == 200 and ".js-plotly-plot .plotly .modebar" in css.get_data(as_text=True)
    assert client.get("/static/vendor/plotly-0.0.0.min.js").status_code == 404


def test_estimates_endpoint_returns_did_ddd_and_event_study(client, study) -> None:
    survey, researcher = study
    login(client, researcher)
    body = client.get(f"/research/surveys/{survey.slug}/dashboard/estimates.json").get_json()
    estimators = {(e["outcome"], e["estimator"]) for e in body["effects"]}
    assert estimators == {(o, e) for o in ("trust", "willingness") for e in ("did", "ddd", "event_study")}
    assert body["specification"]["treated"] == ["J02"]
    assert "effects" in body["figures"]

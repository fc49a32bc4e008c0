"""The hypothesis fixes each outcome's expected sign (issue 13): on the demo, where immigrant
respondents' fear rises after more entanglement as designed, the DDD fear report says *supports*."""
from __future__ import annotations

import json

from sqlalchemy import select

from surveys.extensions import db
from surveys.models import Survey
from tests.accounts.helpers import add_researcher
from tests.factories import STRONG_PASSWORD


def test_demo_fear_ddd_supports_and_states_the_hypothesis_first(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    result = app.test_cli_runner().invoke(args=["demo", "--seed", "2017"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        survey = db.session.scalar(select(Survey))
        slug, organisation_id = survey.slug, survey.organisation_id
    account = add_researcher(app, organisation_id, role="analyst")
    client = app.test_client()
    client.post("/research/login", data={"email": account.email, "password": STRONG_PASSWORD})
    url = f"/research/surveys/{slug}/reports"
    body = json.loads(client.post(url, data={"format": "json", "outcome": "fear", "estimator": "ddd"}).data)
    head = body["headline"]
    assert head["expected_sign"] == 1 and head["estimate"] > 0
    assert body["verdict"] == head["verdict"] == "supports", body["verdict_text"]
    assert body["meta"]["hypothesis"].startswith("More entanglement of local police")
    assert "raises immigrant residents' fear" in body["meta"]["hypothesis"]
    trust = json.loads(client.post(url, data={"format": "json", "outcome": "trust", "estimator": "ddd"}).data)
    assert trust["headline"]["expected_sign"] == -1 and trust["verdict"] == "supports", trust["verdict_text"]
    page = client.post(url, data={"format": "html", "outcome": "fear", "estimator": "ddd"}).get_data(as_text=True)
    body_html = page[page.index("<body>"):]
    assert body_html.index("<h2>Hypothesis</h2>") < body_html.index("SUPPORTS") < body_html.index("+0.")  # claim first

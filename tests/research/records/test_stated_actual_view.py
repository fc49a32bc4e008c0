"""The stated-vs-actual view on the demo: both effects with intervals and whether they agree."""
from __future__ import annotations

import json
import re
from datetime import date
from html import unescape

from sqlalchemy import select

from analysis.victimization import reporting_rates, victim_incidents
from surveys.demo import load_demo
from surveys.extensions import db
from surveys.models import RecordImport, Researcher, Survey
from surveys.publication.exports import response_frame
from tests.accounts.helpers import add_researcher
from tests.factories import STRONG_PASSWORD, make_survey

# The demo lays its waves and police-records months out back from "today", so its figures move
# with the calendar day (on 2026-11-28 the 1,200-response demo's records line read "no clear
# change"): these tests build it for one fixed day, so that what they assert cannot drift.
DEMO_DAY = date(2026, 11, 27)


def _demo(app, **kw: int) -> None:
    with app.app_context():
        load_demo(seed=2017, today=DEMO_DAY, **kw)


def _client(app, role: str, organisation_id: int | None):
    account = add_researcher(app, organisation_id, role=role)
    client = app.test_client()
    client.post("/research/login", data={"email": account.email, "password": STRONG_PASSWORD})
    return client, account


def test_demo_shows_both_effects_side_by_side(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    _demo(app, n_responses=1200)
    with app.app_context():
        survey = db.session.scalar(select(Survey))
        slug, organisation_id, survey_id = survey.slug, survey.organisation_id, survey.id
        stored = db.session.scalars(select(RecordImport)).one()
        assert stored.survey_id == survey.id and stored.n_counted > 0
        # The victimization block's stored answers are what analysis.victimization reads, as exported.
        frame = response_frame(survey)
        incidents = ["burglary", "motor_vehicle_theft", "assault", "domestic_violence"]
        stacked = victim_incidents(frame, incidents, keep=["immigrant"])
        assert 50 < len(stacked) < 400 and set(stacked["reported"]) == {0.0, 1.0}
        rates = reporting_rates(frame, incidents)
        assert set(rates.columns) >= {"immigrant", "incidents", "rate"}
    client, _ = _client(app, "viewer", organisation_id)
    report = client.post(f"/research/surveys/{slug}/reports", data={"format": "json"})
    assert report.status_code == 200, report.get_data(as_text=True)[:500]
    comparison = json.loads(report.data)["results"]["Stated vs actual"]
    assert comparison["agreement"] in ("agree", "disagree", "partly", "unclear") and len(comparison["lines"]) == 3
    assert comparison["lines"][-1]["direction"] == "fell"  # the demo records carry a 25% fall in reporting
    assert comparison["components"] == {}  # model estimates only: no respondent group in this section
    # Each side's verdict from its own test, as data; the sentence follows the two verdicts.
    verdicts = comparison["verdicts"]
    assert verdicts["actual"]["verdict"] == "supports" and verdicts["actual"]["sesoi_unit"] == "percent"
    assert [ln["verdict"] for ln in comparison["lines"]] == [verdicts["stated"]["verdict"], "not tested",
                                                             verdicts["actual"]["verdict"]]
    page = client.get(f"/research/surveys/{slug}/dashboard/stated-vs-actual")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Stated willingness to report (survey)" in html and "Police reports (records)" in html
    assert html.count("95% CI") >= 2
    assert "Do they agree?" in html and f'<span class="agreement">{comparison["agreement"]}</span>' in html
    assert "Hispanic or Latino victims" in html and "Motor vehicle theft" in html
    assert "/records\"" not in html  # a viewer gets no link to the import pages
    # The survey's own behavioural measure, with its power statement; its rates pass the small-cell rule.
    assert "Reporting among victims (survey)" in html and "with 80% power" in html
    victim_table = html.split('class="data victim-rates"')[1].split("</table>")[0].split("<tbody>")[1]
    assert "%</td>" in victim_table  # some rates are shown at the survey's minimum cell size
    with app.app_context():
        db.session.get(Survey, survey_id).min_cell_size = 60
        db.session.commit()
    strict = client.get(f"/research/surveys/{slug}/dashboard/stated-vs-actual").get_data(as_text=True)
    if "victim-rates" in strict:
        rows = strict.split('class="data victim-rates"')[1].split("</table>")[0].split("<tbody>")[1].split("<tr>")[1:]
        for row in rows:
            assert ("suppressed" in row) == ("—" in row), row  # a hidden count hides its rate too
        assert any("suppressed" in row for row in rows)
    else:
        assert "too few victims" in strict or "not shown" in strict


def test_demo_verdicts_agree_and_match_in_every_format(make_app):
    """The default demo (records DDD about -25%, survey effect about -0.30 points): both sides'
    verdicts are "supports", the sentence says they agree, the hypothesis comes before any number
    and the verdict words are the same in the page, the JSON and the text report."""
    app = make_app(WTF_CSRF_ENABLED=False)
    _demo(app)
    with app.app_context():
        survey = db.session.scalar(select(Survey))
        slug, organisation_id = survey.slug, survey.organisation_id
    client, _ = _client(app, "viewer", organisation_id)
    report = client.post(f"/research/surveys/{slug}/reports", data={"format": "json"})
    comparison = json.loads(report.data)["results"]["Stated vs actual"]
    verdicts = comparison["verdicts"]
    assert verdicts["stated"]["verdict"] == verdicts["actual"]["verdict"] == "supports"
    assert comparison["agreement"] == "agree" and comparison["sentence"].startswith("They agree")
    assert -0.45 < comparison["lines"][0]["estimate"] < -0.15 and -40 < comparison["lines"][-1]["estimate"] < -10
    assert verdicts["actual"]["sesoi"] == 10 and "10% either way" in verdicts["actual"]["sentence"]
    assert comparison["hypothesis"]["actual"].startswith("More entanglement")
    html = client.get(f"/research/surveys/{slug}/dashboard/stated-vs-actual").get_data(as_text=True)
    visible = unescape(re.sub(r"<[^>]+>", " ", html.split("<h1>")[1]))  # the page's text, from its heading on
    before_verdicts = visible.split("Verdicts")[0]
    assert "Hypothesis" in before_verdicts and "More entanglement" in before_verdicts
    assert not re.search(r"\d", before_verdicts.replace("287(g)", ""))  # no number before the verdicts
    assert html.count('data-verdict="supports"') == 2 and '<span class="agreement">agree</span>' in html
    assert "Records: smallest effect of interest" in html and 'value="10.0"' in html
    rendered = client.post(f"/research/surveys/{slug}/reports", data={"format": "html"}).get_data(as_text=True)
    assert "SUPPORTS</strong>: The change in reports" in rendered
    assert "SUPPORTS</strong>: The extra change in stated willingness" in rendered
    assert "AGREE</strong>: They agree" in rendered
    # a bad SESOI is a 422 with the reason, never a silent default
    bad = client.get(f"/research/surveys/{slug}/dashboard/stated-vs-actual?records_sesoi=150")
    assert bad.status_code == 422 and "between 0 and 100" in bad.get_data(as_text=True)
    odd = client.get(f"/research/surveys/{slug}/dashboard/stated-vs-actual?stated_sesoi=abc")
    assert odd.status_code == 422 and "must be a number" in odd.get_data(as_text=True)
    wide = client.get(f"/research/surveys/{slug}/dashboard/stated-vs-actual?records_sesoi=60&stated_sesoi=0.5")
    assert wide.status_code == 200 and "60% either way" in wide.get_data(as_text=True)


def test_no_records_says_so(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    client, account = _client(app, "analyst", None)
    with app.app_context():
        slug = make_survey(organisation=db.session.get(Researcher, account.id).organisation).slug
        db.session.commit()
    page = client.get(f"/research/surveys/{slug}/dashboard/stated-vs-actual")
    assert page.status_code == 200
    assert "No police records have been imported" in page.get_data(as_text=True)

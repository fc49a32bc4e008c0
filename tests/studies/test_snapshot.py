"""The per-worker survey snapshot: any change made in the app is seen by the next request."""
from __future__ import annotations

from datetime import timedelta

from surveys.extensions import db
from surveys.models import Jurisdiction, PolicyEvent, Survey, Wave
from surveys.studies.service import set_wave_closed
from tests.factories import make_researcher
from tests.respond.helpers import make_default_survey


def _version(app, survey_id: int) -> int:
    with app.app_context():
        return db.session.get(Survey, survey_id).version


def test_changes_to_a_survey_its_waves_or_places_bump_its_version(app):
    survey = make_default_survey(app)
    start = _version(app, survey.id)
    with app.app_context():
        row = db.session.get(Survey, survey.id)
        row.title = "Renamed"
        db.session.commit()
    assert _version(app, survey.id) == start + 1
    with app.app_context():
        db.session.add(Jurisdiction(survey_id=survey.id, name="Gamma", code="J03"))
        db.session.commit()
    assert _version(app, survey.id) == start + 2
    with app.app_context():
        wave = db.session.get(Wave, survey.open_wave_id)
        wave.closes_on = wave.closes_on + timedelta(days=1)
        opens_on = wave.opens_on
        db.session.commit()
    assert _version(app, survey.id) == start + 3
    with app.app_context():  # not something a respondent page reads
        db.session.add(PolicyEvent(jurisdiction_id=survey.jurisdictions["J01"], event_date=opens_on,
                                   kind="other", direction=1))
        db.session.commit()
    assert _version(app, survey.id) == start + 3


def test_a_wave_closed_in_the_app_is_closed_for_the_next_request(app, client):
    survey = make_default_survey(app)
    assert "I agree: start the survey" in client.get(f"/s/{survey.slug}").get_data(as_text=True)  # cached now
    with app.app_context():
        admin = make_researcher(role="admin")
        set_wave_closed(admin, db.session.get(Wave, survey.open_wave_id), True)
    page = client.get(f"/s/{survey.slug}").get_data(as_text=True)
    assert "I agree: start the survey" not in page and "closed" in page.lower()
    with app.app_context():
        db.session.get(Survey, survey.id).archived = True
        db.session.commit()
    assert client.get(f"/s/{survey.slug}").status_code == 404

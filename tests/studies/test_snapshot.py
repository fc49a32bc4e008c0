"""The per-worker survey snapshot: a change is seen at once by the worker that made it, by the others
within ``VERSION_CHECK_SECONDS``, and a stale snapshot never lets a response into a closed wave."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select, update

from surveys.extensions import db
from surveys.models import Jurisdiction, PolicyEvent, Response, ResponseBuffer, SubmissionToken, Survey, Wave
from surveys.studies import snapshot
from surveys.studies.service import set_wave_closed
from tests.factories import make_researcher
from tests.respond.helpers import SurveyWalker, make_default_survey


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


def _close_as_another_worker(app, survey) -> None:
    """Close the wave and bump the version with Core statements: this process's session hooks do not
    see it, exactly as when another gunicorn worker closes the wave."""
    with app.app_context():
        db.session.execute(update(Wave).where(Wave.id == survey.open_wave_id).values(closed=True))
        db.session.execute(update(Survey).where(Survey.id == survey.id).values(version=Survey.version + 1))
        db.session.commit()


def _walk_to_last_page(client, survey) -> SurveyWalker:
    walker = SurveyWalker(client, survey)
    walker.start()
    for _ in range(20):
        if 'value="submit"' in walker.html:
            return walker
        walker.post_page({})
    raise AssertionError("the survey never ended")


def test_a_stale_snapshot_cannot_add_a_response_to_a_closed_wave(app, client, monkeypatch):
    """However stale this worker's snapshot, the submit's conditional insert sees the closure."""
    monkeypatch.setattr(snapshot, "VERSION_CHECK_SECONDS", 3600.0)  # the worst case: never re-checked
    survey = make_default_survey(app)
    walker = _walk_to_last_page(client, survey)
    _close_as_another_worker(app, survey)
    assert "I agree: start the survey" in client.get(f"/s/{survey.slug}").get_data(as_text=True)  # still stale
    walker.post_page({"comments": "after the closure"}, nav="submit")
    assert walker.status == 409 and "This survey round has ended" in walker.html
    with app.app_context():  # nothing stored, and the one-time token not used up either
        assert db.session.scalar(select(func.count()).select_from(ResponseBuffer)) == 0
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        assert db.session.scalar(select(func.count()).select_from(SubmissionToken)) == 0


def test_another_workers_change_is_seen_within_the_stated_bound(app, client):
    survey = make_default_survey(app)
    assert "I agree: start the survey" in client.get(f"/s/{survey.slug}").get_data(as_text=True)
    _close_as_another_worker(app, survey)
    time.sleep(snapshot.VERSION_CHECK_SECONDS + 0.05)
    page = client.get(f"/s/{survey.slug}").get_data(as_text=True)
    assert "I agree: start the survey" not in page and "closed" in page.lower()

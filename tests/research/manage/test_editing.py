"""Editing places and wave dates in the browser (issue 14): validated, audited, 404 for unknown ones."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditLog, Jurisdiction, Researcher, Wave
from tests.accounts.helpers import add_researcher
from tests.factories import login_as, make_survey, post_form


@pytest.fixture
def slug(app, analyst):
    with app.app_context():
        survey = make_survey(organisation=db.session.get(Researcher, analyst.id).organisation, n_waves=2)
        db.session.commit()
        return survey.slug


def test_edit_a_place_keeps_its_code(app, logged_in, slug):
    url = f"/research/surveys/{slug}/jurisdictions/J01/edit"
    assert 'value="Alpha"' in logged_in.get(url).get_data(as_text=True)
    response = post_form(logged_in, url, {"name": "Alpha City", "district": "North"})
    assert response.status_code == 302
    with app.app_context():
        place = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "J01"))
        assert (place.name, place.district) == ("Alpha City", "North")
        assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "jurisdiction.update"))
    assert "Alpha City" in logged_in.get(f"/research/surveys/{slug}/manage").get_data(as_text=True)


def test_edit_wave_dates_refuses_overlap_and_backwards_dates(app, logged_in, slug):
    url = f"/research/surveys/{slug}/waves/1/edit"
    with app.app_context():
        second = db.session.scalar(select(Wave).where(Wave.number == 2))
        clash = (second.opens_on.isoformat(), second.closes_on.isoformat())
    overlap = post_form(logged_in, url, {"opens_on": clash[0], "closes_on": clash[1]})
    assert overlap.status_code == 400 and "overlap" in overlap.get_data(as_text=True)
    backwards = post_form(logged_in, url, {"opens_on": "2020-02-01", "closes_on": "2020-01-01"})
    assert backwards.status_code == 400 and "cannot close before it opens" in backwards.get_data(as_text=True)
    assert post_form(logged_in, url, {"label": "Pilot", "opens_on": "2020-01-01",
                                      "closes_on": "2020-01-31"}).status_code == 302
    with app.app_context():
        wave = db.session.scalar(select(Wave).where(Wave.number == 1))
        assert (wave.label, wave.opens_on.isoformat(), wave.closes_on.isoformat()) == ("Pilot", "2020-01-01",
                                                                                        "2020-01-31")


@pytest.mark.parametrize("path", ["jurisdictions/NOPE/edit", "waves/9/edit"])
def test_unknown_place_or_wave_is_404(logged_in, slug, path):
    assert logged_in.get(f"/research/surveys/{slug}/{path}").status_code == 404


@pytest.mark.parametrize("path, data", [("jurisdictions/J01/edit", {"name": ""}),
                                        ("jurisdictions/J01/edit", {"name": "x" * 500}),
                                        ("waves/1/edit", {"opens_on": "soon", "closes_on": "later"}),
                                        ("waves/1/edit", {"label": "x" * 500})])
def test_bad_edits_are_400(logged_in, slug, path, data):
    assert post_form(logged_in, f"/research/surveys/{slug}/{path}", data).status_code == 400


def test_viewers_cannot_edit(app, client, slug, analyst):
    with app.app_context():
        organisation_id = db.session.get(Researcher, analyst.id).organisation_id
    viewer = add_researcher(app, organisation_id, role="viewer")
    login_as(client, viewer)
    assert client.get(f"/research/surveys/{slug}/waves/1/edit").status_code == 403
    assert "Edit dates" not in client.get(f"/research/surveys/{slug}/manage").get_data(as_text=True)

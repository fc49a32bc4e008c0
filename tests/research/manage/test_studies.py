"""Study management through the pages: surveys, jurisdictions, waves, policy events, invite codes."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import AuditLog, InviteCode, Jurisdiction, PolicyEvent, Researcher, Survey, Wave
from surveys.studies.instrument_store import store_instrument
from surveys.studies.invites import hash_invite_code
from tests.accounts.helpers import add_researcher
from tests.factories import csrf_token_from, login_as, make_instrument, make_survey, post_form


def _instrument_id(app) -> int:
    with app.app_context():
        instrument = make_instrument(key="civic-trust-core", version="1.0")
        db.session.commit()
        return instrument.id


def _survey(app, analyst, bundled: bool = False, **kw) -> str:
    with app.app_context():
        organisation = db.session.get(Researcher, analyst.id).organisation
        if bundled:
            kw["instrument"] = store_instrument(DEFAULT_INSTRUMENT_PATH)[0]
        survey = make_survey(organisation=organisation, **kw)
        db.session.commit()
        return survey.slug


SURVEY_FORM = {
    "slug": "riverside-2025",
    "title": "Riverside trust survey",
    "description": "Two counties, quarterly.",
    "uses_invite_codes": "y",
    "date_granularity": "week",
    "min_cell_size": "15",
}


def test_create_survey_from_a_stored_instrument(app, logged_in, analyst):
    instrument_id = _instrument_id(app)
    page = logged_in.get("/research/surveys/new").get_data(as_text=True)
    assert "civic-trust-core, version 1.0" in page
    response = post_form(logged_in, "/research/surveys/new", {**SURVEY_FORM, "instrument_id": instrument_id})
    assert response.status_code == 302
    assert response.headers["Location"] == "/research/surveys/riverside-2025/manage"
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == "riverside-2025"))
        assert survey.organisation_id == analyst.organisation_id
        assert survey.instrument_id == instrument_id
        assert (survey.uses_invite_codes, survey.date_granularity, survey.min_cell_size) == (True, "week", 15)
        audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "survey.create"))
        assert audit.researcher_id == analyst.id and audit.target == f"survey:{survey.id}"
    overview = logged_in.get("/research/surveys/riverside-2025/manage").get_data(as_text=True)
    assert "Riverside trust survey" in overview and "/s/riverside-2025" in overview
    assert "Riverside trust survey" in logged_in.get("/research/").get_data(as_text=True)


@pytest.mark.parametrize("change, message", [
    ({"slug": "Bad Slug!"}, "lower-case"),
    ({"slug": "-leading"}, "lower-case"),
    ({"slug": "12345"}, "at least one letter"),
    ({"min_cell_size": "9"}, "at least 10"),
    ({"title": ""}, "This field is required"),
    ({"date_granularity": "hour"}, "Not a valid choice"),
    ({"instrument_id": "999999"}, "Not a valid choice"),
])
def test_create_survey_refusals(app, logged_in, change, message):
    instrument_id = _instrument_id(app)
    response = post_form(logged_in, "/research/surveys/new", {**SURVEY_FORM, "instrument_id": instrument_id, **change})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Survey).count() == 0


def test_slug_must_be_unique_across_organisations(app, logged_in):
    instrument_id = _instrument_id(app)
    with app.app_context():
        make_survey(slug="riverside-2025")
        db.session.commit()
    response = post_form(logged_in, "/research/surveys/new", {**SURVEY_FORM, "instrument_id": instrument_id})
    assert response.status_code == 400
    assert "is taken" in response.get_data(as_text=True)


def test_no_instrument_explains_how_to_load_one(logged_in):
    assert "load-instrument" in logged_in.get("/research/surveys/new").get_data(as_text=True)


def test_csrf_is_required(app, client, analyst):
    instrument_id = _instrument_id(app)
    login_as(client, analyst)
    response = client.post("/research/surveys/new", data={**SURVEY_FORM, "instrument_id": instrument_id})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.query(Survey).count() == 0


def test_jurisdictions(app, logged_in, analyst):
    slug = _survey(app, analyst, jurisdictions=())
    url = f"/research/surveys/{slug}/jurisdictions/new"
    assert post_form(logged_in, url, {"name": "Alder County", "code": "ald"}).status_code == 302
    assert post_form(logged_in, url, {"name": "Bayview", "code": "BAY", "district": "North"}).status_code == 302
    duplicate = post_form(logged_in, url, {"name": "Alder again", "code": "ALD"})
    assert duplicate.status_code == 400
    assert "already has a jurisdiction with code ALD" in duplicate.get_data(as_text=True)
    bad = post_form(logged_in, url, {"name": "X", "code": "has space"})
    assert bad.status_code == 400
    with app.app_context():
        rows = db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.name)).all()
        assert [(j.name, j.code, j.district) for j in rows] == [
            ("Alder County", "ALD", None),
            ("Bayview", "BAY", "North"),
        ]


def test_waves_open_close_and_overlap(app, logged_in, analyst):
    slug = _survey(app, analyst, n_waves=0)
    url = f"/research/surveys/{slug}/waves/new"
    first = {"label": "Spring", "opens_on": "2025-03-01", "closes_on": "2025-05-31"}
    assert post_form(logged_in, url, first).status_code == 302
    overlap = post_form(logged_in, url, {"opens_on": "2025-05-01", "closes_on": "2025-06-30"})
    assert overlap.status_code == 400 and "overlap" in overlap.get_data(as_text=True)
    backwards = post_form(logged_in, url, {"opens_on": "2025-09-01", "closes_on": "2025-08-01"})
    assert backwards.status_code == 400 and "cannot close before it opens" in backwards.get_data(as_text=True)
    assert post_form(logged_in, url, {"opens_on": "2025-06-01", "closes_on": "2025-08-31"}).status_code == 302
    manage = f"/research/surveys/{slug}/manage"
    confirm = logged_in.get(f"/research/surveys/{slug}/waves/1/close")  # a confirmation page; closes nothing
    assert confirm.status_code == 200 and "Yes, close Spring" in confirm.get_data(as_text=True)
    assert logged_in.get(f"/research/surveys/{slug}/waves/9/close").status_code == 404
    with app.app_context():
        assert not any(db.session.scalars(select(Wave.closed)))
    assert f'href="/research/surveys/{slug}/waves/1/close"' in logged_in.get(manage).get_data(as_text=True)
    assert post_form(logged_in, manage, {}, action=f"/research/surveys/{slug}/waves/1/close").status_code == 302
    with app.app_context():
        waves = db.session.scalars(select(Wave).order_by(Wave.number)).all()
        assert [(w.number, w.label, w.closed) for w in waves] == [(1, "Spring", True), (2, "Wave 2", False)]
        assert not waves[0].is_open(date(2025, 4, 1))
    assert post_form(logged_in, manage, {}, action=f"/research/surveys/{slug}/waves/1/reopen").status_code == 302
    assert logged_in.post(f"/research/surveys/{slug}/waves/9/close").status_code == 400  # no CSRF token
    assert post_form(logged_in, manage, {}, action=f"/research/surveys/{slug}/waves/9/close").status_code == 404
    with app.app_context():
        assert db.session.get(Wave, waves[0].id).closed is False
        actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        # Closing a wave publishes a release of the closed waves (what viewers and the API may see).
        assert actions[-5:] == ["wave.create", "wave.create", "wave.close", "release.publish", "wave.reopen"]


def test_policy_events(app, logged_in, analyst):
    slug = _survey(app, analyst)
    other_slug = _survey(app, analyst)
    with app.app_context():
        ours = db.session.scalar(select(Survey).where(Survey.slug == slug)).jurisdictions[0].id
        theirs = db.session.scalar(select(Survey).where(Survey.slug == other_slug)).jurisdictions[0].id
    url = f"/research/surveys/{slug}/events/new"
    event = {"jurisdiction_id": ours, "event_date": "2025-04-15", "kind": "287g_signed", "entanglement": "more",
             "description": "Sheriff signs a 287(g) agreement.", "source_url": "https://example.org/news/287g"}
    assert post_form(logged_in, url, event).status_code == 302
    for change in ({"jurisdiction_id": theirs}, {"kind": "martial_law"}, {"entanglement": "sideways"},
                   {"source_url": "javascript:alert(1)"}, {"description": ""}, {"event_date": "15/04/2025"}):
        assert post_form(logged_in, url, {**event, **change}).status_code == 400, change
    # no default: leaving the entanglement unchosen is refused with a message
    unchosen = post_form(logged_in, url, {k: v for k, v in event.items() if k != "entanglement"})
    assert unchosen.status_code == 400 and "Choose more or less entanglement" in unchosen.get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(select(PolicyEvent))
        assert row.entanglement == "more"
        assert db.session.query(PolicyEvent).count() == 1
        assert (row.jurisdiction_id, row.event_date) == (ours, date(2025, 4, 15))
        assert (row.kind, row.direction) == ("287g_signed", -1)
        assert row.source_url == "https://example.org/news/287g"
    page = logged_in.get(f"/research/surveys/{slug}/manage").get_data(as_text=True)
    assert "287(g) agreement signed" in page and "Sheriff signs" in page


def test_policy_event_needs_a_jurisdiction(app, logged_in, analyst):
    slug = _survey(app, analyst, jurisdictions=())
    response = logged_in.get(f"/research/surveys/{slug}/events/new")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{slug}/manage")


def test_invite_codes_are_shown_once_and_stored_hashed(app, logged_in, analyst):
    slug = _survey(app, analyst, uses_invite_codes=True, bundled=True)  # the cards show its public title
    url = f"/research/surveys/{slug}/invite-codes"
    response = post_form(logged_in, url, {"count": "12", "batch": "mail-out 1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    codes = re.findall(r'class="invite-code">([A-Z0-9-]+)<', page)
    assert len(codes) == 12 == len(set(codes))
    assert all(re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code) for code in codes)
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        stored = set(db.session.scalars(select(InviteCode.code_hash).where(InviteCode.survey_id == survey.id)))
        assert stored == {hash_invite_code(survey, code) for code in codes}
        assert stored.isdisjoint(codes)
        audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "invite_codes.create"))
        assert audit.parameters == {"slug": slug, "count": 12, "batch": "mail-out 1"}
    again = logged_in.get(url).get_data(as_text=True)
    assert not any(code in again for code in codes)
    assert "mail-out 1" in again


def test_invite_codes_need_invite_mode(app, logged_in, analyst):
    slug = _survey(app, analyst, uses_invite_codes=False, bundled=True)
    response = post_form(logged_in, f"/research/surveys/{slug}/invite-codes", {"count": "5"})
    assert response.status_code == 400
    assert "does not use invite codes" in response.get_data(as_text=True)


@pytest.mark.parametrize("used, shown", [(3, False), (10, True), (25, False)])
def test_invite_batch_usage_is_suppressed_when_small(app, logged_in, analyst, used, shown):
    """Used (or unused) counts under the survey's minimum cell size are not shown."""
    slug = _survey(app, analyst, uses_invite_codes=True, bundled=True)
    post_form(logged_in, f"/research/surveys/{slug}/invite-codes", {"count": "30", "batch": "b"})
    with app.app_context():
        for row in db.session.scalars(select(InviteCode).limit(used)):
            row.used = True
        db.session.commit()
    page = logged_in.get(f"/research/surveys/{slug}/invite-codes").get_data(as_text=True)
    assert (f"<td>{used}</td>" in page) is shown
    assert ("suppressed" in page) is not shown


def test_viewer_sees_the_overview_without_management_links(app, client):
    viewer = add_researcher(app, role="viewer")
    slug = _survey(app, viewer)
    login_as(client, viewer)
    page = client.get(f"/research/surveys/{slug}/manage").get_data(as_text=True)
    assert "Alpha" in page
    assert "Add a jurisdiction" not in page and "Close</button>" not in page and "New survey" not in page


def test_get_never_changes_state(app, logged_in, analyst):
    slug = _survey(app, analyst, uses_invite_codes=True, bundled=True)
    for url in (f"/research/surveys/{slug}/invite-codes", f"/research/surveys/{slug}/waves/new",
                f"/research/surveys/{slug}/jurisdictions/new", "/research/surveys/new"):
        page = logged_in.get(url, query_string={"count": 5, "name": "X", "code": "X", "slug": "x", "title": "x"})
        assert page.status_code == 200
        csrf_token_from(page.get_data(as_text=True))
    with app.app_context():
        assert db.session.query(InviteCode).count() == 0
        assert db.session.query(Jurisdiction).count() == 2
        assert db.session.query(Survey).count() == 1


def test_printed_codes_work_once_in_the_submission_service(app, logged_in, analyst):
    """A code from the printable page is accepted once by ``store_response``, then refused."""
    from surveys.instruments import DEFAULT_INSTRUMENT_PATH
    from surveys.studies.instrument_store import parsed_instrument, store_instrument
    from surveys.studies.submission import InvalidInviteCode, store_response

    with app.app_context():
        instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
        organisation = db.session.get(Researcher, analyst.id).organisation
        slug = make_survey(organisation=organisation, instrument=instrument, uses_invite_codes=True).slug
        db.session.commit()
    page = post_form(logged_in, f"/research/surveys/{slug}/invite-codes", {"count": "2", "batch": "x"})
    code = re.findall(r'class="invite-code">([A-Z0-9-]+)<', page.get_data(as_text=True))[0]
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        parsed = parsed_instrument(survey.instrument)
        wave, place = survey.waves[-1], survey.jurisdictions[0]
        store_response(parsed, survey, wave, place, "en", {}, invite_code=code.lower().replace("-", " "))
        with pytest.raises(InvalidInviteCode):
            store_response(parsed, survey, wave, place, "en", {}, invite_code=code)


def test_survey_settings(app, logged_in, analyst):
    slug = _survey(app, analyst)
    url = f"/research/surveys/{slug}/settings"
    assert 'value="10"' in logged_in.get(url).get_data(as_text=True)
    low = post_form(logged_in, url, {"title": "Renamed", "min_cell_size": "5"})
    assert low.status_code == 400
    saved = post_form(logged_in, url, {"title": "Renamed", "description": "d", "min_cell_size": "20", "archived": "y"})
    assert saved.status_code == 302
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        assert (survey.title, survey.min_cell_size, survey.archived) == ("Renamed", 20, True)
        audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "survey.update"))
        assert audit.parameters["changed"]["min_cell_size"] == {"from": 10, "to": 20}
    assert logged_in.get(f"/s/{slug}").status_code == 404  # archived: the respondent address is closed


def test_delete_policy_event(app, logged_in, analyst):
    from tests.factories import make_policy_event

    slug = _survey(app, analyst)
    other_slug = _survey(app, analyst)
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        other = db.session.scalar(select(Survey).where(Survey.slug == other_slug))
        ours = make_policy_event(survey.jurisdictions[0], date(2025, 1, 1)).id
        theirs = make_policy_event(other.jurisdictions[0], date(2025, 1, 1)).id
        db.session.commit()
    manage = f"/research/surveys/{slug}/manage"
    # The manage page links to a confirmation page; its GET changes nothing and names what it deletes.
    listing = logged_in.get(manage).get_data(as_text=True)
    assert f'href="/research/surveys/{slug}/events/{ours}/delete"' in listing
    assert f'action="/research/surveys/{slug}/events/{ours}/delete"' not in listing  # no one-click delete
    confirm = logged_in.get(f"/research/surveys/{slug}/events/{ours}/delete")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Delete the policy event of 2025-01-01" in page
    assert f'action="/research/surveys/{slug}/events/{ours}/delete"' in page and "Yes, delete" in page
    assert logged_in.get(f"/research/surveys/{slug}/events/{theirs}/delete").status_code == 404
    no_token = logged_in.post(f"/research/surveys/{slug}/events/{ours}/delete", data={})
    assert no_token.status_code == 400  # without the confirmation page's CSRF token nothing is deleted
    with app.app_context():
        assert db.session.get(PolicyEvent, ours) is not None
    wrong_survey = post_form(logged_in, manage, {}, action=f"/research/surveys/{slug}/events/{theirs}/delete")
    assert wrong_survey.status_code == 404
    assert post_form(logged_in, manage, {}, action=f"/research/surveys/{slug}/events/{ours}/delete").status_code == 302
    with app.app_context():
        assert [e.id for e in db.session.scalars(select(PolicyEvent))] == [theirs]
        audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "policy_event.delete"))
        assert audit.parameters["event_date"] == "2025-01-01"


def test_edit_policy_event(app, logged_in, analyst):
    """Type, date, entanglement, place, description and source link can all be corrected; bad input is
    a 400 with the reason beside the field; the audit row keeps what the event was."""
    from tests.factories import make_policy_event

    slug = _survey(app, analyst)
    other_slug = _survey(app, analyst)
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        other = db.session.scalar(select(Survey).where(Survey.slug == other_slug))
        ours = make_policy_event(survey.jurisdictions[0], date(2025, 1, 1)).id
        theirs = make_policy_event(other.jurisdictions[0], date(2025, 1, 1)).id
        second_place = survey.jurisdictions[1].id
        db.session.commit()
    url = f"/research/surveys/{slug}/events/{ours}/edit"
    page = logged_in.get(url).get_data(as_text=True)
    assert 'value="2025-01-01"' in page and "Save policy event" in page
    assert f'href="{url}"' in logged_in.get(f"/research/surveys/{slug}/manage").get_data(as_text=True)
    good = {"jurisdiction_id": str(second_place), "event_date": "2025-03-15", "kind": "sanctuary_adopted",
            "entanglement": "less", "description": "Council vote", "source_url": "https://example.org/vote"}
    bad = post_form(logged_in, url, {**good, "source_url": "ftp://x"})
    assert bad.status_code == 400 and "http:// or https://" in bad.get_data(as_text=True)
    no_direction = post_form(logged_in, url, {k: v for k, v in good.items() if k != "entanglement"})
    assert no_direction.status_code == 400 and "more or less entanglement" in no_direction.get_data(as_text=True)
    assert post_form(logged_in, url, good).status_code == 302
    with app.app_context():
        event = db.session.get(PolicyEvent, ours)
        assert (event.jurisdiction_id, event.event_date, event.kind, event.entanglement, event.direction,
                event.source_url) == (second_place, date(2025, 3, 15), "sanctuary_adopted", "less", 1,
                                      "https://example.org/vote")
        audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "policy_event.update"))
        assert audit.parameters["was_event_date"] == "2025-01-01" and audit.parameters["kind"] == "sanctuary_adopted"
    assert logged_in.get(f"/research/surveys/{slug}/events/{theirs}/edit").status_code == 404
    assert logged_in.get(f"/research/surveys/{slug}/events/999999999/edit").status_code == 404

"""YAML in and out of the editor, fielding a published version, and the warning when compared
waves used different versions."""
from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH, load_instrument, parse_instrument
from surveys.models import Instrument, Researcher, Survey, Wave
from surveys.studies.instrument_store import parsed_instrument
from tests.factories import csrf_token_from, make_survey, post_form

from .formdata import form_fields


def _id(url: str) -> int:
    return int(url.split("#")[0].rstrip("/").rsplit("/", 1)[1])


def _upload(client, content: bytes, name: str = "q.yaml"):
    token = csrf_token_from(client.get("/research/instruments").get_data(as_text=True))
    return client.post("/research/instruments/import", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(content), name)})


def _same(a, b) -> None:
    """Two parsed instruments hold the same questionnaire (every part the loader builds)."""
    assert (a.id, a.version, a.title, a.languages, a.default_language, a.texts) == \
        (b.id, b.version, b.title, b.languages, b.default_language, b.texts)
    assert a.blocks == b.blocks and a.scales == b.scales and a.flags == b.flags
    assert a.questions() == b.questions()


def test_yaml_round_trip_equals_the_loaders_result(app, logged_in, draft_url):
    page = logged_in.get(f"{draft_url}/items/born_abroad").get_data(as_text=True)
    fields = form_fields(page, f"{draft_url}/items/born_abroad")
    fields["text.es"] = "¿Dónde nació usted?"
    assert logged_in.post(f"{draft_url}/items/born_abroad", data=fields).status_code == 302
    exported = logged_in.get(f"{draft_url}/export.yaml")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    text = exported.get_data(as_text=True)
    with app.app_context():
        stored = parsed_instrument(db.session.get(Instrument, _id(draft_url)))
    _same(parse_instrument(text), stored)  # the file says exactly what the editor stored
    # back in under another version: the same questionnaire again
    response = _upload(logged_in, text.replace('version: 1.1.0', 'version: 1.2.0').encode("utf-8"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        imported = db.session.get(Instrument, _id(response.headers["Location"]))
        assert imported.status == "draft"
        again = parsed_instrument(imported)
    assert again.version == "1.2.0" and again.question("born_abroad").text["es"] == "¿Dónde nació usted?"
    _same(again, parse_instrument(text.replace('version: 1.1.0', 'version: 1.2.0')))


def test_importing_the_bundled_file_equals_loading_it(app, logged_in):
    response = _upload(logged_in, DEFAULT_INSTRUMENT_PATH.read_bytes(), "civic-trust-core.yaml")
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Instrument, _id(response.headers["Location"]))
        assert row.source_yaml == DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8")
        _same(parsed_instrument(row), load_instrument(DEFAULT_INSTRUMENT_PATH))


def test_bad_uploads_are_refused_with_a_message(app, logged_in):
    broken = DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8").replace("id: born_abroad", "id: Born Abroad")
    response = _upload(logged_in, broken.encode("utf-8"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "was not imported" in page and "is not a valid id" in page
    assert _upload(logged_in, b"\xff\xfe not text").status_code == 422
    assert "not UTF-8" in _upload(logged_in, b"\xff\xfe not text").get_data(as_text=True)
    assert _upload(logged_in, b"- just\n- a list\n").status_code == 422
    token = csrf_token_from(logged_in.get("/research/instruments").get_data(as_text=True))
    empty = logged_in.post("/research/instruments/import", content_type="multipart/form-data",
                           data={"csrf_token": token})
    assert empty.status_code == 400 and "Choose a YAML file" in empty.get_data(as_text=True)
    assert _upload(logged_in, DEFAULT_INSTRUMENT_PATH.read_bytes()).status_code == 302
    changed = DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8").replace("Police, safety", "Policing, safety")
    conflict = _upload(logged_in, changed.encode("utf-8"))
    assert conflict.status_code == 409 and "exists already" in conflict.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Instrument).count() == 1


def test_a_survey_is_created_with_a_published_version_only(app, logged_in, draft_url):
    survey_page = logged_in.get("/research/surveys/new").get_data(as_text=True)
    assert "riverside, version 1.1.0" not in survey_page  # a draft is not offered
    refused = post_form(logged_in, "/research/surveys/new", {"instrument_id": _id(draft_url), "slug": "river",
                                                              "title": "River", "min_cell_size": "10",
                                                              "date_granularity": "day"})
    assert refused.status_code == 400
    post_form(logged_in, draft_url, {}, action=f"{draft_url}/publish")
    assert "riverside, version 1.1.0" in logged_in.get("/research/surveys/new").get_data(as_text=True)
    created = post_form(logged_in, "/research/surveys/new", {"instrument_id": _id(draft_url), "slug": "river",
                                                              "title": "River", "min_cell_size": "10",
                                                              "date_granularity": "day"})
    assert created.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Survey).where(Survey.slug == "river")).instrument_id == _id(draft_url)


def _survey_with_waves(app, analyst, instrument_id: int) -> str:
    today = date.today()
    with app.app_context():
        researcher = db.session.get(Researcher, analyst.id)
        assert researcher is not None
        organisation = researcher.organisation
        survey = make_survey(organisation=organisation, instrument=db.session.get(Instrument, instrument_id), n_waves=0)
        for number, (start, end) in enumerate([(today - timedelta(days=60), today - timedelta(days=30)),
                                               (today + timedelta(days=10), today + timedelta(days=40))], 1):
            db.session.add(Wave(survey=survey, number=number, label=f"Wave {number}", opens_on=start,
                                closes_on=end, instrument_id=instrument_id))
        db.session.commit()
        return survey.slug


def test_switching_version_moves_scheduled_waves_and_reports_warn(app, logged_in, analyst, draft_url):
    post_form(logged_in, draft_url, {}, action=f"{draft_url}/publish")
    slug = _survey_with_waves(app, analyst, _id(draft_url))
    page = logged_in.get(f"{draft_url}/items/born_abroad").get_data(as_text=True)
    fields = form_fields(page, f"{draft_url}/items/born_abroad")
    fields["text.es"] = "¿Dónde nació usted?"
    new_url = logged_in.post(f"{draft_url}/items/born_abroad", data=fields).headers["Location"].split("#")[0]
    url = f"/research/surveys/{slug}/instrument"
    unpublished = post_form(logged_in, url, {"instrument_id": _id(new_url)})
    assert unpublished.status_code == 422 and "Choose one of the published versions" in unpublished.get_data(True)
    post_form(logged_in, new_url, {}, action=f"{new_url}/publish")
    assert post_form(logged_in, url, {"instrument_id": _id(new_url)}).status_code == 302
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        assert survey.instrument_id == _id(new_url)
        assert {w.number: w.instrument_id for w in survey.waves} == {1: _id(draft_url), 2: _id(new_url)}
    with app.app_context():  # wave 2 is fielded with the new version and closes
        wave = db.session.scalar(select(Wave).join(Survey).where(Survey.slug == slug, Wave.number == 2))
        wave.opens_on, wave.closes_on = date.today() - timedelta(days=20), date.today() - timedelta(days=1)
        db.session.commit()
    for page_url in (f"/research/surveys/{slug}/export", f"/research/surveys/{slug}/dashboard"):
        html = logged_in.get(page_url).get_data(as_text=True)
        assert "Different questionnaire versions" in html, page_url
        assert "wave 1 version 1.1.0, wave 2 version 1.1.1; 1 item changed (born_abroad)" in html
        assert f"/research/instruments/diff?a={_id(draft_url)}&amp;b={_id(new_url)}" in html


def test_no_switch_while_a_wave_is_open(app, logged_in, analyst, draft_url):
    post_form(logged_in, draft_url, {}, action=f"{draft_url}/publish")
    slug = _survey_with_waves(app, analyst, _id(draft_url))
    with app.app_context():
        wave = db.session.scalar(select(Wave).join(Survey).where(Survey.slug == slug, Wave.number == 2))
        wave.opens_on = date.today() - timedelta(days=1)
        db.session.commit()
    response = post_form(logged_in, f"/research/surveys/{slug}/instrument", {"instrument_id": _id(draft_url)})
    assert response.status_code == 409 and "A wave is open" in response.get_data(as_text=True)
    html = logged_in.get(f"/research/surveys/{slug}/export").get_data(as_text=True)
    assert "Different questionnaire versions" not in html  # both waves share one version


"""Distribution pages: per-place links and QR codes, invite cards in each language, codes as CSV."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import AuditLog, InviteCode, Researcher, Survey
from surveys.studies.instrument_store import store_instrument
from surveys.studies.invites import hash_invite_code
from tests.accounts.helpers import add_researcher
from tests.factories import login_as, make_survey, post_form


def _survey(app, analyst, **kw) -> str:
    with app.app_context():
        organisation = db.session.get(Researcher, analyst.id).organisation
        instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
        survey = make_survey(organisation=organisation, title="Internal: riverside Q3 panel", instrument=instrument,
                             **kw)
        db.session.commit()
        return survey.slug


def test_each_place_has_a_link_and_a_local_svg_qr_code(app, logged_in, analyst):
    slug = _survey(app, analyst)
    page = logged_in.get(f"/research/surveys/{slug}/distribution").get_data(as_text=True)
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        places = [(j.name, j.code) for j in survey.jurisdictions]
    assert places
    for name, code in places:
        assert f"/s/{slug}?j={code}" in page
        assert f"<title>QR code: {name}</title>" in page
    assert page.count('<svg role="img"') == len(places)
    assert "http" not in re.sub(r"https?://localhost[^\"<\s]*|http://www\.w3\.org/2000/svg", "", page)


def test_distribution_of_another_organisations_survey_is_404(app, client):
    other = add_researcher(app, role="admin")
    mine = add_researcher(app, role="viewer")
    slug = _survey(app, other)
    login_as(client, mine)
    assert client.get(f"/research/surveys/{slug}/distribution").status_code == 404


@pytest.mark.parametrize("language, title", [("es", None), ("ar", None), ("en", None)])
def test_invite_cards_in_each_language_carry_the_public_title_and_a_code_link(app, logged_in, analyst,
                                                                               language, title):
    slug = _survey(app, analyst, uses_invite_codes=True)
    response = post_form(logged_in, f"/research/surveys/{slug}/invite-codes",
                         {"count": "3", "batch": "b", "language": language, "output": "cards"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    codes = re.findall(r'class="invite-code">([A-Z0-9-]+)<', page)
    assert len(codes) == 3
    for code in codes:
        assert f"/s/{slug}?code={code}&amp;lang={language}" in page
    assert page.count('<svg role="img"') == 3
    assert f'lang="{language}"' in page
    cards = page.split('class="invite-cards"', 1)[1]
    assert "Internal: riverside Q3 panel" not in cards  # the respondents' title, not the internal one
    with app.app_context():
        from surveys.studies.instrument_store import parsed_instrument
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        instrument = parsed_instrument(survey.instrument)
        public = instrument.text_for(instrument.title, language)
    from markupsafe import escape
    assert str(escape(public)) in cards


def test_a_card_link_opens_the_survey_with_the_code_filled_in(app, logged_in, analyst, client):
    slug = _survey(app, analyst, uses_invite_codes=True)
    page = post_form(logged_in, f"/research/surveys/{slug}/invite-codes",
                     {"count": "1", "language": "es"}).get_data(as_text=True)
    code = re.findall(r'class="invite-code">([A-Z0-9-]+)<', page)[0]
    start = logged_in.get(f"/s/{slug}?code={code}&lang=es").get_data(as_text=True)
    assert f'value="{code}"' in start
    assert 'lang="es"' in start


def test_codes_download_as_csv_once_and_audited(app, logged_in, analyst):
    slug = _survey(app, analyst, uses_invite_codes=True)
    response = post_form(logged_in, f"/research/surveys/{slug}/invite-codes",
                         {"count": "4", "batch": "door 2", "output": "csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 4 and {r["batch"] for r in rows} == {"door 2"}
    assert all(r["url"].endswith(f"/s/{slug}?code={r['code']}") for r in rows)
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        stored = set(db.session.scalars(select(InviteCode.code_hash).where(InviteCode.survey_id == survey.id)))
        assert stored == {hash_invite_code(survey, r["code"]) for r in rows}
        audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "export.invite_codes"))
        assert audit.parameters == {"count": 4, "batch": "door 2"}


@pytest.mark.parametrize("data", [{"count": "2", "language": "xx"}, {"count": "2", "output": "pdf"},
                                  {"count": "0"}, {"count": "abc"}, {"count": "2", "language": "e" * 5000}])
def test_bad_invite_code_options_are_400(app, logged_in, analyst, data):
    slug = _survey(app, analyst, uses_invite_codes=True)
    response = post_form(logged_in, f"/research/surveys/{slug}/invite-codes", data)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(InviteCode.id)) is None

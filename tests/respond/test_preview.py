"""Preview and test mode: a researcher walks the survey (even with no wave open) and the answers go
to the test store only; they are listed and deleted (after a confirmation) on the manage page."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from surveys.extensions import db
from surveys.models import (
    Answer,
    AuditLog,
    InviteCode,
    Organisation,
    Response,
    ResponseBuffer,
    SubmissionToken,
    Survey,
    TestSubmission,
)
from tests.factories import csrf_token_from, login_as, make_researcher, post_form

from .helpers import SurveyWalker, add_invite_codes, hidden_value

BANNER = 'class="preview-banner"'
BANNER_TEXT = {"en": "Preview: answers are kept apart as test data",
               "es": "Vista previa: las respuestas se guardan aparte como datos de prueba"}


def _researcher(app: Any, survey: Any, role: str = "analyst", own: bool = True) -> Any:
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == survey.organisation))
        researcher = make_researcher(role=role, organisation=organisation if own else None)
        email = researcher.email
        db.session.commit()
        return SimpleNamespace(email=email)  # login_as needs the address only


def _close_every_wave(app: Any, survey: Any) -> None:
    with app.app_context():
        row = db.session.get(Survey, survey.id)
        assert row is not None
        for wave in row.waves:
            wave.closed = True
        db.session.commit()


def _walk_preview(client: Any, survey: Any, language: str) -> tuple[list[str], Any]:
    """Start a preview from the manage page's link and submit every page; (pages' html, last response)."""
    manage = client.get(f"/research/surveys/{survey.slug}/manage").get_data(as_text=True)
    link = f"/research/surveys/{survey.slug}/preview?lang={language}"
    assert f'href="{link}"' in manage
    first = client.get(link)
    assert first.status_code == 303
    assert first.headers["Location"].startswith(f"/s/{survey.slug}/page?step=1")
    walker = SurveyWalker(client, survey, language)
    page = client.get(first.headers["Location"])
    assert page.status_code == 200
    walker.html = page.get_data(as_text=True)
    seen = [walker.html]
    for _ in range(30):
        nav = "submit" if 'value="submit"' in walker.html else "next"
        response = walker.post_page({}, nav=nav)
        if any("/manage" in r.headers.get("Location", "") for r in walker.history):
            return seen, walker.history[-1]
        assert response.status_code == 200, response.status_code
        seen.append(walker.html)
    raise AssertionError("the preview never ended")


def _counts(database: Any) -> dict[str, int]:
    return {m.__tablename__: database.count(m) for m in (Response, Answer, ResponseBuffer, SubmissionToken)}


def test_preview_in_two_languages_with_no_wave_open_stores_test_data_only(app, client, survey, database):
    add_invite_codes(app, survey, "CODE-1")  # unused by a preview, whatever the survey's settings
    _close_every_wave(app, survey)
    assert client.get(f"/s/{survey.slug}").status_code == 200  # residents see "closed"
    before = _counts(database)
    login_as(client, _researcher(app, survey, role="viewer"))
    for language in ("en", "es"):
        pages, last = _walk_preview(client, survey, language)
        assert len(pages) > 1
        assert all(BANNER in html and BANNER_TEXT[language] in html for html in pages)
        assert all(f'lang="{language}"' in html for html in pages)
        assert last.status_code == 200 and "Test answers stored apart" in last.get_data(as_text=True)
    assert _counts(database) == before == {"response": 0, "answer": 0, "response_buffer": 0, "submission_token": 0}
    rows = database.rows(TestSubmission)
    assert sorted(r["language"] for r in rows) == ["en", "es"]
    assert {r["survey_id"] for r in rows} == {survey.id}
    assert all(not r["used"] for r in database.rows(InviteCode))
    manage = client.get(f"/research/surveys/{survey.slug}/manage").get_data(as_text=True)
    assert "Español" in manage and "<caption>Test submissions</caption>" in manage
    assert "Delete test submissions" not in manage  # a viewer lists but does not delete


def _aggregates(client: Any, survey: Any) -> bytes:
    """The aggregate table export (CSV, by wave and jurisdiction), through the export page's form."""
    export = f"/research/surveys/{survey.slug}/export"
    response = post_form(client, export, {"by": "wave,jurisdiction", "format": "csv"},
                         action=f"{export}/aggregates")
    assert response.status_code == 200, response.status_code
    return response.data


def test_preview_answers_never_reach_aggregates_or_exports(app, client, survey, database):
    login_as(client, _researcher(app, survey))
    walker = SurveyWalker(client, survey, "en")  # one real response first, so the tables are not empty
    walker.start()
    walker.answer_all({})
    assert database.count(Response) == 1
    before = _aggregates(client, survey)
    _walk_preview(client, survey, "en")
    _walk_preview(client, survey, "es")
    assert database.count(TestSubmission) == 2
    assert database.count(Response) == 1 and database.count(ResponseBuffer) == 0
    assert _aggregates(client, survey) == before
    # A real respondent in the same browser after a preview is a real response, without the banner.
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    assert BANNER not in walker.html
    walker.answer_all({})
    assert database.count(Response) == 2 and database.count(TestSubmission) == 2


def test_list_and_delete_after_confirmation_audited(app, client, survey, database):
    researcher = _researcher(app, survey)
    login_as(client, researcher)
    _walk_preview(client, survey, "en")
    _walk_preview(client, survey, "es")
    url = f"/research/surveys/{survey.slug}/test-submissions/delete"
    manage = client.get(f"/research/surveys/{survey.slug}/manage").get_data(as_text=True)
    assert f'href="{url}"' in manage
    confirm = client.get(url)
    assert confirm.status_code == 200 and database.count(TestSubmission) == 2  # GET deletes nothing
    html = confirm.get_data(as_text=True)
    assert "2 test submissions" in html and "Yes, delete the test submissions" in html
    assert client.post(url, data={}).status_code == 400  # no CSRF token: refused, nothing deleted
    assert database.count(TestSubmission) == 2
    done = client.post(url, data={"csrf_token": csrf_token_from(html)})
    assert done.status_code == 302
    assert database.count(TestSubmission) == 0
    audit = [r for r in database.rows(AuditLog) if r["action"] == "test_submissions.delete"]
    assert len(audit) == 1 and audit[0]["parameters"]["count"] == 2


def test_anonymous_cannot_start_a_preview(app, client, survey, database):
    response = client.get(f"/research/surveys/{survey.slug}/preview?lang=en")
    assert response.status_code == 302 and "/research/login" in response.headers["Location"]
    assert "cts_state" not in response.headers.get("Set-Cookie", "")


def test_another_organisation_gets_404(app, client, survey, database):
    login_as(client, _researcher(app, survey, role="admin", own=False))
    assert client.get(f"/research/surveys/{survey.slug}/preview?lang=en").status_code == 404
    assert client.get(f"/research/surveys/{survey.slug}/test-submissions/delete").status_code == 404


def test_bad_language_or_place_is_a_clear_404(app, client, survey):
    login_as(client, _researcher(app, survey))
    response = client.get(f"/research/surveys/{survey.slug}/preview?lang=xx")
    assert response.status_code == 404 and "no language" in response.get_data(as_text=True)
    assert client.get(f"/research/surveys/{survey.slug}/preview?lang=en&j=NOPE").status_code == 404


def test_a_forged_state_cannot_claim_preview(app, client, survey):
    """The preview marker lives inside the sealed state: a respondent cannot add it."""
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    state = hidden_value(walker.html, "state")
    assert state and BANNER not in walker.html
    assert client.post(f"/s/{survey.slug}/page", data={"state": state[:-4] + "AAAA", "lang": "en",
                                                       "csrf_token": hidden_value(walker.html, "csrf_token")}
                       ).status_code == 400

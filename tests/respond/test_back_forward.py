"""Post/Redirect/Get: every respondent POST answers 303, and the GET pages it leads to are what Back
and Forward reload, with the answers kept in the sealed state cookie and nowhere on the server."""
from __future__ import annotations

import re

from surveys.models import Response, ResponseBuffer, SubmissionToken
from surveys.respond.carry import COOKIE_NAME

from .helpers import SurveyWalker, hidden_value


def _checked(html: str, name: str) -> list[str]:
    """The values of the checked inputs called ``name`` (radio buttons, checkboxes)."""
    found = []
    for tag in re.findall(r"<input[^>]*>", html):
        value = re.search(r'value="([^"]*)"', tag)
        if f'name="{name}"' in tag and " checked" in tag and value:
            found.append(value[1])
    return found


def _page_url(slug: str, step: int, lang: str = "en") -> str:
    return f"/s/{slug}/page?step={step}&lang={lang}"


def test_every_move_is_a_303_to_a_get_page(client, survey):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    begin, first = walker.history
    assert begin.status_code == 303 and begin.headers["Location"].endswith(_page_url(survey.slug, 1))
    assert first.status_code == 200 and "Page 1 of 8" in walker.html
    walker.post_page({"report_burglary_victim": 4})
    post, second = walker.history[-2:]
    assert post.request.method == "POST" and post.status_code == 303
    assert post.headers["Location"].endswith(_page_url(survey.slug, 2))
    assert second.request.method == "GET" and "Page 2 of 8" in walker.html
    assert any(h.startswith(f"{COOKIE_NAME}=") for h in post.headers.getlist("Set-Cookie"))
    assert "4" not in post.headers["Location"].split("?")[1].replace("step=2", "")  # no answer in the URL


def test_back_and_forward_reload_pages_with_their_answers(client, survey, database):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    walker.post_page({"report_burglary_victim": 4, "report_dv_witness": 2})
    walker.post_page({"trust_overall": 7})
    assert "Page 3 of 8" in walker.html
    back_twice = client.get(_page_url(survey.slug, 1))  # what the browser's Back button reloads
    html = back_twice.get_data(as_text=True)
    assert back_twice.status_code == 200 and "Page 1 of 8" in html
    assert _checked(html, "q_report_burglary_victim") == ["4"] and _checked(html, "q_report_dv_witness") == ["2"]
    forward = client.get(_page_url(survey.slug, 2)).get_data(as_text=True)  # ... and Forward
    assert "Page 2 of 8" in forward and _checked(forward, "q_trust_overall") == ["7"]
    assert database.count(ResponseBuffer) == 0 and database.count(SubmissionToken) == 0  # nothing stored


def test_changing_an_answer_after_back_keeps_later_pages(client, survey, database):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    walker.post_page({"report_burglary_victim": 4})
    walker.post_page({"trust_overall": 7})
    walker.html = client.get(_page_url(survey.slug, 1)).get_data(as_text=True)  # Back twice
    walker.post_page({"report_burglary_victim": 2})  # changed, then Next
    assert "Page 2 of 8" in walker.html and _checked(walker.html, "q_trust_overall") == ["7"]
    walker.answer_all({"trust_overall": 7})  # posted as shown
    answers = database.answers()
    assert answers["report_burglary_victim"] == 2 and answers["trust_overall"] == 7


def test_a_step_not_reached_yet_shows_the_current_page(client, survey):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    walker.post_page({})
    for step in ("7", "0", "-1", "x", "99999", "", "٣"):
        response = client.get(f"/s/{survey.slug}/page?step={step}&lang=en")
        assert response.status_code == 303 and response.headers["Location"].endswith(_page_url(survey.slug, 2))


def test_errors_and_language_switch_are_redirected_too_with_what_was_typed(client, typed_survey):
    walker = SurveyWalker(client, typed_survey, "en")
    walker.start()
    walker.post_page({"age": "200", "trust10": 6})  # "contact" is required; the age is out of range
    post = walker.history[-2]
    assert post.status_code == 303 and walker.status == 422
    assert "Please answer this question." in walker.html and 'value="200"' in walker.html
    assert _checked(walker.html, "q_trust10") == ["6"]
    walker.post_page({"age": "40", "trust10": 3}, switch_lang="es")
    assert walker.history[-2].status_code == 303 and walker.status == 200
    assert '<html lang="es"' in walker.html and 'value="40"' in walker.html and "Por favor" not in walker.html
    assert _checked(walker.html, "q_trust10") == ["3"]


def test_after_the_final_submit_back_leads_to_the_start_page(client, survey, database):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    walker.post_page({"report_burglary_victim": 4})
    submitted = walker.answer_all({})
    assert submitted.status_code == 303 and "/thanks" in submitted.headers["Location"]
    back = client.get(_page_url(survey.slug, 8))
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/s/{survey.slug}?lang=en")
    start = client.get(back.headers["Location"]).get_data(as_text=True)
    assert "I agree: start the survey" in start and 'selected>' not in start  # nothing of the answers left
    assert database.count(Response) == 1


def test_back_to_the_start_page_and_starting_again_keeps_the_answers(client, survey, database):
    walker = SurveyWalker(client, survey, "en")
    walker.start(jurisdiction="J02")
    walker.post_page({"report_burglary_victim": 4})
    start = client.get(f"/s/{survey.slug}?lang=en").get_data(as_text=True)  # Back to the start page
    assert '<option value="J02" selected>' in start
    walker.start(jurisdiction="J01")  # started again, another place
    assert _checked(walker.html, "q_report_burglary_victim") == ["4"]
    walker.answer_all({"report_burglary_victim": 4})  # posted as shown
    [row] = database.rows(Response)
    assert row["jurisdiction_id"] == survey.jurisdictions["J01"] and database.answers()["report_burglary_victim"] == 4


def test_a_long_arabic_answer_fits_in_the_cookie_chunks(client, survey, database):
    """A 1,000-character Arabic comment (2 bytes a letter, escaped in JSON) needs more than one cookie."""
    walker = SurveyWalker(client, survey, "ar")
    walker.start()
    comment = ("شرطة " * 200)[:999]  # no trailing space (answers are trimmed)
    for _ in range(10):
        if 'name="q_comments"' in walker.html:
            break
        walker.post_page({})
    comments_step = int(re.search(r"step=(\d+)", walker.history[-1].request.url)[1])
    walker.post_page({"comments": comment}, nav="back")
    chunks = [h for h in walker.history[-2].headers.getlist("Set-Cookie") if h.startswith(COOKIE_NAME)]
    assert len(chunks) >= 2 and all(len(h) < 4000 for h in chunks)
    forward = client.get(_page_url(survey.slug, comments_step, "ar")).get_data(as_text=True)
    assert 'name="q_comments"' in forward and comment in forward


def test_the_page_without_a_cookie_goes_to_the_start(app, survey):
    response = app.test_client().get(_page_url(survey.slug, 2))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/s/{survey.slug}?lang=en")


def test_an_altered_cookie_is_not_trusted(client, survey):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    state = hidden_value(walker.html, "state")
    client.set_cookie(COOKIE_NAME, state[:-4] + "AAAA", path=f"/s/{survey.slug}")
    response = client.get(_page_url(survey.slug, 1))
    assert response.status_code == 303 and f"/s/{survey.slug}?" in response.headers["Location"]

"""Every posted answer is checked against the instrument; problems show next to the field, translated."""
from __future__ import annotations

import re

import pytest

from surveys.models import Answer, Response

from .helpers import SurveyWalker

CHOOSE_ONLY = "Please choose only from the answers shown, each at most once."


def error_next_to(html: str, question_id: str) -> str | None:
    """The error message rendered inside the question's own container, if any."""
    match = re.search(rf'<p class="field-error" id="err-{question_id}">.*?</span>\s*(.*?)</p>', html, re.S)
    return match[1].strip() if match else None


@pytest.fixture
def walker(client, typed_survey):
    walker = SurveyWalker(client, typed_survey, "en")
    walker.start()
    assert walker.status == 200
    return walker


def test_required_question_error_is_next_to_it_in_each_language(walker):
    walker.post_page({})
    assert walker.status == 422
    assert error_next_to(walker.html, "contact") == "Please answer this question."
    assert 'aria-describedby="err-contact"' in walker.html
    assert '<a href="#q-contact">' in walker.html  # the summary links to the question
    walker.post_page({}, lang="es")
    walker.language = "es"
    walker.post_page({})
    assert error_next_to(walker.html, "contact") == "Por favor, responda esta pregunta."
    walker.language = "ar"
    walker.post_page({})
    assert error_next_to(walker.html, "contact") == "يُرجى الإجابة عن هذا السؤال."
    assert '<html lang="ar" dir="rtl">' in walker.html


@pytest.mark.parametrize(
    ("answers", "question", "message"),
    [
        ({"contact": 7}, "contact", "Please choose one of the answers shown."),
        ({"contact": "yes"}, "contact", "Please choose one of the answers shown."),
        ({"contact": 1, "contact_kind": [1, 1]}, "contact_kind", CHOOSE_ONLY),
        ({"contact": 1, "contact_kind": [1, 8]}, "contact_kind", CHOOSE_ONLY),
        ({"contact": 1, "contact_kind": [1, 9]}, "contact_kind",
         "“Prefer not to say” cannot be combined with other answers."),
        ({"contact": 1, "age": 15}, "age", "Please enter a number from 16 to 110."),
        ({"contact": 1, "age": "111"}, "age", "Please enter a number from 16 to 110."),
        ({"contact": 1, "age": "twenty"}, "age", "Please enter a number using digits only, from 16 to 110."),
        ({"contact": 1, "age": "1e2"}, "age", "Please enter a number using digits only, from 16 to 110."),
        ({"contact": 1, "age": "nan"}, "age", "Please enter a number using digits only, from 16 to 110."),
        ({"contact": 1, "trust10": 11}, "trust10", "Please choose one of the answers shown."),
        ({"contact": 1, "trust10": "-1"}, "trust10", "Please choose one of the answers shown."),
    ],
)
def test_bad_answers_are_refused_next_to_the_field(walker, database, answers, question, message):
    walker.post_page(answers)
    assert walker.status == 422
    assert error_next_to(walker.html, question) == message
    assert database.count(Response) == 0


def test_errors_keep_what_was_typed(walker):
    walker.post_page({"contact": 1, "age": "200", "trust10": 4})
    assert walker.status == 422
    assert 'value="200"' in walker.html
    assert re.search(r'name="q_trust10" value="4"\s+checked', walker.html)


@pytest.mark.parametrize(("typed", "stored"), [("42", 42.0), ("16,5", 16.5), ("٤٢", 42.0), (" 30 ", 30.0)])
def test_numbers_accept_decimal_comma_and_arabic_indic_digits(walker, database, typed, stored):
    walker.post_page({"contact": 2, "age": typed})
    assert walker.status == 200, walker.html
    walker.answer_all({"row_quick": 3})
    assert database.answers()["age"] == stored


def test_text_over_the_cap_is_refused_in_spanish(client, typed_survey):
    walker = SurveyWalker(client, typed_survey, "es")
    walker.start()
    walker.post_page({"contact": 2})
    walker.post_page({"row_quick": 2, "note": "x" * 21})
    assert walker.status == 422
    assert error_next_to(walker.html, "note") == (
        "Por favor, acorte su respuesta a un máximo de 20 caracteres (ahora tiene 21).")
    assert 'maxlength="20"' in walker.html
    assert "No escriba nombres." in walker.html  # the instrument's free-text warning, next to the field


def test_text_line_breaks_count_once_and_control_characters_are_refused(walker, database):
    walker.post_page({"contact": 2})
    walker.post_page({"row_quick": 2, "note": "a\x00b"})
    assert error_next_to(walker.html, "note") == (
        "Your answer contains characters that cannot be saved. Please remove them.")
    walker.post_page({"row_quick": 2, "note": "line one\r\nline 2 ok"})  # 20 characters with one line break
    assert walker.status == 200
    walker.answer_all({})
    assert database.answers()["note"] == "line one\nline 2 ok"


def test_required_grid_row(walker):
    walker.post_page({"contact": 2})
    walker.post_page({"row_fair": 4})
    assert walker.status == 422 and error_next_to(walker.html, "row_quick") == "Please answer this question."
    assert error_next_to(walker.html, "row_fair") is None


def test_skip_logic_across_pages_and_a_page_skipped_entirely(client, typed_survey, database):
    yes = SurveyWalker(client, typed_survey, "en")
    yes.start()
    yes.post_page({"contact": 1, "contact_kind": [3, 1]})
    assert 'name="q_followup"' in yes.html  # shown: contact was yes
    assert "Page 2 of 2" in yes.html and 'value="submit"' in yes.html  # page three is hidden for a "yes"
    response = yes.post_page({"row_quick": 5, "followup": 1}, nav="submit")
    assert response.status_code == 303

    no = SurveyWalker(client, typed_survey, "en")
    no.start()
    no.post_page({"contact": 2, "contact_kind": [1]})  # contact_kind does not apply: dropped, not an error
    assert no.status == 200 and 'name="q_followup"' not in no.html and "Page 2 of 3" in no.html
    no.post_page({"row_quick": 1})
    assert "Third page" in no.html and 'name="q_why_not"' in no.html
    assert no.post_page({"why_not": 2}, nav="submit").status_code == 303

    rows = {(a["item_id"], a["code"]) for a in database.rows(Answer)}
    assert ("contact_kind", 1) in rows and ("contact_kind", 3) in rows and ("followup", 1) in rows
    assert ("why_not", 2) in rows
    assert database.count(Response) == 2 and sum(1 for item, _ in rows if item == "contact_kind") == 2


def test_changing_an_earlier_answer_prunes_answers_that_no_longer_apply(walker, database):
    walker.post_page({"contact": 1})
    walker.post_page({"row_quick": 2, "followup": 2}, nav="back")  # kept in the state, not stored
    assert "First page" in walker.html
    walker.post_page({"contact": 2})
    assert 'name="q_followup"' not in walker.html
    walker.answer_all({"row_quick": 2})
    assert set(database.answers()) == {"contact", "row_quick"}


def test_answers_to_questions_of_other_pages_are_ignored(walker, database):
    walker.post_page({"contact": 2, "row_quick": 9, "why_not": 1})
    assert walker.status == 200
    walker.answer_all({"row_quick": 2})
    assert set(database.answers()) == {"contact", "row_quick"}

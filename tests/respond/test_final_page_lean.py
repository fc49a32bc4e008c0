"""The final submit's lean path (``forms.final_page_answers``) accepts exactly what the page form accepts.

For every page of the all-types instrument and of the default one, many posts (valid,
out of range, malformed, blank, several values, hidden questions answered) go to both
the page form (``page_form``, bound and validated as the view does) and the lean
function; they must agree on valid/invalid and, when valid, on the answers.
"""
from __future__ import annotations

import random
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from surveys.respond import csrf, pages
from surveys.respond.context import find_survey
from surveys.respond.fields import field_name
from surveys.respond.forms import final_page_answers, page_form

from .helpers import make_all_types_survey, make_default_survey

COOKIE = "a" * 32
RAW_BY_TYPE: dict[str, list[Any]] = {
    "single": ["1", "2", "3", "99", "-1", "x", "", " 2 ", ["1", "2"]],
    "likert": ["1", "3", "5", "0", "7", "", "1.5", ["2", "3"]],
    "grid": ["1", "2", "4", "9", "", "a"],
    "scale": ["0", "5", "10", "11", "-1", "", "٣"],
    "multiple": [["1"], ["1", "3"], ["1", "1"], ["98"], ["1", "99"], [], ["x"], ["7", "1"]],
    "number": ["3", "2,5", "٤٢", "1e9", "-4", "", "nan", "12345678901234"],
    "text": ["hello", "", "  ", "a\x00b", "x" * 3000, "line\r\nbreak", ["a", "b"]],
}


def _posts(questions: list[Any], rng: random.Random, count: int) -> list[MultiDict]:
    posts = []
    for _ in range(count):
        data = MultiDict()
        for q in questions:
            if rng.random() < 0.15:
                continue  # not posted at all
            raw = rng.choice(RAW_BY_TYPE[q.type])
            for value in raw if isinstance(raw, list) else [raw]:
                data.add(field_name(q.id), value)
        posts.append(data)
    return posts


@pytest.mark.parametrize("make", [make_all_types_survey, make_default_survey])
def test_lean_path_agrees_with_the_page_form(app, make):
    info = make(app)
    rng = random.Random(20261127)
    checked = accepted = 0
    with app.test_request_context("/", method="POST", headers={"Cookie": f"{csrf.COOKIE_NAME}={COOKIE}"}):
        ctx = find_survey(info.slug)
        assert ctx is not None
        instrument = ctx.instrument
        token = csrf._token_for(COOKIE)
        for page in range(pages.page_count(instrument)):
            questions = pages.page_questions(instrument, page)
            for language in instrument.language_codes:
                form_class = page_form(instrument, questions, language)
                for posted in _posts(questions, rng, 40):
                    earlier = {"trust_overall": rng.choice([1, 7])} if rng.random() < 0.5 else {}
                    formdata = MultiDict(posted)
                    formdata.add(csrf.FIELD_NAME, token)
                    form = form_class(formdata=formdata, data={})
                    form.earlier = dict(earlier)
                    valid = form.validate()
                    lean = final_page_answers(instrument, questions, language, earlier, formdata)
                    assert (lean is not None) == valid, (page, language, posted, form.errors)
                    if valid:
                        assert lean == form.combined()
                        accepted += 1
                    checked += 1
    assert checked > 100 and 0 < accepted < checked

"""Answers against the instrument: validation per type, show_if, scoring and flags."""

from __future__ import annotations

import math
import random

import pytest

from surveys.instruments import Condition, Question
from surveys.instruments.answers import visible

# --- structure ----------------------------------------------------------------------------


def test_questions_flatten_grids_in_order(mini):
    ids = [q.id for q in mini.questions()]
    assert ids == ["fair", "respect", "rude", "overall", "born_abroad", "years", "contact", "comment"]
    rude = mini.question("rude")
    assert (rude.type, rude.grid_id, rude.reverse, rude.block_id) == ("grid", "attitudes", True, "opinions")
    assert all(q.answerable for q in mini.questions())


def test_blocks_keep_the_grid_as_one_entry(mini):
    grid = mini.blocks[0].questions[1]
    assert grid.id == "attitudes" and not grid.answerable
    assert [row.id for row in grid.rows] == ["respect", "rude"]
    assert grid.text["es"] == "¿Está de acuerdo?"


def test_unknown_and_container_ids_are_key_errors(mini):
    with pytest.raises(KeyError):
        mini.question("nope")
    with pytest.raises(KeyError):
        mini.question("attitudes")


def test_block_order_is_shuffled_only_where_asked_and_reproducibly(mini):
    opinions, about = mini.blocks
    orders = {tuple(q.id for q in opinions.ordered(random.Random(seed))) for seed in range(40)}
    assert len(orders) > 1
    grids = {tuple(r.id for r in next(q for q in opinions.ordered(random.Random(s)) if q.rows).rows)
             for s in range(40)}
    assert grids == {("respect", "rude"), ("rude", "respect")}
    assert opinions.ordered(random.Random(7)) == opinions.ordered(random.Random(7))
    assert about.ordered(random.Random(3)) == about.questions


def test_text_for_uses_the_language_and_falls_back_to_the_default(mini):
    assert mini.text_for("thank_you", "es") == "Gracias"
    assert mini.text_for("thank_you", "fr") == "Thank you"
    assert mini.text_for({"en": "Yes", "es": "Sí"}, "es") == "Sí"
    with pytest.raises(KeyError):
        mini.text_for("no_such_text", "en")


# --- show_if ------------------------------------------------------------------------------


def test_show_if(mini):
    years = mini.question("years")
    assert mini.visible(years, {"born_abroad": 1})
    assert mini.visible("years", {"born_abroad": 1})
    for answer in (2, 3, 99, None, "1", True, [1]):
        assert not mini.visible(years, {"born_abroad": answer}), answer
    assert not mini.visible(years, {})
    assert mini.visible(mini.question("fair"), {})


def test_show_if_on_multiple_choice_and_chains(mini):
    def text_item(ident, condition):
        return Question(id=ident, type="text", text={"en": ident}, max_length=5, show_if=condition)

    on_contact = text_item("y", Condition("contact", (2,)))
    chained = text_item("z", Condition("years", (5,)))
    by_id = {**{q.id: q for q in mini.questions()}, "y": on_contact, "z": chained}
    assert visible(by_id, on_contact, {"contact": [1, 2]})
    assert not visible(by_id, on_contact, {"contact": [1]})
    assert not visible(by_id, on_contact, {"contact": [2, 99]})  # an invalid answer shows nothing
    assert visible(by_id, chained, {"born_abroad": 1, "years": 5})
    assert not visible(by_id, chained, {"born_abroad": 3, "years": 5})  # years itself is hidden


def test_prune_hidden_drops_answers_to_hidden_questions(mini):
    answers = {"born_abroad": 3, "years": 12, "fair": 4, "stray": 1}
    assert mini.prune_hidden(answers) == {"born_abroad": 3, "fair": 4, "stray": 1}
    assert mini.validate_answers(mini.prune_hidden({"born_abroad": 3, "years": 12, "contact": [1]}), "en") == {}


# --- validate_answers ---------------------------------------------------------------------

VALID = {"fair": 5, "respect": 1, "rude": 2, "overall": 10, "born_abroad": 1, "years": 7.5,
         "contact": [1, 2], "comment": "Police are ok"}


def test_a_complete_valid_answer_set_has_no_problems(mini):
    assert mini.validate_answers(VALID, "en") == {}
    assert mini.validate_answers({"contact": [99]}, "en") == {}


@pytest.mark.parametrize(
    ("item", "value", "says"),
    [
        ("fair", 6, "choose one of the answers"),
        ("fair", 0, "choose one of the answers"),
        ("fair", True, "choose one of the answers"),
        ("fair", "5", "choose one of the answers"),
        ("fair", 5.0, "choose one of the answers"),
        ("respect", 9, "choose one of the answers"),
        ("born_abroad", 4, "choose one of the answers"),
        ("born_abroad", [1], "choose one of the answers"),
        ("overall", 11, "from 0 to 10"),
        ("overall", -1, "from 0 to 10"),
        ("overall", 5.5, "from 0 to 10"),
        ("overall", False, "from 0 to 10"),
        ("years", 81, "from 0 to 80"),
        ("years", -0.5, "from 0 to 80"),
        ("years", math.nan, "from 0 to 80"),
        ("years", math.inf, "from 0 to 80"),
        ("years", "7", "from 0 to 80"),
        ("years", True, "from 0 to 80"),
        ("years", 10**400, "from 0 to 80"),
        ("contact", 1, "only from the answers shown"),
        ("contact", [1, 7], "only from the answers shown"),
        ("contact", [1, 1], "only from the answers shown"),
        ("contact", [1, True], "only from the answers shown"),
        ("contact", [1, 99], "“Prefer not to say” cannot be combined"),
        ("comment", "x" * 21, "at most 20 characters (it has 21)"),
        ("comment", 42, "type your answer as text"),
        ("comment", "bad\x00byte", "cannot be saved"),
        ("comment", "lone \ud800", "cannot be saved"),
        ("comment", "bell\x07", "cannot be saved"),
    ],
)
def test_each_type_reports_bad_values(mini, item, value, says):
    problems = mini.validate_answers({**VALID, item: value}, "en")
    assert says in problems[item]
    # a bad born_abroad also hides "years", which VALID answered
    assert set(problems) - {item} == ({"years"} if item == "born_abroad" else set())


def test_text_length_is_inclusive_and_line_breaks_are_fine(mini):
    assert mini.validate_answers({**VALID, "comment": "a\nb\tc" + "x" * 15}, "en") == {}


def test_required_and_blank_answers(mini):
    problems = mini.validate_answers({}, "en")
    assert problems == {"contact": "Please answer this question."}
    for blank in (None, [], "", "   "):
        assert mini.validate_answers({"contact": blank}, "en") == {"contact": "Please answer this question."}
    assert mini.validate_answers({"contact": [1], "comment": "  "}, "en") == {}


def test_answered_but_hidden_by_show_if(mini):
    problems = mini.validate_answers({"contact": [1], "born_abroad": 3, "years": 4}, "en")
    assert problems == {"years": "This question does not apply given your earlier answers; please leave it empty."}
    assert mini.validate_answers({"contact": [1], "born_abroad": 3, "years": None}, "en") == {}


def test_unknown_question_ids_are_reported(mini):
    problems = mini.validate_answers({"contact": [1], "attitudes": 3, "csrf_token": "x", 7: 1}, "en")
    assert set(problems) == {"attitudes", "csrf_token", "7"}


def test_messages_come_in_the_respondent_language_with_fallback(mini):
    answers = {"contact": [1, 99]}
    assert mini.validate_answers(answers, "es") == {
        "contact": "“Prefiero no decirlo” no se puede combinar con otras respuestas."}
    assert mini.validate_answers({}, "es") == {"contact": "Por favor, responda esta pregunta."}
    assert mini.validate_answers({}, "fr") == {"contact": "Please answer this question."}
    assert mini.validate_answers({}, None) == {"contact": "Please answer this question."}


def test_messages_in_arabic_for_the_default_instrument(core):
    problems = core.validate_answers({"comments": "x" * 1001, "age_band": 7}, "ar")
    assert problems["age_band"] == "يُرجى اختيار إحدى الإجابات المعروضة."
    assert "1000" in problems["comments"] and "1001" in problems["comments"]


def test_exclusive_options_of_the_default_instrument(core):
    assert core.validate_answers({"alt_channel": [1, 3, 4]}, "en") == {}
    problems = core.validate_answers({"alt_channel": [1, 5]}, "en")
    assert problems == {"alt_channel": "“Nobody else” cannot be combined with other answers."}


# --- scores and flags ---------------------------------------------------------------------


def test_score_reverse_codes_and_averages(mini):
    # fair 5, respect 1, rude 2 -> reverse 1+5-2 = 4: mean (5 + 1 + 4) / 3
    assert mini.score(VALID) == {"trust": pytest.approx(10 / 3)}
    assert mini.scale_definitions() == {
        "trust": {"items": ["fair", "respect", "rude"], "reverse": ["rude"], "min_items": 2, "low": 1, "high": 5}}


def test_score_needs_min_items_and_ignores_invalid_answers(mini):
    assert mini.score({"fair": 4}) == {"trust": None}
    assert mini.score({"fair": 4, "rude": 5}) == {"trust": 2.5}
    assert mini.score({"fair": 4, "rude": 9, "respect": "3"}) == {"trust": None}
    assert mini.score({}) == {"trust": None}


def test_default_instrument_scores(core):
    all_fives = {q.id: 5 for q in core.questions() if q.type in ("likert", "grid")}
    scores = core.score(all_fives)
    assert scores["willingness"] == 5.0
    assert scores["involvement"] == 5.0
    # trust: 10 items at 5, two reversed to 1 -> (50 + 2) / 12
    assert scores["trust"] == pytest.approx(52 / 12)
    assert scores["lawfulness"] == pytest.approx(7 / 3)
    assert scores["fear"] == pytest.approx(26 / 6)
    assert scores["effectiveness"] == 5.0
    assert core.score({"fear_self": 4, "fear_family": 4})["fear"] is None  # 2 < min_items 3
    assert core.score({"fear_self": 4, "fear_family": 4, "fear_safe_to_call": 1})["fear"] == pytest.approx(13 / 3)


@pytest.mark.parametrize(("answer", "expected"), [(1, True), (2, True), (3, False), (99, None), (None, None),
                                                  ("1", None), (True, None), (8, None)])
def test_is_immigrant(core, answer, expected):
    answers = {} if answer is None else {"born_abroad": answer}
    assert core.is_immigrant(answers) is expected
    assert core.flag_values(answers) == {"immigrant": expected}

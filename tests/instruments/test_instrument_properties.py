"""Property tests: no answer dict a client could send makes the instrument raise."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.instruments import (
    DEFAULT_INSTRUMENT_PATH,
    InstrumentError,
    load_instrument,
    parse_instrument,
)
from tests.instruments.instrument_helpers import MINI

CORE = load_instrument(DEFAULT_INSTRUMENT_PATH)
IDS = [q.id for q in CORE.questions()]
GRIDS = [unit.id for block in CORE.blocks for unit in block.questions if unit.rows]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-2, max_value=100),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=1200), st.binary(max_size=10),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=6) | st.tuples(inner, inner)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=12)
keys = st.one_of(st.sampled_from(IDS + GRIDS), st.text(max_size=20), st.integers(), st.none())
answer_dicts = st.dictionaries(keys, values, max_size=45)
languages = st.one_of(st.sampled_from(["en", "es", "ar", "fr", "es-MX", ""]), st.none(), st.integers())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=answer_dicts, language=languages)
def test_random_answers_never_raise_only_return_problems(answers, language):
    problems = CORE.validate_answers(answers, language)
    assert isinstance(problems, dict)
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in problems.items())
    for key in answers:
        if key not in IDS:
            assert str(key) in problems
    scores = CORE.score(answers)
    assert set(scores) == set(CORE.scales)
    for name, score in scores.items():
        scale = CORE.scales[name]
        assert score is None or (math.isfinite(score) and scale.low <= score <= scale.high)
    assert CORE.is_immigrant(answers) in (True, False, None)
    assert set(CORE.flag_values(answers)) == {"immigrant"}
    for q in CORE.questions():
        assert CORE.visible(q, answers) in (True, False)
    assert CORE.validate_answers(CORE.prune_hidden(answers), "en").keys() <= problems.keys()


def _valid_answer(question):
    if question.type == "multiple":
        substantive = sorted(question.codes - question.exclusive_codes)
        return st.one_of(st.lists(st.sampled_from(substantive), min_size=1, unique=True),
                         st.sampled_from(sorted(question.exclusive_codes)).map(lambda c: [c]))
    if question.type == "text":
        return st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co")),
                       max_size=question.max_length)
    if question.type == "number":
        return st.floats(min_value=question.low, max_value=question.high)
    return st.sampled_from(sorted(question.codes))


@st.composite
def valid_answer_sets(draw):
    answers = {}
    for q in CORE.questions():
        if CORE.visible(q, answers) and draw(st.booleans()):
            answers[q.id] = draw(_valid_answer(q))
    return answers


@settings(max_examples=200, deadline=None)
@given(answers=valid_answer_sets(), language=st.sampled_from(["en", "es", "ar"]))
def test_answers_drawn_from_the_options_shown_are_always_accepted(answers, language):
    assert CORE.validate_answers(answers, language) == {}
    for name, score in CORE.score(answers).items():
        scale = CORE.scales[name]
        answered = [i for i in scale.items if i in answers and answers[i] not in CORE.question(i).missing_codes]
        assert (score is None) == (len(answered) < scale.min_items)
        if score is not None:
            assert scale.low <= score <= scale.high


MINI_LINES = MINI.splitlines()
fragments = st.one_of(
    st.sampled_from(["", "- ", "{", "[1, 2]", "null", "true", "7", "-1.5", "x: y", "&a [*a]", "'", "{en: x}",
                     "[]", "{}", "- id: fair", "type: grid", "options: agree5", "in: [99]", "\t"]),
    st.text(max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, len(MINI_LINES) - 1), st.integers(0, 2), fragments),
                      min_size=1, max_size=4))
def test_a_mangled_instrument_loads_or_raises_instrument_error_never_anything_else(edits):
    lines = list(MINI_LINES)
    for index, how, fragment in edits:
        index %= len(lines)
        if how == 0:
            del lines[index]
        elif how == 1:  # replace the value after the first colon
            head, colon, _ = lines[index].partition(": ")
            lines[index] = head + colon + fragment if colon else fragment
        else:
            lines.insert(index, lines[index][: len(lines[index]) - len(lines[index].lstrip())] + fragment)
        if not lines:
            lines = [""]
    try:
        parse_instrument("\n".join(lines))
    except InstrumentError as error:
        assert error.problems and all(p.message for p in error.problems)
        assert str(error)

"""Every kind of bad instrument file is reported with its line and item id, all at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surveys.instruments import InstrumentError, load_instrument, parse_instrument
from tests.instruments.instrument_helpers import MINI, line_of, problems_of


def broken(old: str, new: str) -> str:
    assert MINI.count(old) == 1, old
    return MINI.replace(old, new)


def assert_problem(problems, *, line: int, item: str | None, says: str) -> None:
    hits = [p for p in problems if p.line == line and p.item == item and says in p.message]
    assert hits, f"no problem on line {line} for {item!r} saying {says!r}; got:\n" + "\n".join(map(str, problems))


def test_the_small_fixture_is_valid(mini):
    assert mini.id == "mini"


@pytest.mark.parametrize(
    ("old", "new", "marker", "item", "says"),
    [
        # translations
        (
            "text: {en: Police are fair, es: La policía es justa}",
            "text: {en: Police are fair}",
            "text: {en: Police are fair}",
            "fair",
            "missing the 'es' translation",
        ),
        (
            "- {id: respect, text: {en: Respect, es: Respeto}}",
            "- {id: respect, text: {en: Respect, es: '  '}}",
            "- {id: respect,",
            "respect",
            "'es' translation is blank",
        ),
        (
            "{code: 2, label: {en: Disagree, es: En desacuerdo}}",
            "{code: 2, label: {en: Disagree, fr: Pas}}",
            "{code: 2, label: {en: Disagree, fr: Pas}}",
            "agree5",
            "missing the 'es' translation",
        ),
        (
            "{code: 2, label: {en: Disagree, es: En desacuerdo}}",
            "{code: 2, label: {en: Disagree, es: En desacuerdo, fr: Pas}}",
            "fr: Pas",
            "agree5",
            "'fr', which is not a declared language",
        ),
        (
            "thank_you: {en: Thank you, es: Gracias}",
            "thank_you: {en: Thank you}",
            "thank_you:",
            "thank_you",
            "missing the 'es' translation",
        ),
        (
            "anchors: {low: {en: None, es: Ninguna}, high: {en: Complete, es: Total}}",
            "anchors: {low: {en: None, es: Ninguna}, high: {en: Complete}}",
            "anchors:",
            "overall",
            "missing the 'es' translation",
        ),
        # ids
        ("- {id: rude, text:", "- {id: fair, text:", "- {id: fair, text:", "fair", "duplicate item id 'fair'"),
        (
            "- id: about\n",
            "- id: opinions\n",
            "- id: opinions\n    title: {en: About",
            "opinions",
            "duplicate block id 'opinions'",
        ),
        ("- id: years\n", "- id: Years\n", "- id: Years", "Years", "not a valid id"),
        (
            "title: {en: Mini survey, es: Encuesta mini}",
            "title: {en: Mini survey, es: Encuesta mini, EN: Mini}",
            "EN: Mini",
            None,
            "'EN' is not a valid language code",
        ),
        ("  agree5:\n", "  Agree5:\n", "Agree5:", "Agree5", "'Agree5' is not a valid id"),
        # options
        ("options: born\n", "options: borm\n", "options: borm", "born_abroad", "unknown option set 'borm'"),
        (
            "{code: 3, label: {en: Neither, es: Ninguno}}",
            "{code: 2, label: {en: Neither, es: Ninguno}}",
            "{code: 2, label: {en: Neither",
            "born",
            "option code 2 is used twice",
        ),
        (
            "{code: 3, label: {en: Neither, es: Ni de acuerdo ni en desacuerdo}}",
            "{code: 6, label: {en: Neither, es: Ni de acuerdo ni en desacuerdo}}",
            "        options: agree5\n        source: Written for the tests\n      - id: attitudes",
            "fair",
            "4, 5 or 7 answer options with consecutive codes",
        ),
        (
            "{code: 1, label: {en: Family, es: Familia}}",
            "{code: '1', label: {en: Family, es: Familia}}",
            "code: '1'",
            "contact",
            "must be a whole number",
        ),
        # show_if
        (
            "show_if: {item: born_abroad, in: [1]}",
            "show_if: {item: nowhere, in: [1]}",
            "show_if:",
            "years",
            "unknown item 'nowhere'",
        ),
        (
            "show_if: {item: born_abroad, in: [1]}",
            "show_if: {item: contact, in: [1]}",
            "show_if:",
            "years",
            "does not come earlier",
        ),
        (
            "show_if: {item: born_abroad, in: [1]}",
            "show_if: {item: born_abroad, in: [1, 7]}",
            "show_if:",
            "years",
            "code 7 is not an answer option of 'born_abroad'",
        ),
        (
            "show_if: {item: born_abroad, in: [1]}",
            "show_if: {item: attitudes, in: [1]}",
            "show_if:",
            "years",
            "'attitudes' is a grid",
        ),
        (
            "show_if: {item: born_abroad, in: [1]}",
            "show_if: {item: born_abroad, is: [1]}",
            "show_if:",
            "years",
            "unknown key 'is'",
        ),
        # item structure
        ("        max_length: 20\n", "", "- id: comment", "comment", "missing required key 'max_length'"),
        (
            "        min: 0\n",
            "        min: 0\n        max_length: 3\n",
            "max_length: 3",
            "years",
            "'max_length' does not apply to a number item",
        ),
        ("        min: 0\n", "        min: 90\n", "min: 90", "years", "min (90) must be smaller than max (80)"),
        ("type: likert", "type: slider", "type: slider", "fair", "must be one of: single, likert"),
        (
            "        source: Written for the tests\n      - id: years",
            "        colour: blue\n        source: Written for the tests\n      - id: years",
            "colour: blue",
            "born_abroad",
            "unknown key 'colour'",
        ),
        ('version: "1.0"', "version: 1.0", "version: 1.0", None, "put it in quotes"),
        # scales and flags
        (
            "items: [fair, respect, rude]",
            "items: [fair, respect, rude, comment]",
            "items: [fair",
            "trust",
            "'comment' is a text item",
        ),
        (
            "items: [fair, respect, rude]",
            "items: [fair, respect, overall]",
            "items: [fair",
            "trust",
            "share one code range",
        ),
        (
            "items: [fair, respect, rude]",
            "items: [fair, attitudes]",
            "items: [fair",
            "trust",
            "unknown item 'attitudes'; list its rows instead",
        ),
        ("min_items: 2", "min_items: 4", "min_items: 4", "trust", "min_items (4) is more than the 3 items"),
        (
            "immigrant: {item: born_abroad, in: [1, 2]}",
            "immigrant: {item: born_abroad, in: [1, 99]}",
            "immigrant:",
            "immigrant",
            "'missing: true' option",
        ),
        (
            "immigrant: {item: born_abroad, in: [1, 2]}",
            "immigrant: {item: born, in: [1, 2]}",
            "immigrant:",
            "immigrant",
            "unknown item 'born'",
        ),
        (
            "immigrant: {item: born_abroad, in: [1, 2]}",
            "migrant: {item: born_abroad, in: [1, 2]}",
            "flags:",
            None,
            "missing required key 'immigrant'",
        ),
        # languages
        (
            "default_language: en",
            "default_language: fr",
            "default_language",
            None,
            "'fr' is not among the declared languages",
        ),
        (
            "direction: ltr, reviewed: false}",
            "direction: sideways, reviewed: false}",
            "sideways",
            "es",
            "must be one of: ltr, rtl",
        ),
        (
            "free_text_warning: {en: Do not write names, es: No escriba nombres}\n",
            "",
            "texts:",
            None,
            "missing required key 'free_text_warning'",
        ),
    ],
)
def test_each_kind_of_problem_names_its_line_and_item(old, new, marker, item, says):
    text = broken(old, new)
    assert_problem(problems_of(text), line=line_of(text, marker), item=item, says=says)


def test_a_show_if_inside_a_randomized_block_cannot_point_within_it():
    text = broken(
        "        options: agree5\n        randomize: true",
        "        options: agree5\n        show_if: {item: fair, in: [4, 5]}\n        randomize: true",
    )
    assert_problem(
        problems_of(text), line=line_of(text, "show_if: {item: fair"), item="attitudes", says="same randomized block"
    )


def test_a_condition_on_a_number_or_text_item_is_refused():
    text = broken("max_length: 20\n", "max_length: 20\n        show_if: {item: years, in: [1]}\n")
    assert_problem(
        problems_of(text), line=line_of(text, "show_if: {item: years"), item="comment", says="'years' is a number item"
    )


def test_a_cascade_of_problems_is_reported_once_where_it_starts():
    problems = problems_of(broken("options: born\n", "options: borm\n"))
    assert [p.item for p in problems] == ["born_abroad"]


def test_duplicate_yaml_keys_are_reported_not_silently_overwritten():
    text = broken(
        "        source: Written for the tests\n      - id: attitudes",
        "        source: Written for the tests\n        source: Again\n      - id: attitudes",
    )
    assert_problem(problems_of(text), line=line_of(text, "source: Again"), item=None, says="duplicate key 'source'")


def test_bad_yaml_syntax_is_one_problem_with_a_line_not_a_traceback():
    text = broken("title: {en: Mini survey, es: Encuesta mini}", "title: {en: Mini survey, es: [Encuesta mini}")
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].message.startswith("not valid YAML")
    assert problems[0].line == line_of(text, "title: {en: Mini")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "just a string\n", "- a\n- list\n"])
def test_empty_or_non_mapping_documents_are_reported(text):
    problems = problems_of(text)
    assert problems and all(p.line == 1 for p in problems)


def test_several_problems_are_all_reported_in_line_order():
    text = MINI
    for old, new in [
        ("text: {en: Police are fair, es: La policía es justa}", "text: {en: Police are fair}"),
        ("options: born\n", "options: borm\n"),
        ("- {id: rude, text:", "- {id: fair, text:"),
        ("show_if: {item: born_abroad, in: [1]}", "show_if: {item: nowhere, in: [1]}"),
        ("min_items: 2", "min_items: 9"),
    ]:
        text = text.replace(old, new)
    problems = problems_of(text)
    assert len(problems) >= 5
    items = {p.item for p in problems}
    assert {"fair", "born_abroad", "years", "trust"} <= items
    lines = [p.line for p in problems]
    assert lines == sorted(lines)


def test_the_error_message_is_readable(tmp_path):
    path = tmp_path / "city.yaml"
    path.write_text(broken("options: born\n", "options: borm\n"), encoding="utf-8")
    with pytest.raises(InstrumentError) as caught:
        load_instrument(path)
    message = str(caught.value)
    assert message.startswith("city.yaml: 1 problem:")
    assert "line " in message and "[born_abroad]" in message and "unknown option set 'borm'" in message
    assert "Traceback" not in message


def test_unreadable_files_are_instrument_errors(tmp_path):
    with pytest.raises(InstrumentError, match="cannot read the file"):
        load_instrument(tmp_path / "missing.yaml")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("title: {en: Señor}".encode("latin-1"))
    with pytest.raises(InstrumentError, match="not UTF-8"):
        load_instrument(latin1)


def test_non_text_input_is_an_instrument_error():
    with pytest.raises(InstrumentError):
        parse_instrument(b"id: x")  # type: ignore[arg-type]


def test_yes_and_no_stay_text():
    """YAML 1.1 would turn the label No (and a language code no) into False."""
    text = broken("{code: 3, label: {en: Neither, es: Ninguno}}", "{code: 3, label: {en: No, es: No}}")
    inst = parse_instrument(text)
    assert inst.question("born_abroad").options[2].label == {"en": "No", "es": "No"}


def test_an_alias_bomb_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        aliases = ", ".join([f"*{prev}"] * 10)
        bomb += f"{name}: &{name} [{aliases}]\n"
    problems = problems_of(bomb)
    assert any("too large" in p.message for p in problems)


def test_the_example_in_the_format_documentation_loads():
    doc = (Path(__file__).parents[2] / "docs" / "instrument-format.md").read_text(encoding="utf-8")
    example = re.search(r"## A small example\n\n```yaml\n(.*?)```", doc, re.DOTALL).group(1)
    inst = parse_instrument(example, source_name="example")
    assert [q.id for q in inst.questions()] == ["pf_respect", "born_abroad"]
    assert inst.is_immigrant({"born_abroad": 1}) is True


def test_a_list_as_an_item_id_next_to_a_later_show_if_is_a_problem_not_a_crash():
    """Found by the hypothesis property test: a non-string id broke the unknown-reference check."""
    from surveys.instruments import DEFAULT_INSTRUMENT_PATH

    text = DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8")
    text = text.replace("id: report_fraud_victim", "id: [report_fraud_victim]", 1)
    text = text.replace("item: born_abroad", "item: not_an_item", 1)
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(text, source_name="mangled.yaml")
    messages = " ".join(p.message for p in caught.value.problems)
    assert "not_an_item" in messages

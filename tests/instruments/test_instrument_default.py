"""The shipped default instrument: complete, honest about its sources, and measuring what the study needs."""

from __future__ import annotations

import ast
import hashlib
import re
import sys

import pytest

from surveys.instruments import DEFAULT_INSTRUMENT_PATH

MAIN_SCALES = ("willingness", "trust", "fear", "involvement")
TRUST_PARTS = ("effectiveness", "procedural_fairness", "distributive_fairness", "lawfulness")
DEMOGRAPHICS = ("age_band", "gender", "born_abroad", "years_in_country", "home_language")


def translated_strings(inst):
    """Every user-visible translated dict in the instrument, with a name for messages."""
    yield "title", inst.title
    for key, text in inst.texts.items():
        yield f"texts.{key}", text
    for block in inst.blocks:
        yield f"{block.id}.title", block.title
        if block.intro:
            yield f"{block.id}.intro", block.intro
        for unit in block.questions:
            for q in (unit, *unit.rows):
                yield f"{q.id}.text", q.text
                if q.help:
                    yield f"{q.id}.help", q.help
                for end, anchor in (q.anchors or {}).items():
                    yield f"{q.id}.anchors.{end}", anchor
                for option in q.options:
                    yield f"{q.id}.option {option.code}", option.label
    for scale in inst.scales.values():
        yield f"scale {scale.id}", scale.label


def test_it_loads_with_three_languages_one_of_them_right_to_left(core):
    assert core.id == "civic-trust-core"
    assert core.default_language == "en"
    assert core.language_codes == ("en", "es", "ar")
    assert core.language("ar").direction == "rtl"
    assert {lang.direction for lang in core.languages if lang.code != "ar"} == {"ltr"}


def test_translations_drafted_by_a_machine_are_not_marked_reviewed(core):
    assert core.language("es").reviewed is False
    assert core.language("ar").reviewed is False


def test_every_declared_language_covers_every_string(core):
    count = 0
    for name, text in translated_strings(core):
        count += 1
        assert set(text) == set(core.language_codes), name
        assert all(value.strip() for value in text.values()), name
    assert count > 150


def test_arabic_text_is_in_arabic_script_and_spanish_is_not_english(core):
    for name, text in translated_strings(core):
        assert re.search(r"[\u0600-\u06FF]", text["ar"]) or re.fullmatch(r"[\d\s–()]+", text["ar"]), name
    english_same = [name for name, text in translated_strings(core)
                    if text["es"] == text["en"] and not re.fullmatch(r"[\d\s]+", text["en"])]
    assert english_same == []


def test_size_and_shape(core):
    assert 5 <= len(core.blocks) <= 8
    # The victimization block is optional and mostly skipped: three questions per incident type, the last two
    # shown only to victims (show_if). The core's burden is counted without it.
    victim_block = [b for b in core.blocks if b.id == "victimization"]
    asked_of_all = [q for q in core.questions() if q.block_id != "victimization"]
    assert 30 <= len(asked_of_all) <= 40
    assert victim_block and len([q for q in core.questions() if q.block_id == "victimization" and not q.show_if]) <= 5
    types = {q.type for q in core.questions()}
    assert {"single", "likert", "grid", "multiple", "scale", "text"} <= types
    assert any(block.randomize for block in core.blocks)


def test_required_scales_exist_and_main_ones_are_five_point(core):
    assert set(MAIN_SCALES + TRUST_PARTS) <= set(core.scales)
    for name in MAIN_SCALES + TRUST_PARTS:
        scale = core.scales[name]
        assert (scale.low, scale.high) == (1, 5), name
        assert 1 <= scale.min_items <= len(scale.items)
    trust_items = set(core.scales["trust"].items)
    assert set().union(*(core.scales[part].items for part in TRUST_PARTS)) == trust_items


def test_reverse_items_are_scored_within_scales(core):
    reversed_items = {q.id for q in core.questions() if q.reverse}
    assert reversed_items == {"law_involved_crime", "law_excess_force", "fear_safe_to_call"}
    defs = core.scale_definitions()
    assert set(defs["trust"]["reverse"]) == {"law_involved_crime", "law_excess_force"}
    assert defs["fear"]["reverse"] == ["fear_safe_to_call"]
    assert defs["trust"]["low"] == 1 and defs["trust"]["high"] == 5


def test_willingness_covers_victim_and_witness_for_four_crime_types(core):
    items = set(core.scales["willingness"].items)
    for crime in ("burglary", "assault", "dv", "fraud"):
        for role in ("victim", "witness"):
            assert f"report_{crime}_{role}" in items


def test_demographics_are_optional_with_prefer_not_to_say(core):
    for item in DEMOGRAPHICS:
        q = core.question(item)
        assert q.required is False
        missing = [o for o in q.options if o.missing]
        assert len(missing) == 1 and missing[0].label["en"] == "Prefer not to say", item


def test_nothing_is_required(core):
    assert [q.id for q in core.questions() if q.required] == []


def test_years_in_country_is_asked_only_of_people_born_abroad(core):
    q = core.question("years_in_country")
    assert q.show_if.as_dict() == {"item": "born_abroad", "in": [1]}
    assert core.visible(q, {"born_abroad": 1})
    for answer in (2, 3, 99, None):
        assert not core.visible(q, {"born_abroad": answer})


def test_the_immigrant_flag_is_born_abroad_or_a_parent_born_abroad(core):
    assert core.flags["immigrant"].as_dict() == {"item": "born_abroad", "in": [1, 2]}


@pytest.mark.parametrize("word", ["citizen", "legal status", "undocumented", "papers", "visa", "green card",
                                  "social security", "documented"])
def test_no_question_asks_about_legal_status(core, word):
    for q in core.questions():
        assert word not in q.text["en"].lower(), q.id
        assert all(word not in o.label["en"].lower() for o in q.options), q.id


def test_the_consent_text_says_what_the_design_promises(core):
    consent = core.texts["consent"]
    for phrase in ("name", "IP address", "time of day", "at least 10 people", "skip", "invitation code"):
        assert phrase in consent["en"], phrase
    for phrase in ("nombre", "dirección IP", "hora del día", "al menos 10 personas", "saltarse"):
        assert phrase in consent["es"], phrase
    for phrase in ("IP", "10", "تخطي"):
        assert phrase in consent["ar"], phrase
    assert all(len(text.split("\n\n")) == 4 for text in consent.values())


def test_free_text_is_capped_and_warned_about(core):
    texts = [q for q in core.questions() if q.type == "text"]
    assert [q.id for q in texts] == ["comments"]
    assert texts[0].max_length == 1000
    assert "names" in core.texts["free_text_warning"]["en"] and "addresses" in core.texts["free_text_warning"]["en"]


def test_every_item_names_its_source_without_overclaiming(core):
    for q in core.questions():
        assert len(q.source) > 15, q.id
        assert "exact published wording" not in q.source.lower(), q.id
    # items whose ESS wording is unverified must say so
    for item in ("pf_explain", "df_rich_poor", "df_ethnic", "report_assault_witness"):
        assert "not verified" in core.question(item).source, item


def test_sha256_and_source_text_are_the_file(core):
    raw = DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8")
    assert core.source_text == raw
    assert core.sha256 == hashlib.sha256(raw.encode("utf-8")).hexdigest()


def test_scale_items_of_the_overall_trust_question_run_from_zero_to_ten(core):
    q = core.question("trust_overall")
    assert (q.low, q.high) == (0, 10)
    assert [o.code for o in q.options] == list(range(11))
    assert q.options[0].label["en"] == "0 – No trust at all"
    assert q.options[5].label["es"] == "5"


def test_the_package_imports_only_the_standard_library_yaml_and_jsonschema():
    """The loader is pure Python: no Flask, nothing else from ``surveys``."""
    allowed = set(sys.stdlib_module_names) | {"yaml", "jsonschema"}
    package = DEFAULT_INSTRUMENT_PATH.parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = [node.module.split(".")[0]]
            else:
                continue
            assert set(roots) <= allowed, f"{module.name} imports {roots}"

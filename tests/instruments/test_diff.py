"""What the version diff reports: wording per language, options, scales, added and removed items."""
from __future__ import annotations

from surveys.instruments import DEFAULT_INSTRUMENT_PATH, parse_instrument
from surveys.instruments import document as doc
from surveys.instruments.diff import changed_items, diff


def _changed(edit) -> tuple:
    text = DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8")
    data = doc.load(text)
    edit(data)
    return parse_instrument(text), parse_instrument(doc.dump(data))


def _item(data: dict, item_id: str) -> dict:
    found = doc.find_item(data, item_id)
    assert found is not None
    return found[1]


def test_identical_versions_have_no_changes():
    a, b = _changed(lambda data: None)
    assert diff(a, b) == [] and changed_items(a, b) == []


def test_wording_options_scales_and_items():
    def edit(data: dict) -> None:
        _item(data, "gender")["text"]["ar"] = "سؤال معدّل عن الجنس"
        _item(data, "age_band")["options"][0]["label"]["es"] = "18 a 25"
        data["scales"]["effectiveness"]["items"].remove("eff_capture_culprit")
        data["scales"]["effectiveness"]["min_items"] = 1
        data["blocks"][-1]["items"] = [i for i in data["blocks"][-1]["items"] if i["id"] != "home_language"]

    a, b = _changed(edit)
    found = {(c.item, c.kind, c.language) for c in diff(a, b)}
    assert ("gender", "wording", "ar") in found and ("gender", "wording", "en") not in found
    assert ("age_band", "options", "es") in found and ("age_band", "options", "en") not in found
    assert ("eff_capture_culprit", "scale", None) in found and ("scale:effectiveness", "scale", None) in found
    assert ("home_language", "removed", None) in found
    wording = next(c for c in diff(a, b) if c.item == "gender" and c.kind == "wording")
    assert wording.after == "سؤال معدّل عن الجنس" and wording.before == a.question("gender").text["ar"]
    assert set(changed_items(a, b)) == {"gender", "age_band", "eff_capture_culprit", "home_language"}


def test_next_version_numbers():
    assert doc.next_version("1.1.0", {"1.1.0"}) == "1.1.1"
    assert doc.next_version("1.1.0", {"1.1.0", "1.1.1"}) == "1.1.2"
    assert doc.next_version("2", set()) == "3"
    assert doc.next_version("1.0-beta", set()) == "1.0-beta.1"

"""The scale form's description field and its list of items (only those the scoring code can use).

Real HTTP client against the app and the test database; the stored YAML is read back as the
document the loader sees.
"""
from __future__ import annotations

import html
import re

import pytest

from surveys.extensions import db
from surveys.instruments import document as doc
from surveys.instruments.answers import numeric
from surveys.instruments.model import Question
from surveys.models import Instrument
from surveys.studies.instrument_store import parsed_instrument

from .formdata import form_fields


def _row(app, url: str) -> Instrument:
    with app.app_context():
        row = db.session.get(Instrument, int(url.split("#")[0].rstrip("/").rsplit("/", 1)[1]))
        assert row is not None
        db.session.expunge(row)
        return row


def _stored_scales(app, url: str) -> dict:
    return doc.load(_row(app, url).source_yaml)["scales"]


def _fields(client, url: str) -> dict:
    page = client.get(url)
    assert page.status_code == 200
    return form_fields(page.get_data(as_text=True), url)


def _new_scale(client, draft_url: str, **changes) -> dict:
    fields = _fields(client, f"{draft_url}/scales/new")
    fields.update({"scale.id": "respect", "scale.label.en": "Respect", "scale.label.es": "Respeto",
                   "scale.label.ar": "الاحترام", "scale.items": ["pf_respect", "pf_explain"],
                   "scale.min_items": "2", **changes})
    return fields


def _offered(page: str) -> list[str]:
    return re.findall(r'<input type="checkbox" id="scale-item-[^"]*" name="scale.items" value="([^"]*)"', page)


def test_the_scale_page_shows_the_description_and_saving_changes_it(app, logged_in, draft_url):
    url = f"{draft_url}/scales/trust"
    page = logged_in.get(url).get_data(as_text=True)
    assert re.search(r'<label for="scale-description">Description', page)
    assert re.search(r'<input id="scale-description" name="scale.description" '
                     r'value="The four trust sub-scales together."', page)
    fields = form_fields(page, url)
    fields["scale.description"] = "  All twelve trust items: effectiveness, fairness & lawfulness.  "
    assert logged_in.post(url, data=fields).status_code == 302
    trust = _stored_scales(app, draft_url)["trust"]
    assert trust["description"] == "All twelve trust items: effectiveness, fairness & lawfulness."
    assert list(trust) == ["label", "description", "items", "min_items", "higher_means"]  # the format's order
    shown = logged_in.get(url).get_data(as_text=True)
    assert 'value="All twelve trust items: effectiveness, fairness &amp; lawfulness."' in shown


def test_an_emptied_description_leaves_no_description_key(app, logged_in, draft_url):
    url = f"{draft_url}/scales/trust"
    fields = {**_fields(logged_in, url), "scale.description": "   "}
    assert logged_in.post(url, data=fields).status_code == 302
    assert "description" not in _stored_scales(app, draft_url)["trust"]
    assert "description:" not in _row(app, draft_url).source_yaml.split("\nscales:", 1)[1].split("\nflags:")[0]


def test_a_new_scale_with_and_without_a_description(app, logged_in, draft_url):
    url = f"{draft_url}/scales/new"
    fields = _new_scale(logged_in, draft_url, **{"scale.description": "Respect shown by officers."})
    refused = logged_in.post(url, data={**fields, "scale.min_items": "0"})
    assert refused.status_code == 422  # the re-shown form keeps the description as posted
    assert 'name="scale.description" value="Respect shown by officers."' in refused.get_data(as_text=True)
    assert logged_in.post(url, data=fields).status_code == 302
    assert _stored_scales(app, draft_url)["respect"]["description"] == "Respect shown by officers."
    plain = _new_scale(logged_in, draft_url, **{"scale.id": "explained"})
    assert "scale.description" in plain and plain["scale.description"] == ""
    assert logged_in.post(url, data=plain).status_code == 302
    assert "description" not in _stored_scales(app, draft_url)["explained"]


def _a_valid_answer(question: Question) -> object:
    """Some valid, non-missing answer to ``question`` (what a respondent could give)."""
    codes = [o.code for o in question.options if o.code not in question.missing_codes]
    if question.type == "multiple":
        return codes[:1]
    if question.type == "text":
        return "seven"
    if question.type == "number":
        return question.low if question.low is not None else 1
    return codes[0]


def test_the_item_list_offers_exactly_the_items_the_scoring_code_can_use(app, logged_in, draft_url):
    # the draft has every item type but number: add a number item to its first block
    first_block = parsed_instrument(_row(app, draft_url)).blocks[0].id
    item_url = f"{draft_url}/blocks/{first_block}/items/new"
    item = {**_fields(logged_in, item_url), "id": "years_here", "type": "number", "min": "0", "max": "90",
            "text.en": "Years here?", "text.es": "¿Años aquí?", "text.ar": "كم سنة هنا؟"}
    assert logged_in.post(item_url, data=item).status_code == 302
    inst = parsed_instrument(_row(app, draft_url))
    assert {"text", "single", "multiple", "likert", "grid", "scale", "number"} <= {q.type for q in inst.questions()}
    scorable = [q.id for q in inst.questions() if numeric(q, _a_valid_answer(q)) is not None]
    for url in (f"{draft_url}/scales/new", f"{draft_url}/scales/trust"):
        offered = _offered(logged_in.get(url).get_data(as_text=True))
        assert offered == scorable, url
    assert "years_here" in scorable and "comments" not in scorable and "born_abroad" not in scorable


@pytest.mark.parametrize(("posted", "message"), [
    ("comments", "item 'comments' is a text item"),
    ("born_abroad", "item 'born_abroad' is a single item"),
    ("alt_channel", "item 'alt_channel' is a multiple item"),
    ("no_such_item", "unknown item 'no_such_item'"),
])
def test_a_posted_unscorable_or_unknown_item_is_refused_by_name(app, logged_in, draft_url, posted, message):
    before = _row(app, draft_url).sha256
    fields = _new_scale(logged_in, draft_url, **{"scale.items": ["pf_respect", posted]})
    response = logged_in.post(f"{draft_url}/scales/new", data=fields)
    assert response.status_code == 422
    errors = re.search(r'id="scale-items-errors">(.*?)</ul>', response.get_data(as_text=True), re.S)
    assert errors is not None and message in html.unescape(errors.group(1))
    assert _row(app, draft_url).sha256 == before  # nothing stored


def test_a_grid_id_is_refused_with_a_hint_to_list_its_rows(app, logged_in, draft_url):
    inst = parsed_instrument(_row(app, draft_url))
    grids = [i["id"] for _b, _p, i in doc.walk_items(doc.load(_row(app, draft_url).source_yaml))
             if i["type"] == "grid"]
    assert grids and grids[0] not in [q.id for q in inst.questions()]
    fields = _new_scale(logged_in, draft_url, **{"scale.items": ["pf_respect", grids[0]]})
    response = logged_in.post(f"{draft_url}/scales/new", data=fields)
    assert response.status_code == 422
    assert f"unknown item '{grids[0]}'; list its rows instead" in html.unescape(response.get_data(as_text=True))

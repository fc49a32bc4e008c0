"""Adding and moving blocks, and scales, through the editor's pages (the loader decides what is valid)."""
from __future__ import annotations

import re

from surveys.extensions import db
from surveys.models import Instrument
from surveys.studies.instrument_store import parsed_instrument
from tests.factories import csrf_token_from, post_form

from .formdata import form_fields


def _row(app, url: str) -> Instrument:
    with app.app_context():
        row = db.session.get(Instrument, int(url.split("#")[0].rstrip("/").rsplit("/", 1)[1]))
        assert row is not None
        db.session.expunge(row)
        return row


def _new_block_fields(client, draft_url: str) -> dict:
    page = client.get(f"{draft_url}/blocks/new")
    assert page.status_code == 200
    return form_fields(page.get_data(as_text=True), f"{draft_url}/blocks/new")


def test_add_a_block_at_a_chosen_position(app, logged_in, draft_url):
    before = parsed_instrument(_row(app, draft_url))
    fields = _new_block_fields(logged_in, draft_url)
    assert fields["position"] == str(len(before.blocks))  # at the end unless chosen
    fields.update({"position": "1", "block.id": "neighbourhood", "block.title.en": "Your neighbourhood",
                   "block.title.es": "Su barrio", "block.title.ar": "حيّك", "block.intro.en": "A few questions.",
                   "block.intro.es": "Unas preguntas.", "block.intro.ar": "بعض الأسئلة.", "block.randomize": "y",
                   "id": "years_here", "type": "number", "min": "0", "max": "90",
                   "text.en": "Years at this address?", "text.es": "¿Cuántos años en esta dirección?",
                   "text.ar": "كم سنة في هذا العنوان؟"})
    response = logged_in.post(f"{draft_url}/blocks/new", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("#block-neighbourhood")
    after = parsed_instrument(_row(app, draft_url))
    assert [b.id for b in after.blocks] == [before.blocks[0].id, "neighbourhood", *[b.id for b in before.blocks[1:]]]
    block = after.blocks[1]
    assert block.title["es"] == "Su barrio" and block.intro["ar"] == "بعض الأسئلة." and block.randomize
    question = block.questions[0]
    assert [q.id for q in block.questions] == ["years_here"] and (question.low, question.high) == (0, 90)
    page = logged_in.get(draft_url).get_data(as_text=True)
    assert 'id="block-neighbourhood"' in page and "Your neighbourhood" in page


def test_a_refused_new_block_shows_errors_beside_its_fields(app, logged_in, draft_url):
    before = _row(app, draft_url)
    first_block = parsed_instrument(before).blocks[0].id
    fields = _new_block_fields(logged_in, draft_url)
    fields.update({"block.id": first_block, "block.title.en": "Again", "block.title.es": "",
                   "id": "born_abroad", "type": "single", "text.en": "x", "text.es": "x", "text.ar": "x"})
    response = logged_in.post(f"{draft_url}/blocks/new", data=fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="block-id-errors"><li>duplicate block id', page)
    assert re.search(r'id="block-title-es-errors">.*?<li>the &#39;es&#39; translation is blank', page)
    assert re.search(r'id="id-errors"><li>duplicate item id', page)
    assert re.search(r'id="option_set-errors"><li>must have at least 2 entries', page)  # no options
    assert re.search(r'name="block.id"[^>]*aria-describedby="block-id-errors"', page)
    assert 'value="Again"' in page  # the form as posted
    assert _row(app, draft_url).sha256 == before.sha256  # nothing stored
    bad_place = logged_in.post(f"{draft_url}/blocks/new", data={**fields, "position": "99"})
    assert bad_place.status_code == 422 and "Choose where the block goes." in bad_place.get_data(as_text=True)


def test_move_a_block_up_and_down(app, logged_in, draft_url):
    ids = [b.id for b in parsed_instrument(_row(app, draft_url)).blocks]
    token = csrf_token_from(logged_in.get(draft_url).get_data(as_text=True))
    last = ids[-1]
    response = logged_in.post(f"{draft_url}/blocks/{last}/move", data={"csrf_token": token, "direction": "up"})
    assert response.status_code == 302
    assert [b.id for b in parsed_instrument(_row(app, draft_url)).blocks] == [*ids[:-2], last, ids[-2]]
    response = logged_in.post(f"{draft_url}/blocks/{last}/move", data={"csrf_token": token, "direction": "down"})
    assert response.status_code == 302
    assert [b.id for b in parsed_instrument(_row(app, draft_url)).blocks] == ids
    # the last block cannot go further down; a direction that is neither is a 400; no such block a 404
    logged_in.post(f"{draft_url}/blocks/{last}/move", data={"csrf_token": token, "direction": "down"})
    assert f"Block {last} is already the last." in logged_in.get(draft_url).get_data(as_text=True)
    sideways = {"csrf_token": token, "direction": "left"}
    assert logged_in.post(f"{draft_url}/blocks/{last}/move", data=sideways).status_code == 400
    up = {"csrf_token": token, "direction": "up"}
    assert logged_in.post(f"{draft_url}/blocks/nope/move", data=up).status_code == 404
    assert [b.id for b in parsed_instrument(_row(app, draft_url)).blocks] == ids


def test_a_move_that_breaks_a_skip_rule_is_refused(app, logged_in, draft_url):
    # give "comments" (block your_words) a skip rule on "heard_policy" (block immigration, earlier)
    inst = parsed_instrument(_row(app, draft_url))
    code = inst.question("heard_policy").options[0].code
    url = f"{draft_url}/items/comments"
    fields = form_fields(logged_in.get(url).get_data(as_text=True), url)
    fields.update({"show_if.item": "heard_policy", "show_if.in": str(code)})
    assert logged_in.post(url, data=fields).status_code == 302
    ids = [b.id for b in parsed_instrument(_row(app, draft_url)).blocks]
    assert ids.index("your_words") == ids.index("immigration") + 2
    token = csrf_token_from(logged_in.get(draft_url).get_data(as_text=True))
    move = {"csrf_token": token, "direction": "down"}
    assert logged_in.post(f"{draft_url}/blocks/immigration/move", data=move).status_code == 302
    assert logged_in.post(f"{draft_url}/blocks/immigration/move", data=move).status_code == 302
    assert "Block immigration was not moved" in logged_in.get(draft_url).get_data(as_text=True)
    order = [b.id for b in parsed_instrument(_row(app, draft_url)).blocks]
    assert order.index("immigration") == order.index("your_words") - 1  # moved once, then refused


def test_moving_a_block_of_a_published_version_makes_a_draft(app, logged_in, draft_url):
    post_form(logged_in, draft_url, {}, action=f"{draft_url}/publish")
    published = _row(app, draft_url)
    ids = [b.id for b in parsed_instrument(published).blocks]
    token = csrf_token_from(logged_in.get(draft_url).get_data(as_text=True))
    response = logged_in.post(f"{draft_url}/blocks/{ids[1]}/move", data={"csrf_token": token, "direction": "up"})
    draft = _row(app, response.headers["Location"])
    assert draft.id != published.id and draft.parent_id == published.id
    assert [b.id for b in parsed_instrument(draft).blocks][:2] == [ids[1], ids[0]]
    assert _row(app, draft_url).source_yaml == published.source_yaml


def _scale_fields(client, url: str) -> dict:
    page = client.get(url)
    assert page.status_code == 200
    return form_fields(page.get_data(as_text=True), url)


def test_add_a_scale_and_a_refused_one(app, logged_in, draft_url):
    url = f"{draft_url}/scales/new"
    fields = _scale_fields(logged_in, url)
    fields.update({"scale.id": "respect", "scale.label.en": "Respect", "scale.label.es": "Respeto",
                   "scale.label.ar": "الاحترام", "scale.items": ["pf_respect", "pf_explain"],
                   "scale.min_items": "2", "scale.higher_means": "more_trust"})
    refused = logged_in.post(url, data={**fields, "scale.items": ["pf_respect", "comments"], "scale.min_items": "0"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert re.search(r'id="scale-items-errors"><li>[^<]*comments', page)
    assert re.search(r'id="scale-min_items-errors"><li>', page)
    assert "respect" not in parsed_instrument(_row(app, draft_url)).scales
    taken = logged_in.post(url, data={**fields, "scale.id": "trust"})
    assert taken.status_code == 422 and "there is already a scale trust" in taken.get_data(as_text=True)
    response = logged_in.post(url, data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    scale = parsed_instrument(_row(app, draft_url)).scales["respect"]
    assert scale.items == ("pf_respect", "pf_explain") and scale.min_items == 2
    assert scale.label["es"] == "Respeto" and scale.higher_means == "more_trust"
    assert "Add a scale" in logged_in.get(draft_url).get_data(as_text=True)


def test_edit_a_scale(app, logged_in, draft_url):
    url = f"{draft_url}/scales/effectiveness"
    fields = _scale_fields(logged_in, url)
    assert sorted(fields["scale.items"]) == ["eff_arrive_quickly", "eff_capture_culprit", "eff_prevent_violence"]
    assert fields["scale.min_items"] == "2" and fields["scale.higher_means"] == "more_trust"
    fields.update({"scale.items": ["eff_arrive_quickly", "eff_capture_culprit"], "scale.min_items": "1",
                   "scale.label.es": "Eficacia policial", "scale.higher_means": ""})
    assert logged_in.post(url, data=fields).status_code == 302
    scale = parsed_instrument(_row(app, draft_url)).scales["effectiveness"]
    assert scale.items == ("eff_arrive_quickly", "eff_capture_culprit") and scale.min_items == 1
    assert scale.label["es"] == "Eficacia policial" and scale.higher_means is None
    blank = logged_in.post(url, data={**fields, "scale.label.ar": " "})
    assert blank.status_code == 422
    assert re.search(r'id="scale-label-ar-errors">.*?translation is blank', blank.get_data(as_text=True), re.S)
    assert logged_in.get(f"{draft_url}/scales/nope").status_code == 404


def test_remove_a_scale_after_confirmation(app, logged_in, draft_url):
    confirm = logged_in.get(f"{draft_url}/scales/effectiveness/delete")
    assert confirm.status_code == 200 and "Remove scale effectiveness?" in confirm.get_data(as_text=True)
    token = csrf_token_from(confirm.get_data(as_text=True))
    before = parsed_instrument(_row(app, draft_url))
    assert logged_in.post(f"{draft_url}/scales/effectiveness/delete", data={"csrf_token": token}).status_code == 302
    after = parsed_instrument(_row(app, draft_url))
    assert "effectiveness" not in after.scales and after.scales["trust"] == before.scales["trust"]
    assert "eff_prevent_violence" in [q.id for q in after.questions()]  # the items stay
    # the item's page no longer offers the removed scale
    item_page = logged_in.get(f"{draft_url}/items/eff_prevent_violence").get_data(as_text=True)
    assert 'value="effectiveness"' not in item_page
    assert logged_in.get(f"{draft_url}/scales/effectiveness/delete").status_code == 404


def test_edit_the_title_and_description(app, logged_in, draft_url):
    url = f"{draft_url}/title"
    fields = _scale_fields(logged_in, url)
    fields.update({"title.es": "Confianza cívica en Riverside", "description": "Pilot for Riverside, 2026."})
    assert logged_in.post(url, data=fields).status_code == 302
    parsed = parsed_instrument(_row(app, draft_url))
    assert parsed.title["es"] == "Confianza cívica en Riverside"
    assert "description: Pilot for Riverside, 2026." in _row(app, draft_url).source_yaml
    blank = logged_in.post(url, data={**fields, "title.ar": ""})
    assert blank.status_code == 422
    page = blank.get_data(as_text=True)
    assert re.search(r'id="title-ar-errors">.*?translation is blank', page, re.S)
    assert re.search(r'name="title.ar"[^>]*aria-describedby="title-ar-errors"', page)
    assert parsed_instrument(_row(app, draft_url)).title["ar"] == parsed.title["ar"]

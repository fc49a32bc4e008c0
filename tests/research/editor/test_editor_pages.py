"""The questionnaire editor through its pages: create, edit with the loader's checks, versions, reviews."""
from __future__ import annotations

import re

from sqlalchemy import select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH, load_instrument
from surveys.models import AuditLog, Instrument
from surveys.studies.instrument_store import parsed_instrument
from tests.accounts.helpers import add_researcher
from tests.factories import csrf_token_from, login_as, post_form

from .formdata import form_fields


def _row(app, url: str) -> Instrument:
    with app.app_context():
        row = db.session.get(Instrument, int(url.rstrip("/").rsplit("/", 1)[1]))
        assert row is not None
        db.session.expunge(row)
        return row


def _edit(client, url: str, item: str, **changes: str):
    page = client.get(f"{url}/items/{item}").get_data(as_text=True)
    fields = form_fields(page, f"{url}/items/{item}")
    fields.update(changes)
    return client.post(f"{url}/items/{item}", data=fields)


def test_list_and_create_from_the_default(app, logged_in, draft_url):
    row = _row(app, draft_url)
    assert (row.key, row.status, row.version) == ("riverside", "draft", "1.1.0")
    default = load_instrument(DEFAULT_INSTRUMENT_PATH)
    parsed = parsed_instrument(row)
    assert [q.id for q in parsed.questions()] == [q.id for q in default.questions()]
    listing = logged_in.get("/research/instruments").get_data(as_text=True)
    assert "riverside" in listing and "Version 1.1.0" in listing and "draft" in listing
    page = logged_in.get(draft_url).get_data(as_text=True)
    # every language of an item side by side, with its review state
    assert "¿Dónde nacieron usted y sus padres?" in page and "أين وُلدت أنت ووالداك؟" in page
    assert page.count("Not reviewed") >= 3 * len(default.questions())
    assert "Publish this version" in page
    with app.app_context():
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "instrument.create")) is not None


def test_create_an_empty_questionnaire_and_refusals(app, logged_in):
    response = post_form(logged_in, "/research/instruments/new",
                         {"key": "tiny", "base": "empty", "languages": ["en", "es"]})
    assert response.status_code == 302
    parsed = parsed_instrument(_row(app, response.headers["Location"]))
    assert parsed.language_codes == ("en", "es") and [q.id for q in parsed.questions()] == ["born_abroad"]
    refused = post_form(logged_in, "/research/instruments/new", {"key": "tiny2", "base": "empty"})
    assert refused.status_code == 400 and "Choose at least one language." in refused.get_data(as_text=True)
    bad_key = post_form(logged_in, "/research/instruments/new", {"key": "Not A Key", "base": "default"})
    assert bad_key.status_code == 400 and "lower-case letters" in bad_key.get_data(as_text=True)


def test_edit_an_item_in_a_draft(app, logged_in, draft_url):
    before = _row(app, draft_url)
    response = _edit(logged_in, draft_url, "born_abroad", **{"text.es": "¿Dónde nació usted?"})
    assert response.status_code == 302
    after = _row(app, draft_url)
    assert after.id == before.id and after.sha256 != before.sha256  # a draft changes in place
    assert parsed_instrument(after).question("born_abroad").text["es"] == "¿Dónde nació usted?"
    assert "¿Dónde nació usted?" in logged_in.get(draft_url).get_data(as_text=True)


def test_a_refused_edit_shows_the_loaders_message_beside_the_field(app, logged_in, draft_url):
    before = _row(app, draft_url)
    response = _edit(logged_in, draft_url, "born_abroad", **{"text.es": "  "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.search(r'<ul class="errors" id="text-es-errors">(.*?)</ul>', page, re.S)
    assert errors and "the &#39;es&#39; translation is blank" in errors.group(1)
    assert re.search(r'name="text.es"[^>]*aria-describedby="text-es-errors"', page)
    assert "2 problems, each shown beside its field below." in page
    assert _row(app, draft_url).sha256 == before.sha256  # nothing stored
    # a likert item with 3 points: the loader's rule, shown beside the options
    response = _edit(logged_in, draft_url, "born_abroad", type="likert")
    assert response.status_code == 422
    assert re.search(r'id="option_set-errors"><li>a likert item needs 4, 5 or 7', response.get_data(as_text=True))
    # a skip rule with an answer code the earlier item does not have
    response = _edit(logged_in, draft_url, "years_in_country", **{"show_if.item": "born_abroad", "show_if.in": "7"})
    assert response.status_code == 422
    assert re.search(r'id="show_if-in-errors"><li>code 7 is not an answer option of &#39;born_abroad&#39;',
                     response.get_data(as_text=True))


def test_editing_a_published_version_makes_a_draft(app, logged_in, draft_url):
    row = _row(app, draft_url)
    published = post_form(logged_in, draft_url, {}, action=f"{draft_url}/publish")
    assert published.status_code == 302 and _row(app, draft_url).status == "published"
    again = post_form(logged_in, draft_url, {}, action=f"{draft_url}/publish")
    assert again.status_code == 409
    response = _edit(logged_in, draft_url, "born_abroad", **{"text.en": "Where were you born?"})
    assert response.status_code == 302
    new_url = response.headers["Location"].split("#")[0]
    draft = _row(app, new_url)
    assert draft.id != row.id and draft.parent_id == row.id and draft.status == "draft"
    assert draft.version == "1.1.1" and parsed_instrument(draft).version == "1.1.1"
    assert parsed_instrument(draft).question("born_abroad").text["en"] == "Where were you born?"
    unchanged = _row(app, draft_url)
    assert unchanged.sha256 == row.sha256 and unchanged.source_yaml == row.source_yaml
    # a published version records no reviews either
    assert post_form(logged_in, draft_url, {}, action=f"{draft_url}/items/born_abroad/review/es").status_code == 409


def test_new_item_with_a_translation_skip_rule_and_scale(app, logged_in, draft_url):
    page = logged_in.get(f"{draft_url}/blocks/about_you/items/new").get_data(as_text=True)
    fields = form_fields(page, f"{draft_url}/blocks/about_you/items/new")
    fields.update({"id": "years_here", "type": "number", "min": "0", "max": "90", "text.en": "Years at this address?",
                   "text.es": "¿Cuántos años en esta dirección?", "text.ar": "كم سنة في هذا العنوان؟",
                   "show_if.item": "born_abroad", "show_if.in": "1, 2", "scales": "fear"})
    response = logged_in.post(f"{draft_url}/blocks/about_you/items/new", data=fields)
    assert response.status_code == 422  # fear's items are 1..5: a 0..90 number does not share its range
    assert "items must share one code range" in response.get_data(as_text=True)
    del fields["scales"]
    response = logged_in.post(f"{draft_url}/blocks/about_you/items/new", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    question = parsed_instrument(_row(app, draft_url)).question("years_here")
    assert question.text["es"] == "¿Cuántos años en esta dirección?"
    assert question.show_if.as_dict() == {"item": "born_abroad", "in": [1, 2]}
    assert (question.low, question.high, question.block_id) == (0, 90, "about_you")


def test_scale_membership_direction_and_renaming(app, logged_in, draft_url):
    # eff_prevent_violence: in "trust" and "effectiveness", not reverse-coded. Reverse it, rename it,
    # and take it out of "effectiveness": the scales follow the new id, the direction and the choice.
    page = logged_in.get(f"{draft_url}/items/eff_prevent_violence").get_data(as_text=True)
    fields = form_fields(page, f"{draft_url}/items/eff_prevent_violence")
    assert sorted(fields["scales"]) == ["effectiveness", "trust"]
    fields.update({"reverse": "y", "id": "eff_violence", "scales": ["trust"]})
    response = logged_in.post(f"{draft_url}/items/eff_prevent_violence", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    after = parsed_instrument(_row(app, draft_url))
    assert "eff_violence" in after.scales["trust"].items and "eff_violence" in after.scales["trust"].reverse
    assert after.scales["effectiveness"].items == ("eff_arrive_quickly", "eff_capture_culprit")
    assert "eff_prevent_violence" not in [q.id for q in after.questions()]


def test_grid_rows_scale_membership(app, logged_in, draft_url):
    url = f"{draft_url}/items/report_victim"
    fields = form_fields(logged_in.get(url).get_data(as_text=True), url)
    assert sorted(fields["rows[0].scales"]) == ["willingness", "willingness_victim"]
    before = parsed_instrument(_row(app, draft_url))
    assert logged_in.post(url, data=fields).status_code == 302  # saved unchanged: the same scales
    assert parsed_instrument(_row(app, draft_url)).scales == before.scales
    fields["rows[0].scales"] = "willingness"
    fields["rows[1].reverse"] = "y"
    assert logged_in.post(url, data=fields).status_code == 302
    after = parsed_instrument(_row(app, draft_url))
    assert "report_burglary_victim" not in after.scales["willingness_victim"].items
    assert "report_burglary_victim" in after.scales["willingness"].items
    assert after.scales["willingness"].reverse == ("report_assault_victim",)


def test_remove_an_item_and_a_refused_removal(app, logged_in, draft_url):
    confirm = logged_in.get(f"{draft_url}/items/home_language/delete")
    assert confirm.status_code == 200 and "Remove item home_language?" in confirm.get_data(as_text=True)
    token = csrf_token_from(confirm.get_data(as_text=True))
    refused = logged_in.post(f"{draft_url}/items/born_abroad/delete", data={"csrf_token": token})
    assert refused.status_code == 302
    assert "born_abroad was not removed" in logged_in.get(draft_url).get_data(as_text=True)
    assert "born_abroad" in [q.id for q in parsed_instrument(_row(app, draft_url)).questions()]
    removed = logged_in.post(f"{draft_url}/items/home_language/delete", data={"csrf_token": token})
    assert removed.status_code == 302
    ids = [q.id for q in parsed_instrument(_row(app, draft_url)).questions()]
    assert "home_language" not in ids and "born_abroad" in ids


def test_block_edit_randomize_and_error_beside_the_field(app, logged_in, draft_url):
    inst = parsed_instrument(_row(app, draft_url))
    block = inst.blocks[-1]
    url = f"{draft_url}/blocks/{block.id}"
    fields = form_fields(logged_in.get(url).get_data(as_text=True), url)
    refused = logged_in.post(url, data={**fields, "block.id": inst.blocks[0].id})
    assert refused.status_code == 422
    assert re.search(r'id="block-id-errors"><li>duplicate block id', refused.get_data(as_text=True))
    fields["block.title.es"] = "Sobre usted (nuevo)"
    assert logged_in.post(url, data=fields).status_code == 302
    assert parsed_instrument(_row(app, draft_url)).blocks[-1].title["es"] == "Sobre usted (nuevo)"


def test_translation_review_and_its_staleness(app, logged_in, analyst, draft_url):
    response = post_form(logged_in, draft_url, {}, action=f"{draft_url}/items/born_abroad/review/es")
    assert response.status_code == 302
    page = logged_in.get(draft_url).get_data(as_text=True)
    card = page[page.index('id="item-born_abroad"'):]
    card = card[:card.index("</article>")]
    assert f"Reviewed by {analyst.email}" in card
    _edit(logged_in, draft_url, "born_abroad", **{"text.es": "¿Dónde nació usted?"})
    page = logged_in.get(draft_url).get_data(as_text=True)
    card = page[page.index('id="item-born_abroad"'):]
    assert "Changed since" in card[:card.index("</article>")]
    assert post_form(logged_in, draft_url, {}, action=f"{draft_url}/items/nope/review/es").status_code == 404
    assert post_form(logged_in, draft_url, {}, action=f"{draft_url}/items/born_abroad/review/fr").status_code == 404


def test_diff_between_versions(app, logged_in, draft_url):
    post_form(logged_in, draft_url, {}, action=f"{draft_url}/publish")
    response = _edit(logged_in, draft_url, "born_abroad", **{"text.es": "¿Dónde nació usted?",
                                                             "options[3].code": "98"})
    new_url = response.headers["Location"].split("#")[0]
    a, b = _row(app, draft_url), _row(app, new_url)
    page = logged_in.get(f"/research/instruments/diff?a={a.id}&b={b.id}").get_data(as_text=True)
    assert "¿Dónde nacieron usted y sus padres?" in page and "¿Dónde nació usted?" in page
    assert "wording (es)" in page and "answer options" in page and "99 = Prefer not to say" in page
    assert "wording (en)" not in page
    assert f"Changes since version {a.version}" in logged_in.get(new_url).get_data(as_text=True)
    same = logged_in.get(f"/research/instruments/diff?a={a.id}&b={a.id}").get_data(as_text=True)
    assert "No differences" in same
    assert logged_in.get("/research/instruments/diff?a=x&b=1").status_code == 400


def test_viewers_read_but_do_not_change_and_other_organisations_see_nothing(app, client, logged_in, draft_url):
    viewer = add_researcher(app, role="viewer")
    other = app.test_client()
    login_as(other, viewer)
    assert other.get(draft_url).status_code == 404  # another organisation's draft
    assert other.get("/research/instruments").status_code == 200
    assert other.get("/research/instruments/new").status_code == 403
    assert "riverside" not in other.get("/research/instruments").get_data(as_text=True)
    assert logged_in.get(f"{draft_url}/items/nope").status_code == 404
    assert logged_in.get(f"{draft_url}/blocks/nope").status_code == 404
    assert logged_in.get("/research/instruments/999999").status_code == 404

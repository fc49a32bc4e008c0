"""Removing a whole block through the editor's pages: a confirmation page, then the loader decides.

A community group may leave out the optional victimization block; a block whose items a scale,
the ``immigrant`` flag or a skip rule still uses is refused (422) and the draft stays as it was.
"""
from __future__ import annotations

import re

from sqlalchemy import func, select

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


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Instrument)) or 0


def _remove(client, draft_url: str, block_id: str):
    """GET the confirmation page, then POST its form (with its CSRF token)."""
    confirm = client.get(f"{draft_url}/blocks/{block_id}/delete")
    assert confirm.status_code == 200
    token = csrf_token_from(confirm.get_data(as_text=True))
    return client.post(f"{draft_url}/blocks/{block_id}/delete", data={"csrf_token": token})


def test_the_confirmation_page_lists_the_blocks_title_and_questions(logged_in, draft_url):
    version_page = logged_in.get(draft_url).get_data(as_text=True)
    assert f'href="{draft_url}/blocks/victimization/delete"' in version_page
    edit_page = logged_in.get(f"{draft_url}/blocks/victimization").get_data(as_text=True)
    assert f'href="{draft_url}/blocks/victimization/delete"' in edit_page and "Remove this block" in edit_page
    page = logged_in.get(f"{draft_url}/blocks/victimization/delete").get_data(as_text=True)
    assert "Remove block victimization?" in page and "Crimes you may have experienced" in page
    for item_id in ("victim_burglary", "reported_burglary", "victim_assault", "reported_domestic_violence"):
        assert f"<strong>{item_id}</strong>" in page
    assert "Did anyone break into or try to break into your home" in page
    assert re.search(r'<button type="submit">Remove block victimization</button>', page)


def test_remove_the_victimization_block(app, logged_in, draft_url):
    before = parsed_instrument(_row(app, draft_url))
    gone = [q.id for b in before.blocks if b.id == "victimization" for q in b.questions]
    assert "victim_burglary" in gone
    response = _remove(logged_in, draft_url, "victimization")
    assert response.status_code == 302, response.get_data(as_text=True)
    row = _row(app, draft_url)
    assert row.status == "draft" and row.id == _row(app, response.headers["Location"]).id
    after = parsed_instrument(row)
    assert [b.id for b in after.blocks] == [b.id for b in before.blocks if b.id != "victimization"]
    assert "id: victimization" not in row.source_yaml
    assert not [i for i in gone if re.search(rf"\b{i}\b", row.source_yaml)]
    assert after.scales == before.scales  # nothing else changed
    assert "Saved the removal of block victimization." in logged_in.get(draft_url).get_data(as_text=True)
    assert logged_in.get(f"{draft_url}/blocks/victimization/delete").status_code == 404


def test_a_block_a_scale_uses_is_not_removed(app, logged_in, draft_url):
    before = _row(app, draft_url).source_yaml
    response = _remove(logged_in, draft_url, "police_work")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Block police_work was not removed" in page
    assert "scales.effectiveness.items[0]: unknown item &#39;eff_prevent_violence&#39;" in page
    assert "scales.trust.items" in page and "Remove block police_work</button>" in page  # may try again
    assert _row(app, draft_url).source_yaml == before


def test_a_block_the_immigrant_flag_uses_is_not_removed(app, logged_in, draft_url):
    before = _row(app, draft_url).source_yaml
    response = _remove(logged_in, draft_url, "about_you")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "flags.immigrant.item: refers to unknown item &#39;born_abroad&#39;" in page
    assert _row(app, draft_url).source_yaml == before


def test_a_published_version_loses_no_block(app, logged_in, draft_url):
    post_form(logged_in, draft_url, {}, action=f"{draft_url}/publish")
    published = _row(app, draft_url)
    assert published.status == "published"
    assert "/blocks/victimization/delete" not in logged_in.get(draft_url).get_data(as_text=True)
    assert "Remove this block" not in logged_in.get(f"{draft_url}/blocks/victimization").get_data(as_text=True)
    count = _versions(app)
    assert logged_in.get(f"{draft_url}/blocks/victimization/delete").status_code == 409
    token = csrf_token_from(logged_in.get(draft_url).get_data(as_text=True))
    response = logged_in.post(f"{draft_url}/blocks/victimization/delete", data={"csrf_token": token})
    assert response.status_code == 409 and "make a new draft" in response.get_data(as_text=True)
    assert _row(app, draft_url).source_yaml == published.source_yaml and _versions(app) == count


def test_an_unknown_block_is_404(logged_in, draft_url):
    assert logged_in.get(f"{draft_url}/blocks/nope/delete").status_code == 404
    token = csrf_token_from(logged_in.get(draft_url).get_data(as_text=True))
    assert logged_in.post(f"{draft_url}/blocks/nope/delete", data={"csrf_token": token}).status_code == 404


def test_the_last_block_is_not_removed(app, logged_in):
    created = post_form(logged_in, "/research/instruments/new", {"key": "tiny", "base": "empty", "languages": ["en"]})
    url = created.headers["Location"]
    row = _row(app, url)
    assert [b.id for b in parsed_instrument(row).blocks] == ["about_you"]
    page = logged_in.get(f"{url}/blocks/about_you/delete").get_data(as_text=True)
    assert "needs at least one block" in page and "Remove block about_you</button>" not in page
    token = csrf_token_from(logged_in.get(url).get_data(as_text=True))
    refused = logged_in.post(f"{url}/blocks/about_you/delete", data={"csrf_token": token})
    assert refused.status_code == 422
    assert "A questionnaire needs at least one block" in refused.get_data(as_text=True)
    assert _row(app, url).source_yaml == row.source_yaml


def test_an_expired_form_removes_nothing(app, logged_in, draft_url):
    before = _row(app, draft_url).source_yaml
    response = logged_in.post(f"{draft_url}/blocks/victimization/delete", data={"csrf_token": "stale"})
    assert response.status_code == 400  # the app's CSRF protection answers before the route
    assert _row(app, draft_url).source_yaml == before


def test_a_block_a_skip_rule_elsewhere_uses_is_not_removed(app, logged_in, draft_url):
    url = f"{draft_url}/items/age_band"
    fields = form_fields(logged_in.get(url).get_data(as_text=True), url)
    fields.update({"show_if.item": "victim_burglary", "show_if.in": "1"})
    assert logged_in.post(url, data=fields).status_code == 302
    row = _row(app, draft_url)
    show_if = parsed_instrument(row).question("age_band").show_if
    assert show_if is not None and show_if.item == "victim_burglary"
    before = row.source_yaml
    response = _remove(logged_in, draft_url, "victimization")
    assert response.status_code == 422
    assert "(in age_band): refers to unknown item &#39;victim_burglary&#39;" in response.get_data(as_text=True)
    assert _row(app, draft_url).source_yaml == before

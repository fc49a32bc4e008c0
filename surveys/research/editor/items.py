"""Editor pages for one block or item: the form, the loader's verdict, errors beside the fields.

Every save builds the whole document with the change, and ``save_document`` runs the YAML
loader on it: a refused change re-shows the form as posted (422) with each problem beside
the field it is about. A change to a published version lands in a new draft.
"""
from __future__ import annotations

import copy

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from ...accounts.access import MANAGERS, acting_researcher, role_required
from ...instruments import InstrumentError
from ...instruments import document as doc
from ...instruments.checks import CHOICE_TYPES
from ...models import Instrument
from ...studies.instrument_versions import save_document
from ..blueprint import bp
from ..form_flow import PostForm
from .forms import BLANK_ROWS, ITEM_TYPES, block_from_form, errors_by_field, item_from_form
from .routes import version_or_404


def _languages(data: dict) -> list[dict]:
    return [lang for lang in data.get("languages", []) if isinstance(lang, dict)]


def rename_item(data: dict, old: str, new: str) -> None:
    """Follow an item's new id in scales, flags and show_if conditions."""
    if old == new or not old:
        return
    for scale in (data.get("scales") or {}).values():
        scale["items"] = [new if i == old else i for i in scale.get("items", [])]
    for flag in (data.get("flags") or {}).values():
        if flag.get("item") == old:
            flag["item"] = new
    for _b, _p, item in doc.walk_items(data):
        if (item.get("show_if") or {}).get("item") == old:
            item["show_if"]["item"] = new


def set_scales(data: dict, item_id: str, chosen: list[str]) -> None:
    """Membership of ``item_id`` in each scale as chosen; a kept member keeps its place."""
    for name, scale in (data.get("scales") or {}).items():
        items = list(scale.get("items", []))
        if name not in chosen:
            items = [i for i in items if i != item_id]
        elif item_id not in items:
            items.append(item_id)
        scale["items"] = items


def _memberships(data: dict, item: dict, old: dict, form: MultiDict[str, str]) -> None:
    """The scale checkboxes: the item's own, or each grid row's (``rows[n].scales``); a grid row
    that is gone (removed or renamed) leaves its scales."""
    if item.get("type") != "grid":
        set_scales(data, item["id"], form.getlist("scales"))
        return
    kept = {row.get("id") for row in item.get("rows") or []}
    for row in old.get("rows") or []:
        if row.get("id") not in kept:
            set_scales(data, row.get("id"), [])
    for n in range(len(item.get("rows") or []) + BLANK_ROWS + len(old.get("rows") or [])):
        ident = form.get(f"rows[{n}].id", "").strip()
        if ident in kept and form.get(f"rows[{n}].scales_shown"):
            set_scales(data, ident, form.getlist(f"rows[{n}].scales"))


def _saved(row: Instrument, data: dict, what: str):
    """Save, or None with the loader's problems raised to the caller."""
    saved = save_document(acting_researcher(), row, data)
    if saved.id != row.id:
        flash(f"Version {row.version} is published and cannot change: {what} is in the new draft, "
              f"version {saved.version}.", "info")
    else:
        flash(f"Saved {what}.", "info")
    return saved


def _item_page(row: Instrument, data: dict, item: dict, path: tuple, errors: dict, elsewhere: list, status: int,
               new_in_block: str | None = None):
    kind = item.get("type")
    elsewhere = _summary(errors) + elsewhere
    options: list = item["options"] if isinstance(item.get("options"), list) else []
    scales = {name: list(s.get("items", [])) for name, s in (data.get("scales") or {}).items()}
    page = render_template(
        "research/editor/item.html", row=row, item=item, languages=_languages(data), types=ITEM_TYPES,
        choice_types=CHOICE_TYPES, kind=kind, options=options + [{}] * BLANK_ROWS,
        grid_rows=list(item.get("rows") or []) + [{}] * BLANK_ROWS, option_sets=sorted(data.get("option_sets") or {}),
        item_ids=[i for i in doc.item_ids(data) if i != item.get("id")], scales=scales,
        errs=_lookup(errors), elsewhere=elsewhere, form=PostForm(), new_in_block=new_in_block,
        block=data["blocks"][path[1]] if len(path) > 1 else None)
    return page, status


def _summary(errors: dict[str, list[str]]) -> list[str]:
    """One line above the form saying how many problems wait beside the fields."""
    count = sum(len(messages) for messages in errors.values())
    return [f"{count} problem{'s' if count != 1 else ''}, each shown beside its field below."] if count else []


def _lookup(errors: dict[str, list[str]]):
    """``errs(name)``: the messages for one field; ``errs(name, True)`` also those below it."""
    def errs(name: str, below: bool = False) -> list[str]:
        found = list(errors.get(name, []))
        if below:
            for key, messages in errors.items():
                if key != name and key.startswith((name + ".", name + "[")):
                    found.extend(messages)
        return found
    return errs


@bp.route("/instruments/<int:instrument_id>/items/<item_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def item_edit(instrument_id: int, item_id: str):
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    found = doc.find_item(data, item_id)
    if found is None:
        abort(404, description="No such item in this version.")
    path, old = found
    if request.method == "GET":
        return _item_page(row, data, old, path, {}, [], 200)
    if not PostForm().validate_on_submit():
        return _item_page(row, data, old, path, {}, ["The form expired; try again."], 400)
    changed = copy.deepcopy(data)
    item = item_from_form(request.form, [lang["code"] for lang in _languages(data)], old)
    changed["blocks"][path[1]]["items"][path[3]] = item
    rename_item(changed, item_id, item["id"])
    _memberships(changed, item, old, request.form)
    try:
        saved = _saved(row, changed, f"item {item['id']}")
    except InstrumentError as exc:
        errors, elsewhere = errors_by_field(exc.problems, path)
        return _item_page(row, changed, item, path, errors, elsewhere, 422)
    return redirect(url_for("research.instrument_version", instrument_id=saved.id, _anchor=f"item-{item['id']}"))


@bp.route("/instruments/<int:instrument_id>/blocks/<block_id>/items/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def item_new(instrument_id: int, block_id: str):
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    b = next((n for n, block in enumerate(data["blocks"]) if block.get("id") == block_id), None)
    if b is None:
        abort(404, description="No such block in this version.")
    path = ("blocks", b, "items", len(data["blocks"][b]["items"]))
    if request.method == "GET":
        blank = {"type": "single", "source": "New item written for this study"}
        return _item_page(row, data, blank, path, {}, [], 200, new_in_block=block_id)
    changed = copy.deepcopy(data)
    item = item_from_form(request.form, [lang["code"] for lang in _languages(data)], {})
    changed["blocks"][b]["items"].append(item)
    _memberships(changed, item, {}, request.form)
    if not PostForm().validate_on_submit():
        return _item_page(row, changed, item, path, {}, ["The form expired; try again."], 400, new_in_block=block_id)
    try:
        saved = _saved(row, changed, f"the new item {item['id']}")
    except InstrumentError as exc:
        errors, elsewhere = errors_by_field(exc.problems, path)
        return _item_page(row, changed, item, path, errors, elsewhere, 422, new_in_block=block_id)
    return redirect(url_for("research.instrument_version", instrument_id=saved.id, _anchor=f"item-{item['id']}"))


@bp.route("/instruments/<int:instrument_id>/items/<item_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def item_delete(instrument_id: int, item_id: str):
    """GET: a confirmation page (no JavaScript needed) saying what removing does; POST: remove it."""
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    found = doc.find_item(data, item_id)
    if found is None:
        abort(404, description="No such item in this version.")
    if request.method == "GET":
        return render_template("research/editor/item_delete.html", row=row, item=found[1], form=PostForm())
    if not PostForm().validate_on_submit():
        return redirect(url_for("research.instrument_version", instrument_id=row.id))
    path, _old = found
    del data["blocks"][path[1]]["items"][path[3]]
    set_scales(data, item_id, [])
    try:
        saved = _saved(row, data, f"the removal of {item_id}")
    except InstrumentError as exc:
        flash(f"{item_id} was not removed: " + "; ".join(f"{p.path}: {p.message}" for p in exc.problems), "error")
        return redirect(url_for("research.instrument_version", instrument_id=row.id, _anchor=f"item-{item_id}"))
    return redirect(url_for("research.instrument_version", instrument_id=saved.id))


@bp.route("/instruments/<int:instrument_id>/blocks/<block_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def block_edit(instrument_id: int, block_id: str):
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    b = next((n for n, block in enumerate(data["blocks"]) if block.get("id") == block_id), None)
    if b is None:
        abort(404, description="No such block in this version.")
    block, errors, elsewhere, status = data["blocks"][b], {}, [], 200
    if request.method == "POST":
        changed = copy.deepcopy(data)
        block = block_from_form(request.form, [lang["code"] for lang in _languages(data)], data["blocks"][b])
        changed["blocks"][b] = block
        if not PostForm().validate_on_submit():
            elsewhere, status = ["The form expired; try again."], 400
        else:
            try:
                saved = _saved(row, changed, f"block {block['id']}")
            except InstrumentError as exc:
                found, elsewhere = errors_by_field(exc.problems, ("blocks", b))
                errors = {f"block.{key}" if key else "block": value for key, value in found.items()}
                status = 422
            else:
                return redirect(url_for("research.instrument_version", instrument_id=saved.id))
    page = render_template("research/editor/block.html", row=row, block=block, languages=_languages(data),
                           errs=_lookup(errors), elsewhere=_summary(errors) + elsewhere, form=PostForm())
    return page, status

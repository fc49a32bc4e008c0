"""Editor pages that add a block, move blocks up or down, and remove one after a confirmation page.

A block needs at least one item (the format says so), so the new-block form carries the block's
fields (``block.*``) and its first item's basic fields (the item form's names); the item is then
finished in the item editor. As everywhere in the editor, the whole document goes through the
loader: a refusal re-shows the form (422) with each problem beside its field.

Removing a block removes its items and nothing else: unlike removing one item (which drops the
item from its scales), a scale, flag or skip rule that still uses one of the block's items makes
the loader refuse the removal, and the page names it, so that nobody loses a scale or the
``immigrant`` flag by leaving out a page. Only a draft can lose a block (a published version
answers 409, as publishing twice or reviewing a published translation does).
"""
from __future__ import annotations

import copy

from flask import abort, flash, redirect, render_template, request, url_for

from ...accounts.access import MANAGERS, role_required
from ...instruments import InstrumentError, Problem
from ...instruments import document as doc
from ...models import Instrument
from ..blueprint import bp
from ..form_flow import PostForm
from .forms import ITEM_TYPES, block_from_form, errors_by_field, item_from_form
from .items import _languages, _lookup, _saved, _summary
from .routes import version_or_404

# The first item's fields shown on the new-block page; a problem about any other part of the
# item (grid rows, option lines) is listed above the form, pointing to the item editor.
LAST_BLOCK = "A questionnaire needs at least one block, and this is the only one: add another block first."

FIRST_ITEM_FIELDS = ("id", "type", "text", "options", "min", "max", "max_length", "anchors", "source")


def _block_index(data: dict, block_id: str) -> int:
    b = next((n for n, block in enumerate(data.get("blocks") or []) if block.get("id") == block_id), None)
    if b is None:
        abort(404, description="No such block in this version.")
    return b


def _position(raw: str, count: int) -> int | None:
    """The index the new block takes (0 = first, count = last), or None when it is not one."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() and int(raw) <= count else None


def _split_errors(problems: list, b: int) -> tuple[dict[str, list[str]], list[str]]:
    """Problems of the new block by field: ``block.*`` for the block's, the item's own names for its
    first item's; those about a field the page does not show go above the form."""
    found, elsewhere = errors_by_field(problems, ("blocks", b))
    errors: dict[str, list[str]] = {}
    for key, messages in found.items():
        if key.startswith("items[0]"):
            name = key[len("items[0]"):].lstrip(".")
            if name.split(".")[0].split("[")[0] in FIRST_ITEM_FIELDS:
                errors.setdefault(name, []).extend(messages)
            else:
                elsewhere.extend(f"first item{'.' + name if name else ''}: {m}" for m in messages)
        else:
            errors.setdefault(f"block.{key}" if key else "block", []).extend(messages)
    return errors, elsewhere


def _new_page(row: Instrument, data: dict, block: dict, item: dict, position: int, errors: dict,
              elsewhere: list, status: int):
    blocks = [blk for blk in data.get("blocks") or [] if blk is not block]
    page = render_template(
        "research/editor/block_new.html", row=row, block=block, item=item, languages=_languages(data),
        types=ITEM_TYPES, option_sets=sorted(data.get("option_sets") or {}), position=position,
        places=[(n, f"Before block {blk.get('id')}") for n, blk in enumerate(blocks)] + [(len(blocks), "At the end")],
        errs=_lookup(errors), elsewhere=_summary(errors) + elsewhere, form=PostForm())
    return page, status


@bp.route("/instruments/<int:instrument_id>/blocks/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def block_new(instrument_id: int):
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    count = len(data.get("blocks") or [])
    if request.method == "GET":
        blank_item = {"type": "single", "source": "New item written for this study"}
        return _new_page(row, data, {}, blank_item, count, {}, [], 200)
    languages = [lang["code"] for lang in _languages(data)]
    block = block_from_form(request.form, languages, {})
    item = item_from_form(request.form, languages, {})
    block["items"] = [item]
    position = _position(request.form.get("position", ""), count)
    changed = copy.deepcopy(data)
    if not PostForm().validate_on_submit():
        return _new_page(row, data, block, item, position or count, {}, ["The form expired; try again."], 400)
    if position is None:
        return _new_page(row, data, block, item, count, {"position": ["Choose where the block goes."]}, [], 422)
    changed["blocks"].insert(position, block)
    try:
        saved = _saved(row, changed, f"the new block {block['id']}")
    except InstrumentError as exc:
        errors, elsewhere = _split_errors(exc.problems, position)
        return _new_page(row, data, block, item, position, errors, elsewhere, 422)
    return redirect(url_for("research.instrument_version", instrument_id=saved.id, _anchor=f"block-{block['id']}"))


@bp.post("/instruments/<int:instrument_id>/blocks/<block_id>/move")
@role_required(*MANAGERS)
def block_move(instrument_id: int, block_id: str):
    """``direction`` up or down: swap the block with its neighbour (skip rules must still point back)."""
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    b = _block_index(data, block_id)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400, description="Say whether the block moves up or down.")
    if not PostForm().validate_on_submit():
        return redirect(url_for("research.instrument_version", instrument_id=row.id))
    other = b - 1 if direction == "up" else b + 1
    if not 0 <= other < len(data["blocks"]):
        flash(f"Block {block_id} is already the {'first' if direction == 'up' else 'last'}.", "info")
        return redirect(url_for("research.instrument_version", instrument_id=row.id, _anchor=f"block-{block_id}"))
    blocks = data["blocks"]
    blocks[b], blocks[other] = blocks[other], blocks[b]
    try:
        saved = _saved(row, data, f"the move of block {block_id} {direction}")
    except InstrumentError as exc:
        flash(f"Block {block_id} was not moved: " + "; ".join(f"{p.path}: {p.message}" for p in exc.problems),
              "error")
        return redirect(url_for("research.instrument_version", instrument_id=row.id, _anchor=f"block-{block_id}"))
    return redirect(url_for("research.instrument_version", instrument_id=saved.id, _anchor=f"block-{block_id}"))


def _refusal(problem: Problem) -> str:
    """One line of a refused removal: where the dangling reference is and what it names.

    The line number is left out: it counts lines of the refused document, not of the draft.
    """
    where = problem.path or "the questionnaire"
    inside = f" (in {problem.item})" if problem.item and problem.item not in problem.path else ""
    return f"{where}{inside}: {problem.message}"


def _delete_page(row: Instrument, data: dict, block: dict, problems: list[str], status: int):
    """The confirmation page: the block's title and questions in the default language."""
    language = data.get("default_language", "")
    page = render_template(
        "research/editor/block_delete.html", row=row, block=block, language=language,
        last=len(data.get("blocks") or []) == 1, problems=problems, form=PostForm())
    return page, status


@bp.route("/instruments/<int:instrument_id>/blocks/<block_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def block_delete(instrument_id: int, block_id: str):
    """GET: a confirmation page listing what goes; POST: remove the block from the draft.

    The removal is saved as any other edit (``_saved``, the loader): a refusal leaves the draft as it
    was and re-shows the page (422) with what still refers to the block's items.
    """
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    b = _block_index(data, block_id)
    if row.published:
        abort(409, description=f"Version {row.version} is published and cannot change: make a new draft "
                               f"from it to remove block {block_id}.")
    block = data["blocks"][b]
    if request.method == "GET":
        return _delete_page(row, data, block, [], 200)
    if not PostForm().validate_on_submit():
        return redirect(url_for("research.instrument_version", instrument_id=row.id, _anchor=f"block-{block_id}"))
    if len(data["blocks"]) == 1:
        return _delete_page(row, data, block, [LAST_BLOCK], 422)
    changed = copy.deepcopy(data)
    del changed["blocks"][b]
    try:
        saved = _saved(row, changed, f"the removal of block {block_id}")
    except InstrumentError as exc:
        return _delete_page(row, data, block, [_refusal(p) for p in exc.problems], 422)
    return redirect(url_for("research.instrument_version", instrument_id=saved.id))

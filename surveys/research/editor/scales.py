"""Editor pages for scales: add one, change one (label, description, items, minimum answered,
what a higher score means), remove one after a confirmation page.

The item list offers only the types the scoring code turns into numbers (``NUMERIC_TYPES``:
likert items, grid rows, scale and number items); any other posted id, or an unknown one, is
refused by the loader (422, naming the item), never stored.

A scale lists its items, so removing it removes those memberships and nothing else; each item's
direction (``reverse``) stays on the item. As elsewhere in the editor the loader decides: a
refused change re-shows the form (422) with each problem beside its field.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from ...accounts.access import MANAGERS, role_required
from ...instruments import InstrumentError
from ...instruments import document as doc
from ...instruments.checks import NUMERIC_TYPES
from ...models import Instrument
from ..blueprint import bp
from ..form_flow import PostForm
from .forms import errors_by_field, number
from .items import _languages, _lookup, _saved, _summary
from .routes import version_or_404

HIGHER_MEANS = (("", "(not said)"), ("more_trust", "more trust"), ("more_willingness", "more willingness to report"),
                ("more_fear", "more fear"), ("more_involvement", "more involvement"))


def scale_from_form(form: MultiDict[str, str], languages: list[str]) -> tuple[str, dict]:
    """The scale's id and entry as the form describes them, keys in the instrument format's order.

    An emptied description leaves no ``description`` key (the format's "not given"), rather
    than an empty text the YAML would carry for nothing.
    """
    scale: dict = {"label": {lang: form.get(f"scale.label.{lang}", "").strip() for lang in languages}}
    description = form.get("scale.description", "").strip()
    if description:
        scale["description"] = description
    scale["items"] = [i for i in form.getlist("scale.items") if i.strip()]
    raw = form.get("scale.min_items", "").strip()
    scale["min_items"] = number(raw) if raw else ""
    if form.get("scale.higher_means", "").strip():
        scale["higher_means"] = form["scale.higher_means"].strip()
    return form.get("scale.id", "").strip(), scale


def _page(row: Instrument, data: dict, ident: str, scale: Mapping, errors: dict, elsewhere: list, status: int,
          new: bool):
    members = set(scale.get("items") or [])
    page = render_template(
        "research/editor/scale.html", row=row, ident=ident, scale=scale, new=new, languages=_languages(data),
        item_ids=doc.item_ids(data, NUMERIC_TYPES), members=members, higher_means=HIGHER_MEANS, errs=_lookup(errors),
        elsewhere=_summary(errors) + elsewhere, form=PostForm())
    return page, status


def _save(row: Instrument, data: dict, old_id: str | None, new: bool):
    """Shared POST handling of the new and the edit pages."""
    scales = dict(data.get("scales") or {})
    ident, scale = scale_from_form(request.form, [lang["code"] for lang in _languages(data)])
    if not PostForm().validate_on_submit():
        return _page(row, data, ident, scale, {}, ["The form expired; try again."], 400, new)
    errors: dict[str, list[str]] = {}
    if not ident:
        errors["scale.id"] = ["Give the scale an id."]
    elif ident != old_id and ident in scales:
        errors["scale.id"] = [f"there is already a scale {ident}"]
    if errors:
        return _page(row, data, ident, scale, errors, [], 422, new)
    changed = copy.deepcopy(data)
    changed["scales"] = {(ident if key == old_id else key): (scale if key == old_id else value)
                         for key, value in scales.items()}
    changed["scales"][ident] = scale
    try:
        saved = _saved(row, changed, f"scale {ident}")
    except InstrumentError as exc:
        found, elsewhere = errors_by_field(exc.problems, ("scales", ident))
        errors = {f"scale.{key}" if key else "scale.id": value for key, value in found.items()}
        return _page(row, data, ident, scale, errors, elsewhere, 422, new)
    return redirect(url_for("research.instrument_version", instrument_id=saved.id, _anchor="scales"))


@bp.route("/instruments/<int:instrument_id>/scales/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def scale_new(instrument_id: int):
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    if request.method == "GET":
        return _page(row, data, "", {"min_items": 1}, {}, [], 200, True)
    return _save(row, data, None, True)


def _scale_or_404(data: dict, scale_id: str) -> dict:
    scale = (data.get("scales") or {}).get(scale_id)
    if scale is None:
        abort(404, description="No such scale in this version.")
    return scale


@bp.route("/instruments/<int:instrument_id>/scales/<scale_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def scale_edit(instrument_id: int, scale_id: str):
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    scale = _scale_or_404(data, scale_id)
    if request.method == "GET":
        return _page(row, data, scale_id, scale, {}, [], 200, False)
    return _save(row, data, scale_id, False)


@bp.route("/instruments/<int:instrument_id>/scales/<scale_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def scale_delete(instrument_id: int, scale_id: str):
    """GET: a confirmation page saying what removing does; POST: remove the scale."""
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    scale = _scale_or_404(data, scale_id)
    if request.method == "GET":
        return render_template("research/editor/scale_delete.html", row=row, ident=scale_id, scale=scale,
                               form=PostForm())
    if not PostForm().validate_on_submit():
        return redirect(url_for("research.instrument_version", instrument_id=row.id, _anchor="scales"))
    del data["scales"][scale_id]
    if not data["scales"]:
        del data["scales"]
    try:
        saved = _saved(row, data, f"the removal of scale {scale_id}")
    except InstrumentError as exc:
        flash(f"Scale {scale_id} was not removed: " + "; ".join(f"{p.path}: {p.message}" for p in exc.problems),
              "error")
        return redirect(url_for("research.instrument_version", instrument_id=row.id, _anchor="scales"))
    return redirect(url_for("research.instrument_version", instrument_id=saved.id, _anchor="scales"))

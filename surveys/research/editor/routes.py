"""Questionnaire editor pages: instruments and versions, create, import/export, publish, diff,
translation reviews, and the version a survey is fielded with (item and block pages: ``items``).

Any role may read; analysts and admins change (POST only), as in the manage area. Drafts
belong to the organisation that made them; shared (CLI-loaded) instruments are read by all
and copied into a draft when changed.
"""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from ...accounts.access import ANY_ROLE, MANAGERS, acting_researcher, has_role, role_required, survey_for_current_user
from ...instruments import DEFAULT_INSTRUMENT_PATH, InstrumentError
from ...instruments import document as doc
from ...instruments.diff import diff
from ...models import Instrument
from ...studies.instrument_store import InstrumentConflict, parsed_instrument
from ...studies.instrument_versions import (
    VersionError,
    create_draft,
    field_with,
    import_yaml,
    instrument_for,
    mark_reviewed,
    new_draft,
    publish,
    published_instruments,
    review_state,
    visible_instruments,
)
from ..blueprint import bp
from ..form_flow import PostForm
from .forms import ImportForm, NewInstrumentForm

MAX_UPLOAD_BYTES = 2_000_000


def version_or_404(instrument_id: int) -> Instrument:
    row = instrument_for(acting_researcher(), instrument_id)
    if row is None:
        abort(404, description="No such instrument version.")
    return row


def _default_languages() -> list[SelectChoice]:
    data = doc.load(DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8"))
    return [SelectChoice(lang["code"], lang["name"]) for lang in data["languages"]]


def _list_page(import_form: ImportForm, problems: list[str] | None = None, status: int = 200):
    rows = visible_instruments(acting_researcher())
    keys: dict[str, list[Instrument]] = {}
    for row in rows:
        keys.setdefault(row.key, []).append(row)
    page = render_template("research/editor/list.html", instruments=keys, import_form=import_form,
                           problems=problems or [], can_manage=has_role(*MANAGERS))
    return page, status


@bp.get("/instruments")
@role_required(*ANY_ROLE)
def instruments_list():
    return _list_page(ImportForm())


@bp.route("/instruments/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def instrument_new():
    form = NewInstrumentForm()
    form.languages.choices = _default_languages()
    status = 200
    if form.validate_on_submit():
        languages = form.languages.data or []
        if form.base.data == "empty" and not languages:
            form.languages.errors.append("Choose at least one language.")
        else:
            try:
                row = create_draft(acting_researcher(), key=form.key.data, base=form.base.data,
                                   languages=languages)
            except (InstrumentError, InstrumentConflict) as exc:
                form.key.errors.append(str(exc))
            else:
                flash(f"Created the draft {row.key} version {row.version}.", "info")
                return redirect(url_for("research.instrument_version", instrument_id=row.id))
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template("research/editor/new.html", form=form), status


@bp.post("/instruments/import")
@role_required(*MANAGERS)
def instrument_import():
    form = ImportForm()
    if not form.validate_on_submit():
        return _list_page(form, ["The form expired; reload the page and try again."], 400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.file.errors.append("Choose a YAML file to import.")
        return _list_page(form, status=400)
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        form.file.errors.append(f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
        return _list_page(form, status=413)
    try:
        row = import_yaml(acting_researcher(), raw, upload.filename)
    except InstrumentError as exc:
        form.file.errors.append(f"The file was not imported: {len(exc.problems)} problem(s), listed below.")
        return _list_page(form, [str(p) for p in exc.problems], 422)
    except InstrumentConflict as exc:
        form.file.errors.append(str(exc))
        return _list_page(form, status=409)
    flash(f"Imported {row.key} version {row.version} as a draft.", "info")
    return redirect(url_for("research.instrument_version", instrument_id=row.id))


@bp.get("/instruments/<int:instrument_id>")
@role_required(*ANY_ROLE)
def instrument_version(instrument_id: int):
    row = version_or_404(instrument_id)
    parsed = parsed_instrument(row)
    member_of: dict[str, list[str]] = {}
    for scale in parsed.scales.values():
        for item in scale.items:
            member_of.setdefault(item, []).append(scale.id)
    return render_template("research/editor/version.html", row=row, inst=parsed, action_form=PostForm(),
                           member_of=member_of,
                           can_manage=has_role(*MANAGERS), review=lambda item, lang, text: review_state(
                               row, item, lang, text), parent=db_parent(row))


def db_parent(row: Instrument) -> Instrument | None:
    return instrument_for(acting_researcher(), row.parent_id) if row.parent_id else None


@bp.get("/instruments/<int:instrument_id>/export.yaml")
@role_required(*ANY_ROLE)
def instrument_export(instrument_id: int) -> Response:
    row = version_or_404(instrument_id)
    name = f"{row.key}-{row.version}.yaml".replace("/", "-")
    return Response(row.source_yaml, mimetype="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _post_ok() -> bool:
    return PostForm().validate_on_submit()


@bp.post("/instruments/<int:instrument_id>/publish")
@role_required(*MANAGERS)
def instrument_publish(instrument_id: int):
    row = version_or_404(instrument_id)
    if _post_ok():
        try:
            publish(acting_researcher(), row)
        except VersionError as exc:
            abort(409, description=str(exc))
        flash(f"Published version {row.version}: it can now be fielded, and it can no longer change.", "info")
    return redirect(url_for("research.instrument_version", instrument_id=row.id))


@bp.post("/instruments/<int:instrument_id>/draft")
@role_required(*MANAGERS)
def instrument_draft(instrument_id: int):
    row = version_or_404(instrument_id)
    if not _post_ok():
        return redirect(url_for("research.instrument_version", instrument_id=row.id))
    draft = new_draft(acting_researcher(), row)
    flash(f"Made the draft version {draft.version} from version {row.version}.", "info")
    return redirect(url_for("research.instrument_version", instrument_id=draft.id))


@bp.post("/instruments/<int:instrument_id>/items/<item_id>/review/<language>")
@role_required(*MANAGERS)
def instrument_review(instrument_id: int, item_id: str, language: str):
    row = version_or_404(instrument_id)
    parsed = parsed_instrument(row)
    try:
        question = parsed.question(item_id)
    except KeyError:
        abort(404, description="No such item.")
    if language not in parsed.language_codes:
        abort(404, description="No such language in this instrument.")
    if _post_ok():
        try:
            mark_reviewed(acting_researcher(), row, item_id, language, question.text[language])
        except VersionError as exc:
            abort(409, description=str(exc))
    return redirect(url_for("research.instrument_version", instrument_id=row.id, _anchor=f"item-{item_id}"))


@bp.get("/instruments/diff")
@role_required(*ANY_ROLE)
def instrument_diff():
    """``?a=<id>&b=<id>``: what changed from version a to version b."""
    try:
        a_id, b_id = int(request.args.get("a", "")), int(request.args.get("b", ""))
    except ValueError:
        abort(400, description="Give two instrument versions to compare: ?a=<id>&b=<id>.")
    a, b = version_or_404(a_id), version_or_404(b_id)
    changes = diff(parsed_instrument(a), parsed_instrument(b))
    return render_template("research/editor/diff.html", a=a, b=b, changes=changes)


@bp.route("/surveys/<slug>/instrument", methods=["GET", "POST"])
@role_required(*MANAGERS)
def survey_instrument(slug: str):
    """Field the survey with another published version (waves not yet open move with it)."""
    survey = survey_for_current_user(slug)
    choices = published_instruments(acting_researcher())
    form = PostForm()
    error, status = None, 200
    if request.method == "POST":
        chosen = next((row for row in choices if str(row.id) == request.form.get("instrument_id", "")), None)
        if not form.validate_on_submit():
            error, status = "The form expired; try again.", 400
        elif chosen is None:
            error, status = "Choose one of the published versions listed.", 422
        else:
            try:
                field_with(acting_researcher(), survey, chosen, date.today())
            except VersionError as exc:
                error, status = str(exc), 409
            else:
                flash(f"The survey now uses {chosen.key} version {chosen.version}.", "info")
                return redirect(url_for("research.survey_manage", slug=survey.slug))
    return render_template("research/editor/survey_instrument.html", survey=survey, choices=choices,
                           form=form, error=error), status

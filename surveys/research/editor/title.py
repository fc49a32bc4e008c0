"""Editor page for the questionnaire's title (per language, shown to respondents) and its
description (for researchers, one text, not translated), checked by the loader like every change."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from ...accounts.access import MANAGERS, role_required
from ...instruments import InstrumentError
from ...instruments import document as doc
from ..blueprint import bp
from ..form_flow import PostForm
from .forms import errors_by_field
from .items import _languages, _lookup, _saved, _summary
from .routes import version_or_404


@bp.route("/instruments/<int:instrument_id>/title", methods=["GET", "POST"])
@role_required(*MANAGERS)
def instrument_title(instrument_id: int):
    row = version_or_404(instrument_id)
    data = doc.load(row.source_yaml)
    title, description = data.get("title") or {}, data.get("description") or ""
    errors: dict[str, list[str]] = {}
    elsewhere: list[str] = []
    status = 200
    if request.method == "POST":
        title = {lang["code"]: request.form.get(f"title.{lang['code']}", "").strip() for lang in _languages(data)}
        description = request.form.get("description", "").strip()
        data["title"] = title
        if description:
            data["description"] = description
        else:
            data.pop("description", None)
        if not PostForm().validate_on_submit():
            elsewhere, status = ["The form expired; try again."], 400
        else:
            try:
                saved = _saved(row, data, "the title")
            except InstrumentError as exc:
                for name in ("title", "description"):
                    part, _rest = errors_by_field(exc.problems, (name,))
                    errors.update({f"{name}.{key}" if key else name: value for key, value in part.items()})
                elsewhere = [str(p) for p in exc.problems if not p.path.startswith(("title", "description"))]
                status = 422
            else:
                return redirect(url_for("research.instrument_version", instrument_id=saved.id))
    page = render_template("research/editor/title.html", row=row, title=title, description=description,
                           languages=_languages(data), errs=_lookup(errors), elsewhere=_summary(errors) + elsewhere,
                           form=PostForm())
    return page, status

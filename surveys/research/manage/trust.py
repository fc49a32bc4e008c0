"""The survey's trust block, edited by its managers: contact and never-shared statement in each of
the instrument's languages, ethics board and approval number (``studies.trust``).

The page also shows which of the instrument's translations a human translator has reviewed:
that is the research team's concern, so it is said here (and on the survey page, and before
adding a wave), no longer in a banner to respondents.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from ...accounts.access import MANAGERS, acting_researcher, role_required, survey_for_current_user
from ...instruments.errors import InstrumentError
from ...studies.instrument_store import parsed_instrument
from ...studies.trust import MAX_BOARD, MAX_NUMBER, MAX_TEXT, TrustBlock, TrustError, update_trust
from ..blueprint import bp
from ..form_flow import run_form


class TrustFormBase(FlaskForm):
    ethics_board = StringField("Ethics board (optional)", validators=[Optional(), Length(max=MAX_BOARD)])
    ethics_number = StringField("Approval number (optional)", validators=[Optional(), Length(max=MAX_NUMBER)])
    submit = SubmitField("Save the trust block")


def trust_form_class(languages: list[Any]) -> type[TrustFormBase]:
    """A form with a contact and a statement field per language of the instrument."""
    attributes: dict[str, Any] = {}
    for language in languages:
        attributes[f"contact_{language.code}"] = TextAreaField(
            f"How to reach you ({language.name})", validators=[Optional(), Length(max=MAX_TEXT)],
            description="For example a phone number, an email address or an office; shown after the organisation.")
        attributes[f"never_shared_{language.code}"] = TextAreaField(
            f"What is never shared, and with whom ({language.name})", validators=[Optional(), Length(max=MAX_TEXT)],
            description="Leave empty for the default: answers are never shared with the police or with "
                        "immigration authorities.")
    return type("TrustForm", (TrustFormBase,), attributes)


@bp.route("/surveys/<slug>/trust", methods=["GET", "POST"])
@role_required(*MANAGERS)
def survey_trust(slug: str):
    survey = survey_for_current_user(slug)
    instrument = parsed_instrument(survey.instrument)
    languages = list(instrument.languages)
    block = TrustBlock.from_json(survey.trust)
    form = trust_form_class(languages)(data={
        "ethics_board": block.ethics_board, "ethics_number": block.ethics_number,
        **{f"contact_{lang.code}": block.contact.get(lang.code, "") for lang in languages},
        **{f"never_shared_{lang.code}": block.never_shared.get(lang.code, "") for lang in languages},
    })
    outcome = run_form(
        form,
        lambda: update_trust(
            acting_researcher(), survey,
            contact={lang.code: form[f"contact_{lang.code}"].data or "" for lang in languages},
            never_shared={lang.code: form[f"never_shared_{lang.code}"].data or "" for lang in languages},
            ethics_board=form.ethics_board.data or "", ethics_number=form.ethics_number.data or "",
        ),
        errors=(TrustError,),
        field=form.ethics_board,
    )
    if outcome.done:
        flash("Saved the trust block: respondents see it on the start page.", "info")
        return redirect(url_for("research.survey_manage", slug=survey.slug))
    page = render_template("research/manage/trust.html", form=form, survey=survey, languages=languages,
                           default_language=instrument.default_language)
    return page, outcome.status


@bp.app_template_global("instrument_translations")
def instrument_translations(survey: Any) -> tuple[list[Any], str]:
    """(languages, default language) of a survey's instrument, for ``_translations.html`` on the
    survey page and before adding a wave."""
    try:
        instrument = parsed_instrument(survey.instrument)
    except InstrumentError:  # a stored instrument that no longer loads: its own pages say so
        return [], ""
    return list(instrument.languages), str(instrument.default_language)

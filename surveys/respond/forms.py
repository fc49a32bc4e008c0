"""Flask-WTF forms of the respondent pages, built from the instrument.

``ConsentForm`` is the start page (where the respondent lives, an invite code
when the survey uses them). ``page_form`` builds one form class per
questionnaire page from the instrument's block: one field per answerable
question, so the page's checks live on the form and the view stays thin.
CSRF protection is ``respond.csrf``'s timestamp-free double-submit cookie (the
blueprint is exempt from the app-wide ``CSRFProtect``, whose tokens are timed).
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from babel import support
from flask import has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.fields import HiddenField, SelectField, StringField
from wtforms.i18n import messages_path

from . import messages
from .csrf import FIELD_NAME, RespondentCSRF
from .fields import AnswerField, field_for, field_name, parse_answer

MAX_INVITE_CODE = 64


@lru_cache(maxsize=32)
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")  # type: ignore[return-value]


class _WTFormsTranslations:
    """WTForms' own messages in the page's language, each catalogue read once per process.

    Flask-WTF reads and parses the catalogue file again on every request (about
    1 ms, a tenth of a submission's time); the text it gives is the same.
    """

    def gettext(self, string: str) -> str:
        if not has_request_context():
            return string
        return _wtforms_catalogue(str(get_locale())).gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if not has_request_context():
            return singular if n == 1 else plural
        return _wtforms_catalogue(str(get_locale())).ngettext(singular, plural, n)


_TRANSLATIONS = _WTFormsTranslations()


class RespondentForm(FlaskForm):
    """Base of the respondent forms: timestamp-free CSRF, WTForms' messages from a per-process cache."""

    class Meta:
        csrf_class = RespondentCSRF
        csrf_field_name = FIELD_NAME

        def get_translations(self, form: Any) -> _WTFormsTranslations:
            return _TRANSLATIONS


class ConsentForm(RespondentForm):
    """The start page: consent is given by starting; the jurisdiction is required."""

    lang = HiddenField()
    jurisdiction = SelectField(choices=[], validate_choice=False)
    invite_code = StringField()

    def __init__(self, *args: Any, jurisdictions: list[Any], uses_invite_codes: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.jurisdiction_rows = {j.code: j for j in jurisdictions}
        self.jurisdiction.choices = [(j.code, j.name) for j in jurisdictions]
        self.uses_invite_codes = uses_invite_codes
        self.chosen_jurisdiction: Any = None

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        ok = super().validate(extra_validators)
        code = (self.jurisdiction.data or "").strip()
        if len(self.jurisdiction_rows) == 1 and not code:
            code = next(iter(self.jurisdiction_rows))
        if not code:
            self.jurisdiction.errors = [messages.jurisdiction_required()]
            ok = False
        elif code not in self.jurisdiction_rows:
            self.jurisdiction.errors = [messages.jurisdiction_unknown()]
            ok = False
        else:
            self.chosen_jurisdiction = self.jurisdiction_rows[code]
        if self.uses_invite_codes:
            invite = (self.invite_code.data or "").strip()
            if not invite:
                self.invite_code.errors = [messages.invite_code_required()]
                ok = False
            elif len(invite) > MAX_INVITE_CODE:
                self.invite_code.errors = [messages.invite_code_invalid()]
                ok = False
        return ok


class PageFormBase(RespondentForm):
    """A questionnaire page. Subclasses (from ``page_form``) add one field per question."""

    state = HiddenField()
    lang = HiddenField()

    instrument: Any = None
    earlier: dict[str, Any] = {}

    def answer_fields(self) -> list[AnswerField]:
        return [f for f in self if isinstance(f, AnswerField)]

    def field_for(self, question_id: str) -> AnswerField:
        return self[field_name(question_id)]

    def posted_answers(self) -> dict[str, Any]:
        """This page's parsed answers (blank and invalid ones left out)."""
        return {f.question.id: f.data for f in self.answer_fields() if f.problem is None and not f.blank}

    def combined(self) -> dict[str, Any]:
        """Earlier pages' answers updated with this page's, without answers that show_if hides."""
        page_ids = {f.question.id for f in self.answer_fields()}
        merged = {k: v for k, v in self.earlier.items() if k not in page_ids}
        merged.update(self.posted_answers())
        return self.instrument.prune_hidden(merged)

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        super().validate(extra_validators)
        answers = self.combined()
        for field in self.answer_fields():
            question = field.question
            if not self.instrument.visible(question, answers):
                field.errors = []  # hidden by an answer on this page: whatever was posted is dropped
            elif question.required and field.blank and not field.errors:
                field.errors = [messages.answer_message("required")]
        return not any(field.errors for field in self)


_FORM_CLASSES: dict[tuple[int, tuple[str, ...], str], tuple[Any, type[PageFormBase]]] = {}
_MAX_FORM_CLASSES = 1024


def page_form(instrument: Any, questions: list[Any], language: str) -> type[PageFormBase]:
    """The form class for a page showing ``questions`` (every answerable one of the block).

    Compiled once per parsed instrument (``parsed_instrument`` hands out one object per
    instrument content), page and language, then reused: a form class holds only unbound
    fields, each request builds its own form instance.
    """
    key = (id(instrument), tuple(q.id for q in questions), language)
    cached = _FORM_CLASSES.get(key)
    if cached is not None and cached[0] is instrument:
        return cached[1]
    attributes: dict[str, Any] = {
        field_name(q.id): field_for(q, language, instrument.default_language) for q in questions
    }
    attributes["instrument"] = instrument
    form_class = type("PageForm", (PageFormBase,), attributes)
    if len(_FORM_CLASSES) >= _MAX_FORM_CLASSES:
        _FORM_CLASSES.clear()
    _FORM_CLASSES[key] = (instrument, form_class)
    return form_class


def final_page_answers(instrument: Any, questions: list[Any], language: str, earlier: Mapping[str, Any],
                       formdata: Any) -> dict[str, Any] | None:
    """A page's combined answers when it passes every check a ``page_form`` makes, else None.

    The final submit's lean path: the same parsers (``fields.parse_answer``, each field
    class's own ``parse``), then ``PageFormBase.validate``'s rules (a visible question
    must parse cleanly; a visible required one must be answered), on the same merged
    answers as ``PageFormBase.combined``, without binding a form and its fields (a
    quarter of a submission's CPU). None sends the caller to the form path, which
    finds the same problems and shows them. The CSRF token is checked for every POST
    by ``csrf.check_request`` before the view runs, with the same function the form's
    CSRF field uses.
    """
    default_language = instrument.default_language
    parsed = []
    for question in questions:
        data, problem = parse_answer(question, formdata.getlist(field_name(question.id)), language,
                                     default_language)
        parsed.append((question, data, problem))
    page_ids = {question.id for question in questions}
    merged = {k: v for k, v in earlier.items() if k not in page_ids}
    merged.update({q.id: data for q, data, problem in parsed
                   if problem is None and not (data is None or data == [])})
    answers: dict[str, Any] = instrument.prune_hidden(merged)
    for question, data, problem in parsed:
        if not instrument.visible(question, answers):
            continue
        if problem is not None or (question.required and (data is None or data == [])):
            return None
    return answers

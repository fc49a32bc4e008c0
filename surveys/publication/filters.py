"""The dashboard and API filters (wave range, jurisdictions, language) as a validated GET form.

Shared by the researcher dashboard, the aggregate exports and the JSON API, so
a query string means the same everywhere and a bad value gets the same clear
message: 400 when a value is malformed (``wave_from=abc``), 422 when it is well
formed but names nothing in this survey (``jurisdiction=XYZ``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from babel import Locale, UnknownLocaleError
from flask import abort
from werkzeug.datastructures import MultiDict
from wtforms import Form, IntegerField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ..instruments.errors import InstrumentError
from ..models import Survey
from ..studies.instrument_store import parsed_instrument
from .aggregates import Filters, available_languages

F = TypeVar("F", bound=Form)
FILTER_PARAMETERS = ("wave_from", "wave_to", "jurisdiction", "language")
MAX_PARAMETER_LENGTH = 100


class InvalidFilter(ValueError):
    """A filter value that cannot be used; ``status`` is 400 (malformed) or 422 (unknown)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class FilterForm(Form):
    """GET filters: no CSRF (they change nothing), choices taken from the survey."""

    wave_from = IntegerField("From wave", validators=[Optional()])
    wave_to = IntegerField("To wave", validators=[Optional()])
    jurisdiction = SelectMultipleField("Jurisdictions", validate_choice=False)
    language = SelectField("Language", validate_choice=False)


def filter_form(survey: Survey, args: Mapping | None = None, languages: tuple[str, ...] = ()) -> FilterForm:
    """The filter form bound to ``args`` (a request's query string), with the survey's choices."""
    form = FilterForm(formdata=MultiDict(args) if args is not None and not isinstance(args, MultiDict) else args)
    return with_filter_choices(form, survey, languages)


def with_filter_choices(form: F, survey: Survey, languages: tuple[str, ...]) -> F:
    """Give a form's ``jurisdiction`` and ``language`` fields the survey's choices."""
    form.jurisdiction.choices = [SelectChoice(j.code, j.name) for j in survey.jurisdictions]
    names = language_names(survey)
    form.language.choices = [SelectChoice("", "All languages")] + [
        SelectChoice(code, names.get(code) or _own_name(code)) for code in languages]
    return form


def _own_name(code: str) -> str:
    """A language's name in itself from the CLDR data behind Babel ("Español"); the code if unknown."""
    try:
        name = Locale.parse(code).get_display_name(code)
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


def language_names(survey: Survey) -> dict[str, str]:
    """Language code -> its name in that language ("Español", "العربية"), from the survey's instrument."""
    try:
        instrument = parsed_instrument(survey.instrument)
    except InstrumentError:  # an unreadable stored instrument: the codes themselves
        return {}
    return {lang.code: lang.name for lang in instrument.languages}


def parse_filters(survey: Survey, args: Mapping, languages: tuple[str, ...]) -> Filters:
    """Validate the query string against the survey and return the selection.

    Raises
    ------
    InvalidFilter
        With a message naming the parameter and what is allowed.
    """
    for name in FILTER_PARAMETERS:
        values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]
        for value in values:
            if value is not None and len(str(value)) > MAX_PARAMETER_LENGTH:
                raise InvalidFilter(f"{name} is too long.", 400)
    form = filter_form(survey, args, languages)
    if not form.validate():
        name, errors = next(iter(form.errors.items()))
        raise InvalidFilter(f"{name}: {errors[0]} Use a whole wave number.", 400)
    numbers = [w.number for w in survey.waves]
    low, high = form.wave_from.data, form.wave_to.data
    for name, value in (("wave_from", low), ("wave_to", high)):
        if value is not None and value not in numbers:
            raise InvalidFilter(f"{name}={value} is not a wave of this survey (waves: {_span(numbers)}).")
    if low is not None and high is not None and low > high:
        raise InvalidFilter(f"wave_from ({low}) is after wave_to ({high}).")
    waves = None
    if low is not None or high is not None:
        waves = tuple(n for n in numbers if (low is None or n >= low) and (high is None or n <= high))
    codes = {j.code for j in survey.jurisdictions}
    chosen = [c for c in form.jurisdiction.data or [] if c]
    unknown = [c for c in chosen if c not in codes]
    if unknown:
        raise InvalidFilter(f"jurisdiction {unknown[0]!r} is not part of this survey.")
    language = form.language.data or None
    if language is not None and language not in languages:
        raise InvalidFilter(f"language {language!r} is not offered (choose from {', '.join(languages)}).")
    return Filters(waves=waves, jurisdictions=tuple(dict.fromkeys(chosen)) or None, language=language)


def _span(numbers: list[int]) -> str:
    return f"{min(numbers)}-{max(numbers)}" if numbers else "none yet"


def selected_filters(survey: Survey, args: Mapping) -> tuple[Filters, tuple[str, ...]]:
    """The filters in ``args`` (a query string or a posted form) and the languages offered.

    The one place a request's filters are read, for the dashboard, the
    aggregate downloads and the API alike: a bad value ends the request with
    its 400 or 422 and the message naming the parameter.
    """
    languages = available_languages(survey)
    try:
        return parse_filters(survey, args, languages), languages
    except InvalidFilter as exc:
        abort(exc.status, description=str(exc))

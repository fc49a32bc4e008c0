"""Every message the respondent pages produce in Python, as Flask-Babel strings.

Kept in one place so the catalogues (``surveys/translations``) are easy to
review: a translator sees each message with its placeholders once. Strings are
evaluated when a page is rendered, inside ``force_locale(<respondent language>)``.
"""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l


# Answer problems, next to the field (the error summary repeats them). Lazy: a form is
# validated before the page is rendered, and the text must be in the page's language.
def answer_message(kind: str, **params: object) -> LazyString:
    """The message for an answer problem of ``kind``, translated when the page is rendered."""
    messages = {
        "required": lambda: _l("Please answer this question."),
        "choice": lambda: _l("Please choose one of the answers shown."),
        "choices": lambda: _l("Please choose only from the answers shown, each at most once."),
        "exclusive": lambda: _l("“%(label)s” cannot be combined with other answers.", **params),
        "number": lambda: _l("Please enter a number from %(low)s to %(high)s.", **params),
        "not_a_number": lambda: _l("Please enter a number using digits only, from %(low)s to %(high)s.", **params),
        "too_long": lambda: _l("Please shorten your answer to at most %(max)s characters (it has %(length)s).",
                               **params),
        "characters": lambda: _l("Your answer contains characters that cannot be saved. Please remove them."),
        "text": lambda: _l("Please type your answer as text."),
    }
    return messages[kind]()


def jurisdiction_required() -> LazyString:
    return _l("Please choose where you live.")


def jurisdiction_unknown() -> LazyString:
    return _l("Please choose one of the places in the list.")


def invite_code_required() -> LazyString:
    return _l("Please enter the invite code you were given.")


def invite_code_invalid() -> LazyString:
    return _l("This invite code is not valid, or it has already been used. Please check it and try again.")


# Titles and explanations of the pages shown instead of a form; called inside force_locale.
def error_text(kind: str) -> tuple[str, str]:
    """(title, message) for a respondent error page of ``kind``."""
    texts = {
        "not_found": (
            _("Survey not found"),
            _("There is no survey at this address. Please check the link you were given."),
        ),
        "unknown_jurisdiction": (
            _("Unknown area"),
            _("The link you followed names an area this survey does not cover. "
              "You can still take part from the start page and choose where you live."),
        ),
        "csrf": (
            _("This page has expired"),
            _("For your security, this form could not be accepted (it may have been open too long, "
              "or your browser blocks cookies). Nothing was stored. Please start again."),
        ),
        "state": (
            _("This form could not be read"),
            _("Your answers could not be read back from the page. Nothing was stored. Please start again."),
        ),
        "expired": (
            _("This form has expired"),
            _("This survey was left open for too long, so your earlier answers were discarded for your "
              "privacy. Nothing was stored. Please start again."),
        ),
        "too_large": (
            _("Too much text"),
            _("What you sent is larger than this survey accepts. Nothing was stored. "
              "Please go back and shorten your answers."),
        ),
        "rate_limited": (
            _("Too many submissions"),
            _("Too many answers were sent from your connection recently, so this one was not stored. "
              "Please try again later."),
        ),
        "bad_request": (
            _("This request could not be understood"),
            _("Something in what your browser sent could not be read. Nothing was stored. Please start again."),
        ),
        "invalid_answers": (
            _("Some answers could not be accepted"),
            _("Some answers did not match the questions of this survey, so nothing was stored. "
              "Please start again."),
        ),
        "invite_used": (
            _("Invite code already used"),
            _("This invite code has already been used, so your answers were not stored. "
              "Each code can be used once."),
        ),
        "unavailable": (
            _("Service briefly unavailable"),
            _("We could not save your answers just now. Nothing was stored. Please try again in a minute: "
              "sending the same form again is safe, your answers are never stored twice."),
        ),
        "wave_changed": (
            _("This survey round has ended"),
            _("The survey round you started has closed, so your answers were not stored. Thank you for your time."),
        ),
    }
    return texts[kind]

"""Distribution: the links and QR codes that bring residents to a survey, and the invite cards.

Per place a link (``/s/<slug>?j=<code>``, which fixes where the respondent lives) and
a QR code of it; per invite code a card in each of the survey's languages whose QR
code opens the start page with the code filled in (``?code=``, read by
``surveys.respond.routes.start``). QR codes are drawn here as inline SVG by ``segno``:
no third-party service ever sees a survey address or an invite code.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import segno
from flask import url_for
from flask_babel import force_locale, gettext
from markupsafe import Markup

from ...models import Survey
from ...studies.instrument_store import parsed_instrument


def qr_svg(url: str, title: str) -> Markup:
    """``url`` as a QR code, an inline ``<svg>`` with a ``<title>`` (its accessible name)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True, omitsize=True,
                                    title=title, svgclass="qr", lineclass=None, border=4)
    svg = out.getvalue().decode("utf-8").replace("<svg ", '<svg role="img" ', 1)
    return Markup(svg)  # noqa: S704 - segno's own output; the title is escaped by segno


@dataclass(frozen=True)
class PlaceLink:
    name: str
    code: str
    url: str
    qr: Markup


def place_links(survey: Survey) -> list[PlaceLink]:
    """One link and QR code per place of ``survey``."""
    links = []
    for place in survey.jurisdictions:
        url = url_for("respond.start", slug=survey.slug, j=place.code, _external=True)
        links.append(PlaceLink(place.name, place.code, url, qr_svg(url, f"QR code: {place.name}")))
    return links


@dataclass(frozen=True)
class CardLanguage:
    """What a card says in one language: the public title, the label of the code, its direction."""

    code: str
    name: str
    direction: str
    title: str
    code_label: str


def card_languages(survey: Survey) -> list[CardLanguage]:
    """The survey's languages with the title respondents see (not the internal survey title)."""
    instrument = parsed_instrument(survey.instrument)
    shown = []
    for language in instrument.languages:
        with force_locale(language.code):
            label = gettext("Invite code")
        shown.append(CardLanguage(language.code, language.name, language.direction,
                                  instrument.text_for(instrument.title, language.code), label))
    return shown


@dataclass(frozen=True)
class InviteCard:
    code: str
    url: str
    qr: Markup


def invite_cards(survey: Survey, codes: list[str], language: str | None) -> list[InviteCard]:
    """A card per code: a link (and its QR code) that opens the survey with the code filled in."""
    cards = []
    for code in codes:
        url = url_for("respond.start", slug=survey.slug, code=code, lang=language, _external=True)
        cards.append(InviteCard(code, url, qr_svg(url, f"QR code for invite code {code}")))
    return cards


def codes_csv(survey: Survey, codes: list[str], batch: str) -> str:
    """The new codes as CSV: code, batch, and the link that fills the code in."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "batch", "url"])
    for code in codes:
        writer.writerow([code, batch, url_for("respond.start", slug=survey.slug, code=code, _external=True)])
    return out.getvalue()

"""The chrome catalogues are complete, compiled and in step with the source code.

A fresh clone must work without running ``pybabel compile``, so the compiled
``.mo`` files are committed; these tests fail when someone edits a template or
a ``.po`` file and forgets to re-extract, translate or compile.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "surveys" / "translations"
LANGUAGES = ("es", "ar")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def _extracted_ids() -> set:
    method_map = [
        ("surveys/respond/**.py", "python"),
        ("templates/respond/**.html", "jinja2"),
        ("templates/base.html", "jinja2"),
    ]
    options = {"templates/respond/**.html": {"extensions": "jinja2.ext.do"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map=options, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else tuple(message)[0])
    return found


def test_template_lists_exactly_the_messages_in_the_code():
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    extracted = _extracted_ids()
    assert extracted - template == set(), "run pybabel extract (see babel.cfg) and translate the new messages"
    assert template - extracted == set(), "the .pot lists messages no longer used: re-extract"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_and_keeps_placeholders(language):
    catalog = _catalog(language)
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template_ids = {m.id for m in read_po(handle) if m.id}
    assert {m.id for m in catalog if m.id} == template_ids, "run pybabel update"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(s.strip() for s in strings), f"untranslated: {message.id!r}"
        wanted = set(PLACEHOLDER.findall(ids[-1])) - {"num"}
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) - {"num"} == wanted, (message.id, string)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(language):
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(language))
    committed = (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        committed_catalog = read_mo(handle)
    compiled.seek(0)
    fresh = read_mo(compiled)

    def pairs(catalog) -> dict:
        return {_key(m.id): _key(m.string) for m in catalog}

    assert pairs(committed_catalog) == pairs(fresh), (
        f"run pybabel compile -d surveys/translations ({len(committed)} bytes committed)")


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_app_serves_translated_chrome(client):
    from flask_babel import force_locale, gettext

    with client.application.test_request_context("/"), force_locale("ar"):
        assert gettext("Next page") == "الصفحة التالية"
    with client.application.test_request_context("/"), force_locale("es"):
        assert gettext("Submit answers") == "Enviar respuestas"

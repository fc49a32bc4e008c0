"""The respondent's sealed state in a browser-session cookie, so Back and Forward work (Post/Redirect/Get).

Every POST of the survey answers with a 303 to a GET page (``/s/<slug>/page?step=N``),
so the browser's history holds only GET pages: Back and Forward, on a phone or a
desktop, reload a page instead of asking to "Confirm Form Resubmission"
(``ERR_CACHE_MISS`` in Chrome, as pages are sent ``no-store``). The GET page needs
the answers so far, and they must not go into the URL nor into server storage before
the final submit, so they travel in this cookie, sealed exactly like the hidden field
(``state.dump_state``: AES-256-GCM, the expiry inside the ciphertext):

* ``cts_state`` (and ``cts_state_1``... when a long text answer makes it bigger than
  one cookie may be), HttpOnly, SameSite=Lax, Secure when configured, **no expiry
  date or Max-Age** (it ends with the browser session; a date would say when the
  survey was taken), path ``/s/<slug>`` so it never reaches another survey;
* emptied (an empty value, again without a date) as soon as the response is submitted,
  so Back after the thank-you page shows the start page, not the answers.

The start page uses the same cookie for what was typed there (place, invite code)
when it must be shown again with an error or in another language; it is sealed with
another salt, so neither kind can be read as the other.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import current_app, request

from ..studies.sealing import SealError, seal, unseal

COOKIE_NAME = "cts_state"
CHUNK = 3800  # characters per cookie: browsers keep at least 4096 bytes per cookie, name included
MAX_CHUNKS = 8
START_SALT = b"civic-trust-survey.respond.start-draft.v1"


def cookie_path(slug: str) -> str:
    return f"/s/{slug}"


def _chunk_name(index: int) -> str:
    return COOKIE_NAME if index == 0 else f"{COOKIE_NAME}_{index}"


def read_value() -> str | None:
    """The sealed value this browser sent (its chunks joined), or None."""
    parts = []
    for index in range(MAX_CHUNKS):
        part = request.cookies.get(_chunk_name(index))
        if not part:
            break
        parts.append(part)
    return "".join(parts) or None


def _set(response: Any, slug: str, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="Lax", path=cookie_path(slug),
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )


def write_value(response: Any, slug: str, value: str) -> Any:
    """Send ``value`` in as many chunks as it needs; chunks the browser holds beyond them are emptied."""
    chunks = [value[i:i + CHUNK] for i in range(0, len(value), CHUNK)] or [""]
    if len(chunks) > MAX_CHUNKS:
        raise ValueError("state too large for the browser's cookies")
    for index, chunk in enumerate(chunks):
        _set(response, slug, _chunk_name(index), chunk)
    for index in range(len(chunks), MAX_CHUNKS):
        if request.cookies.get(_chunk_name(index)):
            _set(response, slug, _chunk_name(index), "")
    return response


def forget(response: Any, slug: str) -> Any:
    """Empty the cookie (after the final submit): nothing of the answers stays in the browser."""
    for index in range(MAX_CHUNKS):
        if index == 0 or request.cookies.get(_chunk_name(index)):
            _set(response, slug, _chunk_name(index), "")
    return response


def seal_start_draft(fields: dict[str, str], errors: dict[str, str]) -> str:
    """The start page's typed fields and error kinds, sealed (no date inside: it is shown at once)."""
    plain = json.dumps({"f": fields, "e": errors}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(seal(plain, START_SALT)).rstrip(b"=").decode("ascii")


def start_draft() -> tuple[dict[str, str], dict[str, str]] | None:
    """(fields, errors) of the start page kept by ``seal_start_draft``, or None (none, or another kind)."""
    value = read_value()
    if not value or len(value) > 20_000:
        return None
    try:
        sealed = base64.urlsafe_b64decode(value.encode("ascii") + b"=" * (-len(value) % 4))
        payload = json.loads(unseal(sealed, START_SALT))
        fields = {str(k): str(v) for k, v in dict(payload["f"]).items()}
        errors = {str(k): str(v) for k, v in dict(payload["e"]).items()}
    except (UnicodeEncodeError, binascii.Error, ValueError, SealError, KeyError, TypeError):
        return None
    return fields, errors

"""The respondent's progress through a multi-page survey, carried in the page itself.

Nothing is written to the database before the final submit: earlier pages'
answers travel in one hidden form field and in the browser-session cookie that lets
Back and Forward redraw a page (``carry``), encrypted and authenticated with a key
derived from the app's SECRET_KEY (AES-256-GCM, ``studies.sealing``). The server can trust what it validated on
an earlier page without keeping it, and the page source on a shared or seized
device does not show earlier answers or the invite code. The state expires
``STATE_MAX_AGE_SECONDS`` after it was issued (the respondent starts again) so
an abandoned form left open on a shared device goes stale; the expiry travels
*inside* the ciphertext. (It used to be a Fernet token, whose creation time is
in clear: decoding the page source gave the minute the survey was taken.)

The state also holds a random one-time submission token. Its keyed hash is
stored (in a table with no link to responses) in the same transaction as the
response, so submitting the same form twice stores one response.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from flask import current_app

from ..studies.sealing import SealError, seal, unseal

STATE_SALT = b"civic-trust-survey.respond.state.v3"
TOKEN_SALT = b"civic-trust-survey.respond.submission-token.v1"
STATE_MAX_AGE_SECONDS = 6 * 3600


class StateError(ValueError):
    """The hidden state is missing, altered or does not belong to this survey."""


class StateExpired(StateError):
    """The hidden state is genuine but older than ``STATE_MAX_AGE_SECONDS``."""


@dataclass(frozen=True)
class SurveyState:
    """Where a respondent is: survey, wave, jurisdiction, page, answers so far."""

    survey_id: int
    wave_id: int
    jurisdiction_id: int
    page: int = 0
    answers: dict[str, Any] = field(default_factory=dict)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    seed: int = field(default_factory=lambda: secrets.randbelow(2**31))
    invite_code: str | None = None
    reached: int = 0  # the furthest page this respondent was sent to: ``?step=`` never skips ahead
    draft: dict[str, list[str]] | None = None  # raw posted fields of ``page`` to show again (PRG)
    draft_errors: bool = False  # the draft failed the page's checks: show its errors
    notice: str | None = None  # why the final submit was refused ("too_few"), shown on ``page``
    preview: bool = False  # a researcher's preview (``research.survey_preview``): stored as test data only

    def __post_init__(self) -> None:
        if self.reached < self.page:  # a page shown has been reached
            object.__setattr__(self, "reached", self.page)

    def with_answers(self, answers: dict[str, Any], page: int) -> SurveyState:
        """Moved to ``page`` with ``answers``; any draft of the page left is dropped."""
        return replace(self, answers=dict(answers), page=page, reached=max(self.reached, page),
                       draft=None, draft_errors=False, notice=None)

    def with_draft(self, draft: dict[str, list[str]], errors: bool) -> SurveyState:
        """Still on ``page``, with what was posted there kept to be shown again after the redirect."""
        return replace(self, draft=dict(draft), draft_errors=errors)

    def at(self, page: int) -> SurveyState:
        """Showing ``page`` (a page already reached) without a draft, for a Back or Forward in history."""
        keep = page == self.page
        return replace(self, page=page, draft=self.draft if keep else None,
                       draft_errors=self.draft_errors if keep else False, notice=self.notice if keep else None)

    def without_draft(self) -> SurveyState:
        return replace(self, draft=None, draft_errors=False, notice=None)

    def with_notice(self, notice: str) -> SurveyState:
        return replace(self, notice=notice)

    def submission_key(self) -> str:
        """The keyed hash of the one-time token: what the database keeps, never the token."""
        secret = str(current_app.config["SECRET_KEY"]).encode()
        return hmac.new(secret + TOKEN_SALT, self.token.encode(), hashlib.sha256).hexdigest()

    def _as_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "s": self.survey_id, "w": self.wave_id, "j": self.jurisdiction_id, "p": self.page,
            "a": self.answers, "t": self.token, "r": self.seed,
        }
        if self.invite_code:
            payload["c"] = self.invite_code
        if self.reached > self.page:
            payload["m"] = self.reached
        if self.draft is not None:
            payload["d"] = self.draft
            payload["e"] = int(self.draft_errors)
        if self.notice:
            payload["n"] = self.notice
        if self.preview:
            payload["v"] = 1
        return payload


def dump_state(state: SurveyState, issued_at: float | None = None) -> str:
    """The encrypted hidden-field value for ``state`` (``issued_at`` defaults to now).

    The expiry is sealed with the rest; the value is ``base64url(nonce || ciphertext || tag)``.
    """
    moment = time.time() if issued_at is None else issued_at
    payload = {**state._as_payload(), "x": int(moment) + STATE_MAX_AGE_SECONDS}
    sealed = seal(json.dumps(payload, separators=(",", ":")).encode(), STATE_SALT)
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def _checked(payload: Any) -> SurveyState:
    """Rebuild a state from a payload that decrypted (so we wrote it)."""
    try:
        state = SurveyState(
            survey_id=int(payload["s"]), wave_id=int(payload["w"]), jurisdiction_id=int(payload["j"]),
            page=int(payload["p"]), answers=dict(payload["a"]), token=str(payload["t"]),
            seed=int(payload["r"]), invite_code=payload.get("c"),
            reached=max(int(payload.get("m", 0)), int(payload["p"])),
            draft=_draft(payload.get("d")), draft_errors=bool(payload.get("e", 0)),
            notice=str(payload["n"]) if payload.get("n") else None,
            preview=bool(payload.get("v", 0)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError("malformed state") from exc
    if state.page < 0:
        raise StateError("malformed state")
    return state


def _draft(value: Any) -> dict[str, list[str]] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError("draft is not a mapping")
    return {str(k): [str(v) for v in values] for k, values in value.items()}


def load_state(value: str | None, survey_id: int) -> SurveyState:
    """The state from a posted hidden field, checked to belong to ``survey_id``."""
    if not value or len(value) > 200_000:
        raise StateError("no state")
    try:
        sealed = base64.urlsafe_b64decode(value.encode("ascii") + b"=" * (-len(value) % 4))
        plain = unseal(sealed, STATE_SALT)
        payload = json.loads(plain)
        expires = int(payload["x"])
    except (UnicodeEncodeError, binascii.Error, ValueError, SealError) as exc:
        raise StateError("bad or altered state") from exc
    except (KeyError, TypeError) as exc:
        raise StateError("malformed state") from exc
    if time.time() > expires:
        raise StateExpired("state expired")
    state = _checked(payload)
    if state.survey_id != survey_id:
        raise StateError("state of another survey")
    return state

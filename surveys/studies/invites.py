"""Invite codes, whole: made for a survey, hashed for storage, checked on the start page.

Only a keyed hash of each code is stored (``hash_invite_code``, keyed with the
survey's salt). A code is *consumed* by ``submission.store_response``, in the
same transaction as the response; ``invite_code_usable`` is the read-only early
check that spares a respondent from answering every page with a mistyped or
already used code.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..extensions import db
from ..models import InviteCode, Survey

if TYPE_CHECKING:  # the respondent pages pass the survey's snapshot, with the same attributes
    from .snapshot import SurveySnapshot

# No 0/O, 1/I/L, 5/S, 8/B: codes are read off paper and typed on phones.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"
CODE_LENGTH = 10  # 26**10 ~ 2**47: guessing one is hopeless at the submission rate limit


def new_invite_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_invite_code(code: str) -> str:
    """Codes are printed in groups (``K7QM-2XWP``); case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_invite_code(survey: Survey | SurveySnapshot, code: str) -> str:
    return hmac.new(
        survey.invite_salt.encode(), normalise_invite_code(code).encode(), hashlib.sha256
    ).hexdigest()


def invite_code_usable(survey: Survey | SurveySnapshot, code: str) -> bool:
    """True when ``code`` is one of ``survey``'s codes and has not been used."""
    if not normalise_invite_code(code):
        return False
    found = db.session.scalar(
        select(InviteCode.id).where(
            InviteCode.survey_id == survey.id,
            InviteCode.code_hash == hash_invite_code(survey, code),
            InviteCode.used.is_(False),
        )
    )
    return found is not None

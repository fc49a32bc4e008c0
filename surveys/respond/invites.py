"""Checking an invite code before the questionnaire starts (read-only).

The code is only *consumed* by ``submission.store_response``, in the same
transaction as the response; this early check just spares a respondent from
answering every page with a mistyped or already used code.
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import InviteCode, Survey
from ..submission import hash_invite_code, normalise_invite_code


def invite_code_usable(survey: Survey, code: str) -> bool:
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

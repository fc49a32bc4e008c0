"""Storing one anonymous response: whole, once, or not at all.

Everything a submission writes (the Response row, its Answers, and the
consumption of an invite code) happens in one transaction
(``database.write_transaction``). The invite code is consumed by a
conditional UPDATE (``... WHERE used = false``), so of two racing submissions
with the same code exactly one wins, on SQLite and PostgreSQL alike, and no
column records which response used which code.

A respondent form's one-time submission token (its keyed hash,
``submission_key``) is inserted into ``submission_token`` first in that same
transaction: a second submission of the same form (a double click) hits the
primary key and stores nothing. That table has no link to the response.
"""
from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from .database import write_transaction
from .extensions import db
from .models import Answer, InviteCode, Jurisdiction, Response, SubmissionToken, Survey, Wave

CORE_SCALES = ("trust", "willingness", "fear", "involvement")


class InvalidInviteCode(ValueError):
    """The code is unknown for this survey, or was already used."""


class DuplicateSubmission(ValueError):
    """This form was already submitted (its one-time submission token is used)."""


def coarsen_date(day: date, granularity: str) -> date:
    """The stored submission date: the day itself, or the Monday of its week."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "day":
        return day
    raise ValueError(f"Unknown date granularity {granularity!r}: use 'day' or 'week'.")


def normalise_invite_code(code: str) -> str:
    """Codes are printed in groups (``K7QM-2XWP``); case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_invite_code(survey: Survey, code: str) -> str:
    return hmac.new(
        survey.invite_salt.encode(), normalise_invite_code(code).encode(), hashlib.sha256
    ).hexdigest()


def answer_rows(response_id: uuid.UUID, instrument: Any, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Answer rows for the given answers (already validated against the instrument)."""
    rows: list[dict[str, Any]] = []
    for question in instrument.questions():
        value = answers.get(question.id)
        if value is None or value == "" or value == []:
            continue
        base = {"response_id": response_id, "item_id": question.id, "code": None, "number": None, "text": None}
        if question.type == "multiple":
            for position, code in enumerate(sorted({int(v) for v in value})):
                rows.append({**base, "position": position, "code": code})
        elif question.type == "number":
            rows.append({**base, "position": 0, "number": float(value)})
        elif question.type == "text":
            rows.append({**base, "position": 0, "text": str(value)})
        else:
            rows.append({**base, "position": 0, "code": int(value)})
    return rows


def response_row(
    instrument: Any,
    survey: Survey,
    wave: Wave,
    jurisdiction: Jurisdiction,
    language: str,
    answers: Mapping[str, Any],
    on: date,
) -> dict[str, Any]:
    """The Response row's values, with scale scores and the immigrant flag derived once."""
    scores = instrument.score(answers)
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "survey_id": survey.id,
        "wave_id": wave.id,
        "jurisdiction_id": jurisdiction.id,
        "language": language,
        "instrument_version": instrument.version,
        "submitted_on": coarsen_date(on, survey.date_granularity),
        "immigrant": instrument.is_immigrant(answers),
        "scores": {k: v for k, v in scores.items() if k not in CORE_SCALES and v is not None},
    }
    for name in CORE_SCALES:
        row[name] = scores.get(name)
    return row


def store_response(
    instrument: Any,
    survey: Survey,
    wave: Wave,
    jurisdiction: Jurisdiction,
    language: str,
    answers: Mapping[str, Any],
    *,
    invite_code: str | None = None,
    on: date | None = None,
    submission_key: str | None = None,
) -> uuid.UUID:
    """Store one response in a single transaction and return its (random) id.

    Raises ``InvalidInviteCode`` (and stores nothing) when the survey uses
    invite codes and ``invite_code`` is missing, unknown or already used.
    Raises ``DuplicateSubmission`` (and stores nothing) when ``submission_key``
    was already used by an earlier submission.
    """
    row = response_row(instrument, survey, wave, jurisdiction, language, answers, on or date.today())
    rows = answer_rows(row["id"], instrument, answers)
    uses_invite_codes = survey.uses_invite_codes
    code_hash = hash_invite_code(survey, invite_code) if uses_invite_codes and invite_code else None
    survey_id = survey.id
    # Everything read from ``survey`` is read above: write_transaction ends the request's read
    # transaction first, which expires loaded rows, and reloading them would cost a query per
    # attribute inside the write lock. The inserts are Core statements on the tables (one
    # executemany for the answers), the cheapest way SQLAlchemy has to send them.
    with write_transaction(db.session) as session:
        if submission_key is not None:
            try:
                session.execute(insert(SubmissionToken.__table__), [{"token_hash": submission_key}])
            except IntegrityError:
                raise DuplicateSubmission("This form has already been submitted.") from None
        if uses_invite_codes:
            if code_hash is None:
                raise InvalidInviteCode("This survey needs an invite code.")
            consumed = session.execute(
                update(InviteCode)
                .where(
                    InviteCode.survey_id == survey_id,
                    InviteCode.code_hash == code_hash,
                    InviteCode.used.is_(False),
                )
                .values(used=True)
            )
            if consumed.rowcount != 1:
                raise InvalidInviteCode("This invite code is not valid or has already been used.")
        session.execute(insert(Response.__table__), [row])
        if rows:
            session.execute(insert(Answer.__table__), rows)
    return row["id"]

"""Storing one anonymous response: whole, once, or not at all, and linked to nothing.

Everything a submission writes (the sealed response in ``response_buffer``, the
consumption of an invite code, see ``studies.invites``, and the form's one-time
token) happens in one transaction (``database.write_transaction``). The invite
code is consumed by a conditional UPDATE (``... WHERE used = false``), so of two
racing submissions with the same code exactly one wins, on SQLite and PostgreSQL
alike, and no column records which response used which code.

A respondent form's one-time submission token (its keyed hash,
``submission_key``) is inserted into ``submission_token`` first in that same
transaction: a second submission of the same form (a double click) hits the
primary key and stores nothing. That table has no link to the response.

The ``response`` and ``answer`` rows are *not* written here: a transaction
that wrote them together with the code and the token would give all three the
same PostgreSQL ``xmin``, and their physical order (``ctid``, SQLite ``rowid``)
would replay submission order. They are written by ``studies.write_out`` in
shuffled batches of at least the survey's minimum cell size, in a transaction
of their own; the buffered copy is AES-GCM sealed (``studies.sealing``) and
has no timestamp.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import CursorResult, Integer, LargeBinary, Table, Uuid, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..extensions import db
from ..instruments import CORE_SCALES
from ..models import InviteCode, Jurisdiction, ResponseBuffer, SubmissionToken, Survey, Wave
from .invites import hash_invite_code
from .quality import Quality, assess
from .sealing import seal

if TYPE_CHECKING:  # the respondent pages pass snapshots (``studies.snapshot``) with the same attributes
    from .snapshot import PlaceSnapshot, SurveySnapshot, WaveSnapshot

BUFFER_PURPOSE = b"civic-trust-survey.response-buffer.v1"


def table_of(model: type) -> Table:
    """The Core table behind a model: plain INSERTs, without the ORM's per-row bookkeeping."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


# The submit transaction's statements, built once per process: executed on the session's Core
# connection they skip the ORM's per-call statement coercion, and their cache keys are memoized
# on these objects, so each execution goes straight to the compiled-statement cache.
_TOKEN = table_of(SubmissionToken)
_CODE = table_of(InviteCode)
_BUFFER = table_of(ResponseBuffer)
INSERT_TOKEN = insert(_TOKEN)
CONSUME_CODE = (
    update(_CODE)
    .where(_CODE.c.survey_id == bindparam("s_id"), _CODE.c.code_hash == bindparam("s_hash"),
           _CODE.c.used.is_(False))
    .values(used=True)
)
_WAVE = table_of(Wave)
INSERT_BUFFERED = insert(_BUFFER)
# The respondent's submit: the buffer row is inserted only while its wave is still open, checked in
# the same transaction (under SQLite's write lock; on PostgreSQL against the latest commit), so a
# page that saw the wave open in a snapshot up to a second old cannot add a response to a closed
# wave (``studies.snapshot``'s staleness bound).
INSERT_BUFFERED_IF_OPEN = insert(_BUFFER).from_select(
    ["id", "survey_id", "sealed"],
    select(bindparam("b_id", type_=Uuid()), bindparam("s_id", type_=Integer()),
           bindparam("b_sealed", type_=LargeBinary()))
    .where(_WAVE.c.id == bindparam("w_id"), _WAVE.c.closed.is_(False)),
).returning(_BUFFER.c.survey_id)  # a row back means inserted (drivers' rowcount of INSERT ... SELECT varies)
COUNT_BUFFERED = select(func.count()).select_from(_BUFFER).where(_BUFFER.c.survey_id == bindparam("s_id"))


class InvalidInviteCode(ValueError):
    """The code is unknown for this survey, or was already used."""


class DuplicateSubmission(ValueError):
    """This form was already submitted (its one-time submission token is used)."""


class WaveClosed(ValueError):
    """The response's wave was closed before the submission could be stored."""


def coarsen_date(day: date, granularity: str) -> date:
    """The stored submission date: the day itself, or the Monday of its week."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "day":
        return day
    raise ValueError(f"Unknown date granularity {granularity!r}: use 'day' or 'week'.")


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
    survey: Survey | SurveySnapshot,
    wave: Wave | WaveSnapshot,
    jurisdiction: Jurisdiction | PlaceSnapshot,
    language: str,
    answers: Mapping[str, Any],
    on: date,
    quality: Quality | None = None,
) -> dict[str, Any]:
    """The Response row's values, with scale scores and the immigrant flag derived once.

    ``quality``: the answers' ``assess`` when the caller already has it (the submit checks it first).
    """
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
    row.update((quality or assess(instrument, answers)).flags())
    return row


def seal_response(row: Mapping[str, Any], answers: list[dict[str, Any]], secret: str | None = None) -> bytes:
    """The buffered form of a response: its row and answer rows as JSON, AES-GCM sealed."""
    plain = {
        "r": {**row, "id": str(row["id"]), "submitted_on": row["submitted_on"].isoformat()},
        "a": [[a["item_id"], a["position"], a["code"], a["number"], a["text"]] for a in answers],
    }
    return seal(json.dumps(plain, separators=(",", ":")).encode(), BUFFER_PURPOSE, secret)


class Buffered(NamedTuple):
    """What a stored submission tells its caller: the id its response will have, and how many
    responses of the survey wait in the buffer (counted in the submit transaction)."""

    response_id: uuid.UUID
    waiting: int


def store_response(*args: Any, **kwargs: Any) -> uuid.UUID:
    """``buffer_response``, returning only the id the response will have once written out."""
    return buffer_response(*args, **kwargs).response_id


def buffer_response(
    instrument: Any,
    survey: Survey | SurveySnapshot,
    wave: Wave | WaveSnapshot,
    jurisdiction: Jurisdiction | PlaceSnapshot,
    language: str,
    answers: Mapping[str, Any],
    *,
    invite_code: str | None = None,
    on: date | None = None,
    submission_key: str | None = None,
    require_open_wave: bool = False,
    quality: Quality | None = None,
) -> Buffered:
    """Buffer one response in a single transaction; the (random) id it will have, and the buffer's size.

    The response is in the database when this returns (sealed, in ``response_buffer``);
    ``write_out.write_out_ready`` later moves it to the ``response``/``answer`` tables.

    Raises ``InvalidInviteCode`` (and stores nothing) when the survey uses
    invite codes and ``invite_code`` is missing, unknown or already used.
    Raises ``DuplicateSubmission`` (and stores nothing) when ``submission_key``
    was already used by an earlier submission. With ``require_open_wave`` (the
    respondent's submit) raises ``WaveClosed`` (and stores nothing) when the wave
    row says closed at the moment of the insert.
    """
    row = response_row(instrument, survey, wave, jurisdiction, language, answers, on or date.today(), quality)
    sealed = seal_response(row, answer_rows(row["id"], instrument, answers))
    uses_invite_codes = survey.uses_invite_codes
    code_hash = hash_invite_code(survey, invite_code) if uses_invite_codes and invite_code else None
    survey_id = survey.id
    # Everything read from ``survey`` is read above. The request's read transaction (the survey
    # snapshot's version check) has only read: the write transaction takes over its connection
    # (``after_reads_only``) instead of committing it, returning the connection to the pool and
    # checking one out again, so a submission is one transaction on one connection. The inserts
    # are Core statements on the tables, the cheapest way SQLAlchemy has to send them.
    with write_transaction(db.session, after_reads_only=True) as session:
        conn = session.connection()
        if submission_key is not None:
            try:
                conn.execute(INSERT_TOKEN, {"token_hash": submission_key})
            except IntegrityError:
                raise DuplicateSubmission("This form has already been submitted.") from None
        if uses_invite_codes:
            if code_hash is None:
                raise InvalidInviteCode("This survey needs an invite code.")
            consumed: CursorResult = conn.execute(CONSUME_CODE, {"s_id": survey_id, "s_hash": code_hash})
            if consumed.rowcount != 1:
                raise InvalidInviteCode("This invite code is not valid or has already been used.")
        if require_open_wave:
            inserted = conn.execute(
                INSERT_BUFFERED_IF_OPEN, {"b_id": uuid.uuid4(), "s_id": survey_id, "b_sealed": sealed, "w_id": wave.id})
            if inserted.first() is None:
                raise WaveClosed("This wave closed before the response could be stored.")
        else:
            conn.execute(INSERT_BUFFERED, {"id": uuid.uuid4(), "survey_id": survey_id, "sealed": sealed})
        # Counted here, inside the transaction that holds the connection (and on SQLite the write
        # lock): the caller decides whether a batch is ready without another round trip.
        waiting = int(conn.execute(COUNT_BUFFERED, {"s_id": survey_id}).scalar() or 0)
    return Buffered(row["id"], waiting)

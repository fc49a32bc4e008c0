"""Moving buffered responses into the ``response`` and ``answer`` tables, in shuffled batches.

Why a second step: see ``studies.submission``. A response reaches the final
tables only here, in a transaction that holds nothing but a batch of
responses (no invite code, no submission token), so on PostgreSQL it shares
its ``xmin`` with the whole batch and with nothing a respondent holds. The
batch's responses are inserted in a random order (``secrets.SystemRandom``), and
their answer rows response by response in that same order, so ``ctid``/``rowid``
order within a batch says nothing about submission order; between batches it says only which batch came
first, and a batch has at least ``min_cell_size`` responses.

When: ``write_out_ready`` runs after every stored submission (in the
submitting request, after its commit) and writes a survey's buffer out once it
holds at least ``min_cell_size`` responses. ``flush_survey`` writes out
whatever is left, even fewer than k, and records that in the audit log; it runs
when a researcher closes a wave (``studies.service.set_wave_closed``) and from
``flask --app app flush-responses`` (an operator's command, e.g. after a wave's
closing date passed). Nothing else flushes a small batch.

Crash safety: the buffer rows are deleted in the same transaction that inserts
their responses, so a flush killed at any point (worker SIGKILL, database
restart) either happened whole or not at all; the rows it read stay in the
buffer for the next flush. Two flushes never take the same rows: on SQLite the
transaction begins IMMEDIATE (one writer at a time), on PostgreSQL the rows are
read ``FOR UPDATE SKIP LOCKED``. After a PostgreSQL flush the buffer table is
vacuumed, so the dead buffer rows (whose ``xmin`` is the submit transaction's,
shared with the invite code) do not wait for autovacuum.
"""
from __future__ import annotations

import json
import logging
import secrets
import uuid
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, text

from ..accounts.audit import record
from ..database import write_transaction
from ..extensions import db
from ..models import Answer, Response, ResponseBuffer, Survey
from .sealing import SealError, unseal
from .submission import BUFFER_PURPOSE, table_of

log = logging.getLogger(__name__)
_random = secrets.SystemRandom()


def unseal_response(sealed: bytes, secret: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The Response row and its Answer rows from a buffered (sealed) response."""
    plain = json.loads(unseal(sealed, BUFFER_PURPOSE, secret))
    row = dict(plain["r"])
    row["id"] = uuid.UUID(row["id"])
    row["submitted_on"] = date.fromisoformat(row["submitted_on"])
    answers = [
        {"response_id": row["id"], "item_id": item, "position": position, "code": code, "number": number,
         "text": text_value}
        for item, position, code, number, text_value in plain["a"]
    ]
    return row, answers


def buffered_count(survey_id: int) -> int:
    """How many responses of the survey wait in the buffer (counted as received, not yet published)."""
    return int(db.session.scalar(
        select(func.count()).select_from(ResponseBuffer).where(ResponseBuffer.survey_id == survey_id)) or 0)


# The write-out's statements, built once per process and run on the session's Core connection
# (as the submit transaction's are, ``studies.submission``): no ORM execute path per batch.
_BUFFER = table_of(ResponseBuffer)
_WAITING = select(_BUFFER.c.id, _BUFFER.c.sealed).where(_BUFFER.c.survey_id == bindparam("s_id"))
_WAITING_UNLOCKED = _WAITING.with_for_update(skip_locked=True)
_INSERT_RESPONSES = insert(table_of(Response))
_INSERT_ANSWERS = insert(table_of(Answer))
_DELETE_MOVED = delete(_BUFFER).where(_BUFFER.c.id.in_(bindparam("ids", expanding=True)))


def _write_out(survey_id: int, minimum: int) -> int:
    """Move the survey's buffered responses if at least ``minimum`` wait; the number moved."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    with write_transaction(db.session) as session:
        conn = session.connection()
        waiting = conn.execute(_WAITING_UNLOCKED if postgres else _WAITING, {"s_id": survey_id}).all()
        if not waiting or len(waiting) < minimum:
            return 0
        opened: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for _buffer_id, sealed in waiting:
            try:
                opened.append(unseal_response(sealed))
            except (SealError, ValueError, KeyError) as exc:
                # Sealed under another SECRET_KEY: leave it for an operator, never drop it silently.
                raise RuntimeError("A buffered response cannot be opened with this SECRET_KEY.") from exc
        # One shuffle of the responses; each one's answers follow in that order (shuffling the
        # answer rows one by one as well drew a system random number per answer, and told nothing more).
        _random.shuffle(opened)
        responses = [row for row, _ in opened]
        answers = [answer for _, rows in opened for answer in rows]
        conn.execute(_INSERT_RESPONSES, responses)
        if answers:
            conn.execute(_INSERT_ANSWERS, answers)
        conn.execute(_DELETE_MOVED, {"ids": [b for b, _ in waiting]})
    if postgres:
        _vacuum_buffer()
    return len(waiting)


def _vacuum_buffer() -> None:
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # TRUNCATE false: truncating the table's empty tail needs an ACCESS EXCLUSIVE lock, which
            # queued every concurrent submit's INSERT behind it (stalls of seconds under load); the
            # dead sealed rows are removed all the same (PostgreSQL 12+).
            conn.execute(text("VACUUM (TRUNCATE false) response_buffer"))
    except Exception:  # noqa: BLE001 - the move committed; autovacuum will clean up what this missed
        log.warning("VACUUM of response_buffer failed; autovacuum will remove the dead rows later.")


def write_out_ready(survey_id: int, min_cell_size: int, waiting: int | None = None) -> int:
    """Write the survey's buffer out if it holds a full batch (at least ``min_cell_size``).

    ``waiting``: the buffer's size as the caller just counted it (``submission.buffer_response``);
    counted here when not given.
    """
    minimum = max(1, int(min_cell_size))
    if (buffered_count(survey_id) if waiting is None else waiting) < minimum:
        db.session.rollback()  # end the read transaction: nothing of it may stay open
        return 0
    return _write_out(survey_id, minimum)


def flush_survey(survey_id: int, *, reason: str) -> int:
    """Write out everything the survey's buffer holds, even fewer than k (closure, operator).

    A batch smaller than the survey's minimum cell size is recorded in the audit log, in a
    transaction of its own (so the audit row does not share the batch's ``xmin``).
    """
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        return 0
    minimum, organisation_id, slug = survey.min_cell_size, survey.organisation_id, survey.slug
    moved = _write_out(survey_id, 1)
    if 0 < moved < minimum:
        record("responses.write_out_small_batch", organisation_id=organisation_id, target=f"survey:{survey_id}",
               parameters={"slug": slug, "responses": moved, "min_cell_size": minimum, "reason": reason})
        db.session.commit()
    return moved


def flush_all(*, reason: str) -> dict[int, int]:
    """``flush_survey`` for every survey with buffered responses: {survey id: responses moved}."""
    survey_ids = list(db.session.scalars(select(ResponseBuffer.survey_id).distinct()))
    db.session.rollback()
    return {survey_id: flush_survey(survey_id, reason=reason) for survey_id in sorted(survey_ids)}

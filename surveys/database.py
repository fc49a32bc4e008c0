"""Engine set-up that makes SQLite safe under several gunicorn workers.

SQLite is the embedded default, so its settings decide whether a laptop
deployment loses writes:

* WAL journal: readers never block the writer, the writer never blocks readers.
* ``busy_timeout``: a writer waits for the lock instead of failing at once.
* ``BEGIN IMMEDIATE`` for write transactions (``write_transaction()``): the write
  lock is taken up front, so a transaction that reads then writes cannot hit the
  un-retryable SQLITE_BUSY that a deferred transaction gets when it upgrades.
* ``foreign_keys=ON``: SQLite ignores foreign keys unless asked.

PostgreSQL needs none of this; the helpers are no-ops there.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

SQLITE_BUSY_TIMEOUT_MS = 30_000
IMMEDIATE_OPTION = "sqlite_begin_immediate"


def configure_engine(engine: Engine) -> None:
    """Install the SQLite pragmas and transaction control on ``engine``."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if connection.get_execution_options().get(IMMEDIATE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction(
    session: Session | scoped_session, *, after_reads_only: bool = False
) -> Iterator[Session | scoped_session]:
    """Run a block in one transaction that commits whole or not at all.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``; elsewhere it is a
    plain transaction. Any exception rolls everything back and propagates.

    ``after_reads_only``: the caller promises that the session's open transaction (if any) has
    only read, through Core statements, nothing the block relies on staying unchanged. Then the
    connection it holds is kept (no COMMIT through the ORM, no pool return and checkout with its
    ``pool_pre_ping`` round trip): on PostgreSQL (READ COMMITTED, every statement sees the latest
    commits) the block simply continues that transaction; on SQLite the read transaction is
    ended and ``BEGIN IMMEDIATE`` taken on the same connection, since a deferred read
    transaction cannot safely become a write one. The final submit uses it (one transaction per
    request instead of two).
    """
    plain = session() if isinstance(session, scoped_session) else session
    if plain.in_transaction():
        if after_reads_only and not (plain.new or plain.dirty or plain.deleted):
            connection = plain.connection()
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("COMMIT")
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield from _committed(session)
            return
        session.commit()
    session.connection(execution_options={IMMEDIATE_OPTION: True})
    yield from _committed(session)


def _committed(session: Session | scoped_session) -> Iterator[Session | scoped_session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise

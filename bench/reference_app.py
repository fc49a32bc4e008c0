"""The reference for bench_submissions.py: a bare Flask app that stores one row per POST.

Not part of the product. It does the least a submission endpoint can do: parse
the same urlencoded form the real survey page receives, INSERT one row of the
same size (the form as JSON) in one transaction on the same database, and
answer 303, under the same gunicorn settings (``gunicorn.conf.py``, 4 workers).
The real app's throughput is reported as a share of this one's.

Run by the benchmark as ``gunicorn -c gunicorn.conf.py reference_app:app`` from
``bench/``, with DATABASE_URL set.
"""
from __future__ import annotations

import json
import os
import uuid

from flask import Flask, redirect, request
from sqlalchemy import Column, MetaData, String, Table, Text, create_engine, event

DDL_TABLE = "bench_reference_submission"

metadata = MetaData()
table = Table(DDL_TABLE, metadata, Column("id", String(36), primary_key=True), Column("body", Text, nullable=False))


def make_engine(url: str):
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        # The same SQLite settings the product uses (surveys/database.py): WAL, a busy wait, BEGIN IMMEDIATE.
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_table(url: str) -> None:
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def create_reference_app(url: str) -> Flask:
    app = Flask(__name__)
    engine = make_engine(url)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/submit")
    def submit():
        body = json.dumps(request.form.to_dict(flat=False))
        with engine.begin() as conn:
            conn.execute(table.insert(), {"id": str(uuid.uuid4()), "body": body})
        return redirect("/thanks", 303)

    return app


app = create_reference_app(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None

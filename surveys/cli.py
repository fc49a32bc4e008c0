"""Flask CLI commands for operators: accounts, instruments, the demo study.

Every command validates its arguments and fails with a one-line message naming
the problem (click's exit code 2 for usage errors, 1 for refused actions),
never a traceback. ``flask db ...`` comes from Flask-Migrate.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy.exc import OperationalError

from .accounts.passwords import WeakPassword
from .accounts.service import AccountError, create_researcher
from .models import Role
from .records_cli import records_import_command
from .studies.instrument_store import InstrumentConflict, InstrumentError, store_instrument

ROLE_CHOICE = click.Choice([r.value for r in Role], case_sensitive=False)


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _ensure_secret_key_file() -> None:
    """Write a random key to ``instance/secret_key`` for the demo, unless one is configured."""
    from .config import SECRET_KEY_FILE

    if current_app.config.get("SECRET_KEY"):
        return
    key_file = Path(current_app.instance_path) / SECRET_KEY_FILE
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(secrets.token_hex(32) + "\n")
    key_file.chmod(0o600)
    current_app.config["SECRET_KEY"] = key_file.read_text().strip()
    click.echo(f"Generated a secret key for this demo in {key_file}")


@click.command("create-researcher")
@with_appcontext
@click.option("--email", required=True, help="Login email of the new researcher.")
@click.option("--role", required=True, type=ROLE_CHOICE, help="admin, analyst or viewer.")
@click.option("--organisation", default="Default organisation", show_default=True, help="Organisation name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Password (at least 12 characters). Prompted for when not given.",
)
def create_researcher_command(email: str, role: str, organisation: str, password: str) -> None:
    """Create a researcher account."""
    try:
        researcher = create_researcher(email, role.lower(), organisation, password)
    except (AccountError, WeakPassword) as exc:
        _fail(str(exc))
    except OperationalError:
        _fail("The database is not ready: run `flask --app app db upgrade` first.")
    click.echo(f"Created {researcher.role} {researcher.email} in {researcher.organisation.name}.")


@click.command("load-instrument")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def load_instrument_command(path: Path) -> None:
    """Validate an instrument YAML file and store it in the database."""
    if not path.exists():
        _fail(f"No such file: {path}")
    try:
        row, created = store_instrument(path)
    except InstrumentError as exc:
        _fail(f"{path} is not a valid instrument:\n{exc}")
    except InstrumentConflict as exc:
        _fail(str(exc))
    except OperationalError:
        _fail("The database is not ready: run `flask --app app db upgrade` first.")
    verb = "Loaded" if created else "Already loaded:"
    click.echo(f"{verb} instrument {row.key} version {row.version} ({row.title}).")


def _served_base() -> str:
    """Where the app will most likely be served: ``SERVER_NAME`` if configured, else the port from
    ``FLASK_RUN_PORT`` or ``PORT`` (what ``flask run`` and most hosts read), else Flask's 5000."""
    server = current_app.config.get("SERVER_NAME")
    if server:
        return f"{current_app.config.get('PREFERRED_URL_SCHEME') or 'http'}://{server}"
    port = os.environ.get("FLASK_RUN_PORT") or os.environ.get("PORT") or "5000"
    return f"http://127.0.0.1:{port if port.isdigit() else '5000'}"


@click.command("demo")
@with_appcontext
@click.option("--responses", default=6000, show_default=True, type=click.IntRange(min=100, max=2_000_000),
              help="Number of synthetic responses.")
@click.option("--seed", default=2017, show_default=True, type=int, help="Random seed of the generator.")
def demo_command(responses: int, seed: int) -> None:
    """Migrate the database and load a synthetic demo study (safe to run twice)."""
    from .demo import load_demo

    _ensure_secret_key_file()
    upgrade()
    result = load_demo(n_responses=responses, seed=seed)
    if result.created:
        click.echo(f"Created the demo study with {result.responses_added} synthetic responses.")
    else:
        click.echo("The demo study already exists; no data added. The demo password was reset.")
    click.echo(f"Survey: {_served_base()}/s/{result.survey.slug}")
    click.echo(f"Email: {result.email}")
    click.echo(f"Password: {result.password}")


@click.command("flush-responses")
@with_appcontext
@click.option("--survey", "slug", default=None, help="Only this survey (its address); default: every survey.")
@click.option("--ready-only", is_flag=True,
              help="Only write out surveys whose buffer holds a full batch (at least the minimum cell size).")
def flush_responses_command(slug: str | None, ready_only: bool) -> None:
    """Write buffered responses out to the response tables (see surveys/studies/write_out.py).

    Without --ready-only, a survey's last batch may be smaller than its minimum cell size:
    use it when a wave has closed (the audit log records every small batch).
    """
    from sqlalchemy.exc import DBAPIError

    from .web.errors import database_unavailable

    try:
        _flush_responses(slug, ready_only)
    except DBAPIError as exc:
        if not database_unavailable(exc):
            raise
        # Each batch moves in one transaction: one cut off by the lost connection stays in the buffer.
        _fail("The database connection was lost during the write-out. Nothing was half-written: a batch "
              "that was moving is still in the buffer. Run the command again once the database is back.")


def _flush_responses(slug: str | None, ready_only: bool) -> None:
    from sqlalchemy import select

    from .extensions import db
    from .models import ResponseBuffer, Survey
    from .studies.write_out import flush_all, flush_survey, write_out_ready

    surveys = list(db.session.scalars(select(Survey).where(Survey.slug == slug))) if slug else None
    if slug and not surveys:
        _fail(f"No survey at the address {slug!r}.")
    if surveys is None:
        ids = set(db.session.scalars(select(ResponseBuffer.survey_id).distinct()))
        surveys = [s for s in db.session.scalars(select(Survey)) if s.id in ids]
    targets = [(s.id, s.slug, s.min_cell_size) for s in surveys]
    db.session.rollback()
    if not ready_only and not slug:
        moved_by_id = flush_all(reason="operator command")
        moved = {survey_slug: moved_by_id.get(survey_id, 0) for survey_id, survey_slug, _ in targets}
    elif ready_only:
        moved = {survey_slug: write_out_ready(survey_id, k) for survey_id, survey_slug, k in targets}
    else:
        moved = {name: flush_survey(survey_id, reason="operator command") for survey_id, name, _ in targets}
    for survey_slug, count in sorted(moved.items()):
        click.echo(f"{survey_slug}: {count} responses written out")
    if not moved:
        click.echo("No buffered responses.")


@click.command("grant-microdata")
@with_appcontext
@click.option("--admin", "admin_email", required=True, help="Email of the admin making the grant.")
@click.option("--analyst", "analyst_email", required=True, help="Email of the analyst who may download.")
@click.option("--survey", "slug", required=True, help="Survey slug.")
@click.option("--purpose", required=True, help="Why the exact day and free text are needed.")
@click.option("--days", type=click.IntRange(1, 366), default=90, show_default=True, help="Days until it expires.")
def grant_microdata_command(admin_email: str, analyst_email: str, slug: str, purpose: str, days: int) -> None:
    """Let a named analyst download restricted microdata (exact day, free text) of one survey."""
    from datetime import timedelta

    from sqlalchemy import select

    from .accounts.service import find_researcher
    from .extensions import db
    from .models import Survey, utcnow
    from .publication.grants import GrantError, grant_microdata

    admin, analyst = find_researcher(admin_email), find_researcher(analyst_email)
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if admin is None or analyst is None or survey is None:
        raise click.UsageError(f"no such {'admin' if admin is None else 'analyst' if analyst is None else 'survey'}")
    try:
        grant = grant_microdata(admin, survey, analyst, purpose, utcnow() + timedelta(days=days))
    except GrantError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Grant {grant.id}: {analyst.email} may download restricted microdata of {slug} "
               f"until {grant.expires_at:%Y-%m-%d}.")


def register_commands(app: Flask) -> None:
    for command in (create_researcher_command, load_instrument_command, demo_command, records_import_command,
                    flush_responses_command, grant_microdata_command):
        app.cli.add_command(command)

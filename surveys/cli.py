"""Flask CLI commands for operators: accounts, instruments, the demo study.

Every command validates its arguments and fails with a one-line message naming
the problem (click's exit code 2 for usage errors, 1 for refused actions),
never a traceback. ``flask db ...`` comes from Flask-Migrate.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy.exc import OperationalError

from .accounts import AccountError, create_researcher
from .instrument_store import InstrumentConflict, InstrumentError, store_instrument
from .models import Role
from .passwords import WeakPassword

ROLE_CHOICE = click.Choice([r.value for r in Role], case_sensitive=False)


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _ensure_secret_key_file() -> None:
    """Write a random key to ``instance/secret_key`` for the demo, unless one is configured."""
    from . import SECRET_KEY_FILE

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
    click.echo(f"Survey: http://127.0.0.1:5000/s/{result.survey.slug}")
    click.echo(f"Email: {result.email}")
    click.echo(f"Password: {result.password}")


def register_commands(app: Flask) -> None:
    for command in (create_researcher_command, load_instrument_command, demo_command):
        app.cli.add_command(command)

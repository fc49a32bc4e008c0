"""``flask records-import``: the browser's police-records import, from the command line.

Same service as the web pages (``surveys.studies.records``): the file is
streamed, only counts are stored, a re-import is refused. Every problem is
one line on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from analysis.errors import AnalysisError

from .extensions import db
from .models import Survey
from .studies.records import PERIODS, import_for_survey


class RecordsCliError(click.ClickException):
    """A one-line refusal with the usage-error exit status."""

    exit_code = 2


@click.command("records-import")
@with_appcontext
@click.option("--survey", "slug", required=True, help="Slug of the survey whose places the districts map to.")
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The city's CSV of incidents or calls for service.")
@click.option("--mapping", "mapping_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON mapping of columns and values (docs/records.md).")
@click.option("--period", type=click.Choice(list(PERIODS)), default="month", show_default=True,
              help="Period the counts are kept by.")
def records_import_command(slug: str, path: Path, mapping_path: Path, period: str) -> None:
    """Import a police-records CSV for a survey as counts (no incident row is stored)."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        raise RecordsCliError(f"no survey with slug {slug!r}")
    for file in (path, mapping_path):
        if not file.is_file():
            raise RecordsCliError(f"no such file: {file}")
    try:
        mapping = json.loads(mapping_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordsCliError(f"{mapping_path} is not JSON: {exc}") from None
    if not isinstance(mapping, dict):
        raise RecordsCliError(f"{mapping_path} must hold a JSON object")
    mapping.pop("period", None)
    try:
        done = import_for_survey(survey, path, mapping, period=period, filename=path.name, actor=None)
    except (AnalysisError, ValueError) as exc:
        db.session.rollback()
        raise RecordsCliError(" ".join(str(exc).split())) from None
    click.echo(f"Imported {path.name} as import {done.row.id}: {done.summary}")

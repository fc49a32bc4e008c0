"""Operator commands: good arguments work, bad ones fail with a message naming the problem."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import AuditLog, Researcher

from .factories import STRONG_PASSWORD


@pytest.mark.parametrize("command", ["create-researcher", "load-instrument", "demo", "db", "grant-microdata"])
def test_every_command_has_help(runner, command):
    result = runner.invoke(args=[command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_create_researcher(runner, app):
    result = runner.invoke(args=[
        "create-researcher", "--email", "Ana@Example.org", "--role", "analyst",
        "--organisation", "City Office", "--password", STRONG_PASSWORD,
    ])
    assert result.exit_code == 0, result.output
    assert "Created analyst ana@example.org in City Office" in result.output
    with app.app_context():
        researcher = db.session.scalar(select(Researcher))
        assert researcher.email == "ana@example.org" and researcher.role == "analyst"
        assert researcher.organisation.name == "City Office"
        assert researcher.check_password(STRONG_PASSWORD)
        audit = db.session.scalar(select(AuditLog))
        assert audit.action == "account.create" and STRONG_PASSWORD not in str(audit.parameters)


def test_create_researcher_prompts_for_password(runner, app):
    result = runner.invoke(
        args=["create-researcher", "--email", "p@example.org", "--role", "viewer"],
        input=f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Researcher)).check_password(STRONG_PASSWORD)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "a@example.org", "--role", "owner", "--password", STRONG_PASSWORD], "Invalid value for '--role'"),
        (["--email", "not-an-email", "--role", "admin", "--password", STRONG_PASSWORD], "is not an email address"),
        (["--email", "a@example.org", "--role", "admin", "--password", "short"], "at least 12 characters"),
        (["--email", "a@example.org", "--role", "admin", "--password", "password1234"], "commonly used"),
        (["--role", "admin", "--password", STRONG_PASSWORD], "Missing option '--email'"),
    ],
)
def test_create_researcher_bad_arguments(runner, app, args, message):
    result = runner.invoke(args=["create-researcher", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Researcher.id))) == 0


def test_create_researcher_refuses_duplicate(runner, app):
    args = ["create-researcher", "--email", "dup@example.org", "--role", "admin", "--password", STRONG_PASSWORD]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_load_instrument_missing_file(runner):
    result = runner.invoke(args=["load-instrument", "/nonexistent/instrument.yaml"])
    assert result.exit_code == 1
    assert "No such file: /nonexistent/instrument.yaml" in result.output


def test_demo_rejects_bad_arguments(runner):
    result = runner.invoke(args=["demo", "--responses", "5"])
    assert result.exit_code == 2
    assert "--responses" in result.output
    result = runner.invoke(args=["demo", "--seed", "abc"])
    assert result.exit_code == 2
    assert "'abc' is not a valid integer" in result.output


def test_grant_microdata(runner, app):
    from tests.factories import make_researcher, make_survey

    with app.app_context():
        admin = make_researcher(role="admin")
        analyst = make_researcher(role="analyst", organisation=admin.organisation)
        viewer = make_researcher(role="viewer", organisation=admin.organisation)
        survey = make_survey(organisation=admin.organisation)
        db.session.commit()
        emails, slug = (admin.email, analyst.email, viewer.email), survey.slug
    base = ["grant-microdata", "--admin", emails[0], "--survey", slug, "--purpose", "Replicate the 2026 report"]
    result = runner.invoke(args=[*base, "--analyst", emails[1], "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "may download restricted microdata" in result.output
    refused = runner.invoke(args=[*base, "--analyst", emails[2]])
    assert refused.exit_code == 2 and "analyst or admin" in refused.output
    unknown = runner.invoke(args=[*base, "--analyst", "nobody@example.org"])
    assert unknown.exit_code == 2 and "no such analyst" in unknown.output
    with app.app_context():
        audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "microdata.grant"))
        assert audit.parameters["purpose"] == "Replicate the 2026 report"

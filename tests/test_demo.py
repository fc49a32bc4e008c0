"""The demo command: a full synthetic study, idempotent, printing the survey link and a login."""
from __future__ import annotations

import re

import pandas as pd
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import Answer, Instrument, Jurisdiction, PolicyEvent, Researcher, Response, Survey, Wave


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Survey, Wave, Jurisdiction, PolicyEvent, Response, Answer, Researcher, Instrument)
    }


def test_demo_creates_a_full_study_and_prints_login(runner, app):
    result = runner.invoke(args=["demo", "--responses", "1200", "--seed", "7"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert re.fullmatch(r"Survey: http://127\.0\.0\.1:5000/s/[a-z0-9-]+", lines[-3])
    assert lines[-2] == "Email: demo@example.org"
    password = lines[-1].removeprefix("Password: ")
    with app.app_context():
        counts = _counts()
        assert counts["Jurisdiction"] >= 6 and counts["Wave"] >= 8
        assert 1000 <= counts["Response"] <= 1400
        assert counts["Answer"] > 20 * counts["Response"]
        event_dates = set(db.session.scalars(select(PolicyEvent.event_date)))
        assert len(event_dates) >= 3  # staggered adoption
        researcher = db.session.scalar(select(Researcher))
        assert researcher.check_password(password)
        scored = db.session.scalar(select(func.count()).where(Response.trust.is_not(None)))
        assert scored > 0.95 * counts["Response"]
        flagged = db.session.scalar(select(func.count()).where(Response.immigrant.is_(True)))
        assert 0.2 < flagged / counts["Response"] < 0.5
        # The open (last) wave is left for real respondents.
        survey = db.session.scalar(select(Survey))
        assert survey.wave_open_on(pd.Timestamp.today().date()) is survey.waves[-1]


def test_demo_twice_adds_nothing_and_resets_password(runner, app):
    first = runner.invoke(args=["demo", "--responses", "300"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        before = _counts()
    second = runner.invoke(args=["demo", "--responses", "300"])
    assert second.exit_code == 0, second.output
    assert "already exists" in second.output
    with app.app_context():
        assert _counts() == before
        new_password = second.output.strip().splitlines()[-1].removeprefix("Password: ")
        old_password = first.output.strip().splitlines()[-1].removeprefix("Password: ")
        researcher = db.session.scalar(select(Researcher))
        assert new_password != old_password
        assert researcher.check_password(new_password) and not researcher.check_password(old_password)


def test_demo_data_carries_the_true_effect(runner, app):
    """Immigrant respondents' stored trust falls after events, relative to comparison places."""
    assert runner.invoke(args=["demo", "--responses", "6000", "--seed", "11"]).exit_code == 0
    with app.app_context():
        rows = db.session.execute(
            select(Response.trust, Response.immigrant, Wave.number, Jurisdiction.code, PolicyEvent.event_date,
                   Wave.opens_on)
            .join(Wave, Response.wave_id == Wave.id)
            .join(Jurisdiction, Response.jurisdiction_id == Jurisdiction.id)
            .outerjoin(PolicyEvent, PolicyEvent.jurisdiction_id == Jurisdiction.id)
        ).all()
    frame = pd.DataFrame(rows, columns=["trust", "immigrant", "wave", "code", "event", "opens"])
    frame = frame[frame.immigrant.notna()]
    frame["treated"] = frame.event.notna()
    frame["post"] = frame.treated & (frame.opens > frame.event)
    means = frame.groupby(["immigrant", "treated", "post"]).trust.mean()
    control = frame[~frame.treated].groupby("immigrant").trust.mean()
    did_immigrant = (means[(True, True, True)] - means[(True, True, False)])
    did_other = (means[(False, True, True)] - means[(False, True, False)])
    # True effects: -0.40 (immigrant) and -0.05 (others), on the 1-5 item metric.
    assert did_immigrant < -0.2
    assert did_immigrant < did_other - 0.15
    assert control.notna().all()


def test_load_instrument_good_file_twice(runner, app):
    result = runner.invoke(args=["load-instrument", str(DEFAULT_INSTRUMENT_PATH)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Loaded instrument civic-trust-core version")
    again = runner.invoke(args=["load-instrument", str(DEFAULT_INSTRUMENT_PATH)])
    assert again.exit_code == 0 and again.output.startswith("Already loaded")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Instrument)) == 1


def test_load_instrument_reports_every_problem_with_line(runner, app, tmp_path):
    text = DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("id: report_fraud_victim", "id: report_burglary_victim", 1), encoding="utf-8")
    result = runner.invoke(args=["load-instrument", str(broken)])
    assert result.exit_code == 1
    assert "is not a valid instrument" in result.output
    assert re.search(r"line \d+", result.output)
    assert "report_burglary_victim" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Instrument)) == 0


def test_load_instrument_refuses_changed_content_under_same_version(runner, app, tmp_path):
    assert runner.invoke(args=["load-instrument", str(DEFAULT_INSTRUMENT_PATH)]).exit_code == 0
    changed = tmp_path / "changed.yaml"
    changed.write_text(DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    result = runner.invoke(args=["load-instrument", str(changed)])
    assert result.exit_code == 1
    assert "new version number" in result.output


def test_demo_link_uses_the_port_that_will_be_served(runner, app, monkeypatch):
    """``flask run --port 8080`` (FLASK_RUN_PORT) or a host's PORT: the printed link says that port."""
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    monkeypatch.setenv("PORT", "8123")
    result = runner.invoke(args=["demo", "--responses", "300"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^Survey: http://127\.0\.0\.1:8123/s/[a-z0-9-]+$", result.output, re.M)
    monkeypatch.setenv("FLASK_RUN_PORT", "9001")
    result = runner.invoke(args=["demo", "--responses", "300"])
    assert re.search(r"^Survey: http://127\.0\.0\.1:9001/s/", result.output, re.M)

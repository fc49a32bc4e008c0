"""``flask records-import``: the same import as the browser; every problem one line, exit 2."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from analysis.incidents import mapping_for, write_incidents
from analysis.simulate import simulate_records
from surveys.extensions import db
from surveys.models import RecordCount, RecordImport
from tests.factories import make_survey

PLACES = ("J01", "J02")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, int]:
    counts = simulate_records(n_places=2, places=PLACES, n_periods=4, first_treated=(0, 3), seed=5)
    out = io.BytesIO()
    expect = write_incidents(counts[["place", "period", "group", "category", "count"]], out, seed=2, messy=True)
    data = tmp_path / "incidents.csv"
    data.write_bytes(out.getvalue())
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(mapping_for(PLACES)))
    return data, mapping, expect["counted"]


def test_import_then_duplicate(runner, app, files):
    data, mapping, counted = files
    with app.app_context():
        slug = make_survey().slug
        db.session.commit()
    args = ["records-import", "--survey", slug, "--file", str(data), "--mapping", str(mapping)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert f"{counted:,} of" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.sum(RecordCount.count))) == counted
    again = runner.invoke(args=args)
    assert again.exit_code == 2
    assert "imported for this survey before" in again.output and len(again.output.strip().splitlines()) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecordImport)) == 1


@pytest.mark.parametrize("change, message", [
    ({"survey": "no-such-survey"}, "no survey"),
    ({"file": "missing.csv"}, "no such file"),
    ({"mapping_text": "{not json"}, "is not JSON"),
    ({"mapping_text": "[]"}, "JSON object"),
    ({"mapping_text": json.dumps({"date": "Date Occurred", "category": "Offense", "district": "District",
                                  "districts": {"District 1": "ZZZ"}, "categories": {"AGG ASSAULT": "assault"}})},
     "places the survey does not have"),
    ({"mapping_text": json.dumps({"date": "When", "category": "Offense", "district": "District",
                                  "districts": {"District 1": "J01"}, "categories": {"AGG ASSAULT": "assault"}})},
     "When"),
])
def test_bad_input_is_one_line_exit_2(runner, app, files, tmp_path, change, message):
    data, mapping, _ = files
    with app.app_context():
        slug = make_survey().slug
        db.session.commit()
    if "mapping_text" in change:
        mapping = tmp_path / "bad.json"
        mapping.write_text(change["mapping_text"])
    args = ["records-import", "--survey", change.get("survey", slug), "--file",
            str(tmp_path / change["file"]) if "file" in change else str(data), "--mapping", str(mapping)]
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_counts_by_survey_wave(runner, app, tmp_path):
    with app.app_context():
        survey = make_survey()  # two waves of 90 days, the last open today
        slug = survey.slug
        first, second = survey.waves[0].opens_on, survey.waves[1].opens_on
        db.session.commit()
    data = tmp_path / "few.csv"
    data.write_text("Date,Offense,District\n"
                    f"{first.isoformat()},AGG ASSAULT,North\n"
                    f"{first.strftime('%m/%d/%Y')},AGG ASSAULT,North\n"
                    f"{second.isoformat()},AUTO THEFT,South\n"
                    "1900-01-01,AGG ASSAULT,North\n")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"date": "Date", "category": "Offense", "district": "District",
                                   "districts": {"North": "J01", "South": "J02"},
                                   "categories": {"AGG ASSAULT": "assault", "AUTO THEFT": "motor_vehicle_theft"}}))
    result = runner.invoke(args=["records-import", "--survey", slug, "--file", str(data), "--mapping", str(mapping),
                                 "--period", "wave"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        cells = {(c.place, c.period, c.category): c.count for c in db.session.scalars(select(RecordCount))
                 if c.count}
        row = db.session.scalars(select(RecordImport)).one()
    assert cells == {("J01", "wave-01", "assault"): 2, ("J02", "wave-02", "motor_vehicle_theft"): 1}
    assert row.period == "wave" and row.tally["date_out_of_range"] == 1

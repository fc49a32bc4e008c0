"""Data-quality flags in aggregate on the dashboard (small cells suppressed), in the row-level export,
and as a filter of the analyses (``analysis.load(exclude_flagged=True)``, ``--exclude-flagged``)."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from sqlalchemy import update

from analysis.errors import UnknownColumn
from analysis.load import load
from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import Response
from surveys.publication.exports import response_frame
from surveys.publication.quality import quality_table
from surveys.studies.instrument_store import store_instrument
from tests.factories import make_researcher, make_survey
from tests.research.dashboard.data import add_responses, login


def _flag(ids, **flags) -> None:
    db.session.execute(update(Response).where(Response.id.in_(ids)).values(**flags))


@pytest.fixture
def flagged(app_ctx):
    """Wave 1 closed: 30 unflagged, 12 straight-lined, 4 with item non-response (small); wave 2 open."""
    researcher = make_researcher(role="viewer")
    instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
    survey = make_survey(organisation=researcher.organisation, instrument=instrument, n_waves=2,
                         jurisdictions=("Alpha",))
    add_responses(survey, 1, "J01", 30)
    _flag(add_responses(survey, 1, "J01", 12), flag_straightlining=True)
    _flag(add_responses(survey, 1, "J01", 4), flag_nonresponse=True)
    add_responses(survey, 2, "J01", 20)  # the open wave: not shown on the dashboard
    _flag(add_responses(survey, 2, "J01", 20), flag_nonresponse=True)
    survey.waves[0].closed = True
    db.session.commit()
    return survey, researcher


def test_counts_per_closed_wave_with_small_cells_suppressed(flagged):
    survey, _ = flagged
    rows, k = quality_table(survey)
    assert k == 10 and [r.wave for r in rows] == ["Wave 1"]
    [row] = rows
    # none, straight-lining only, non-response only (4 < k: hidden), both (0: published), total
    assert row.total == 46
    assert row.counts[2] is None and row.counts[3] == 0
    # The hidden 4 cannot be recovered from the total: a second cell is hidden with it.
    assert sum(c is None for c in row.counts) == 2 and row.counts[1] is None and row.counts[0] == 30


def test_the_dashboard_shows_the_table(client, flagged):
    survey, researcher = flagged
    login(client, researcher)
    html = client.get(f"/research/surveys/{survey.slug}/dashboard").get_data(as_text=True)
    section = html[html.index('id="h-quality"'):html.index('id="h-scores"')]
    assert "Straight-lining only" in section and "Item non-response only" in section
    cells = re.findall(r"<td>(.*?)</td>", section)
    assert cells[0] == "30" and cells.count('<span class="suppressed">suppressed</span>') == 2 and cells[-1] == "46"


def test_export_carries_the_flags_and_analyses_can_leave_them_out(flagged, tmp_path):
    survey, _ = flagged
    frame = response_frame(survey)
    assert int(frame["flag_straightlining"].sum()) == 12 and int(frame["flag_nonresponse"].sum()) == 24
    kept = load(frame, exclude_flagged=True)
    assert len(kept) == 50 and len(load(frame)) == 86
    with pytest.raises(UnknownColumn):
        load(pd.DataFrame({"y": [1.0]}), exclude_flagged=True)
    data = tmp_path / "responses.csv"
    frame[["wave", "trust", "flag_straightlining", "flag_nonresponse"]].to_csv(data, index=False)
    runs = {}
    for extra in ([], ["--exclude-flagged"]):
        done = subprocess.run(
            [sys.executable, "-m", "analysis", "prepost", "--data", str(data), "--outcome", "trust",
             "--time", "wave", "--event", "2", "--se", "hc1", "--format", "json", *extra],
            capture_output=True, text=True, check=False)
        runs[bool(extra)] = done
    assert runs[False].returncode == 0, runs[False].stderr
    assert runs[True].returncode == 0, runs[True].stderr
    every = json.load(io.StringIO(runs[False].stdout))
    unflagged = json.load(io.StringIO(runs[True].stdout))
    assert every["n_obs"] == 86 and unflagged["n_obs"] == 50

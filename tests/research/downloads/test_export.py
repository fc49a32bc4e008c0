"""Row-level and aggregate exports: formats read back equal to the database, safe CSV, roles, audit rows."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyreadstat
import pytest
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import AuditLog, MicrodataGrant, Response
from surveys.publication.grants import grant_microdata
from surveys.studies.instrument_store import parsed_instrument
from surveys.studies.submission import store_response
from surveys.studies.write_out import flush_all
from tests.factories import make_researcher, make_survey
from tests.research.dashboard.data import default_instrument, login, post_form

ANSWERS = [
    {"trust_overall": 7, "eff_prevent_violence": 4, "pf_respect": 5, "born_abroad": 1, "alt_channel": [1, 3],
     "comments": "=HYPERLINK(\"http://evil\")", "age_band": 3},
    {"trust_overall": 2, "eff_prevent_violence": 2, "pf_respect": 1, "born_abroad": 3, "comments": "+1 more"},
    {"trust_overall": 9, "born_abroad": 2, "comments": "@SUM(A1)", "alt_channel": [2]},
    {"eff_prevent_violence": 3, "comments": "-2 plain\tand tab"},
]


@pytest.fixture
def exported(app_ctx, tmp_path):
    """A survey with four real submissions (through store_response) and an analyst and a viewer."""
    analyst = make_researcher(role="analyst")
    viewer = make_researcher(role="viewer", organisation=analyst.organisation)
    row = default_instrument()
    survey = make_survey(organisation=analyst.organisation, instrument=row, uses_invite_codes=False)
    instrument = parsed_instrument(row)
    db.session.commit()
    for i, answers in enumerate(ANSWERS):
        problems = instrument.validate_answers(answers, "en")
        assert not problems, problems
        store_response(instrument, survey, survey.waves[i % 2], survey.jurisdictions[i % 2],
                       "es" if i == 1 else "en", answers, on=survey.waves[i % 2].opens_on)
    flush_all(reason="test")  # a closed wave's responses, written out of the buffer
    # These tests compare the stored rows exactly: the restricted tier, under an admin's grant.
    admin = make_researcher(role="admin", organisation=analyst.organisation)
    grant_microdata(admin, survey, analyst, "Checking the export against the database",
                    datetime.now(UTC) + timedelta(days=30))
    return survey, analyst, viewer


def download(client, survey, kind: str, fmt: str, tier: str = "restricted"):
    fields = {"format": fmt, "tier": tier} if kind == "responses" else {"format": fmt}
    return post_form(client, f"/research/surveys/{survey.slug}/export/{kind}",
                     f"/research/surveys/{survey.slug}/export", fields)


def database_rows(survey) -> pd.DataFrame:
    rows = db.session.execute(select(Response.id, Response.trust, Response.submitted_on, Response.language)
                              .where(Response.survey_id == survey.id)).all()
    frame = pd.DataFrame(rows, columns=["response_id", "trust", "submitted_on", "language"])
    frame["response_id"] = frame["response_id"].astype(str)
    return frame.sort_values("response_id").reset_index(drop=True)


def test_csv_matches_database_and_neutralises_formulas(client, exported) -> None:
    survey, analyst, _ = exported
    login(client, analyst)
    response = download(client, survey, "responses", "csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    expected = database_rows(survey)
    assert [r["response_id"] for r in rows] == list(expected["response_id"])  # ordered by the random id
    assert [r["submitted_on"] for r in rows] == [d.isoformat() for d in expected["submitted_on"]]
    comments = {r["comments"] for r in rows}
    assert comments == {"'=HYPERLINK(\"http://evil\")", "'+1 more", "'@SUM(A1)", "'-2 plain\tand tab"}
    by_id = {r["response_id"]: r for r in rows}
    first = next(r for r in by_id.values() if r["comments"].startswith("'=HYP"))
    assert (first["alt_channel_1"], first["alt_channel_2"], first["alt_channel_3"]) == ("1.0", "0.0", "1.0")
    assert first["immigrant"] == "1.0" and first["trust_overall"] == "7.0"
    # Nothing finer than a date, nothing about invite codes.
    header = set(rows[0])
    assert not {h for h in header if "invite" in h or "code_hash" in h or h.endswith("_at")}


@pytest.mark.parametrize("fmt", ["dta", "sav", "parquet"])
def test_binary_formats_read_back_equal_to_the_database(client, exported, tmp_path, fmt: str) -> None:
    survey, analyst, _ = exported
    login(client, analyst)
    response = download(client, survey, "responses", fmt)
    assert response.status_code == 200
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(response.data)
    if fmt == "parquet":
        frame, labels = pd.read_parquet(path), None
    else:
        reader = pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav
        frame, meta = reader(str(path))
        labels = meta.variable_value_labels
    expected = database_rows(survey)
    assert list(frame["response_id"]) == list(expected["response_id"])
    pd.testing.assert_series_equal(frame["trust"].astype(float), expected["trust"].astype(float),
                                   check_names=False, check_index=False)
    assert list(frame["language"]) == list(expected["language"])
    assert [pd.Timestamp(d).date() for d in frame["submitted_on"]] == list(expected["submitted_on"])
    assert sorted(frame["trust_overall"].dropna().astype(int)) == [2, 7, 9]
    if labels is not None:
        assert labels["born_abroad"][1.0 if fmt == "sav" else 1]
        assert labels["immigrant"] == {0: "no", 1: "yes"} or labels["immigrant"] == {0.0: "no", 1.0: "yes"}


def test_codebook_csv_and_json(client, exported) -> None:
    survey, analyst, _ = exported
    login(client, analyst)
    book = json.loads(download(client, survey, "codebook", "json").data)
    assert book["instrument"]["version"] == "1.1.0" and len(book["instrument"]["sha256"]) == 64
    assert [lang["code"] for lang in book["languages"]] == ["en", "es", "ar"]
    born = next(v for v in book["variables"] if v["name"] == "born_abroad")
    assert set(born["text"]) == {"en", "es", "ar"} and born["options"][0]["code"] == 1
    assert book["scales"]["trust"]["items"]
    rows = list(csv.DictReader(io.StringIO(download(client, survey, "codebook", "csv").get_data(as_text=True))))
    names = [r["variable"] for r in rows]
    exported_columns = next(csv.reader(io.StringIO(download(client, survey, "responses", "csv")
                                                   .get_data(as_text=True))))
    assert set(exported_columns) <= set(names)  # every exported column is documented
    assert rows[names.index("born_abroad")]["options_es"].startswith("1=")


def test_viewer_may_not_export_rows_but_may_export_aggregates(client, exported) -> None:
    survey, _, viewer = exported
    login(client, viewer)
    assert download(client, survey, "responses", "csv").status_code == 403
    assert download(client, survey, "codebook", "csv").status_code == 403
    response = post_form(client, f"/research/surveys/{survey.slug}/export/aggregates",
                         f"/research/surveys/{survey.slug}/export", {"by": "wave,jurisdiction", "format": "csv"})
    assert response.status_code == 200
    assert "Responses (one row per respondent)" not in client.get(
        f"/research/surveys/{survey.slug}/export").get_data(as_text=True)


def test_each_export_writes_an_audit_row_without_data(client, exported) -> None:
    survey, analyst, _ = exported
    login(client, analyst)
    download(client, survey, "responses", "sav")
    download(client, survey, "codebook", "json")
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action.like("export.%")).order_by(AuditLog.id)).all()
    assert [(r.action, r.researcher_id, r.target) for r in rows] == [
        ("export.responses", analyst.id, f"survey:{survey.id}"), ("export.codebook", analyst.id, f"survey:{survey.id}")]
    grant = db.session.scalar(select(MicrodataGrant).where(MicrodataGrant.survey_id == survey.id))
    assert rows[0].parameters == {"format": "sav", "rows": 4, "tier": "restricted", "grant": grant.id}
    assert "HYPERLINK" not in json.dumps([r.parameters for r in rows])


def test_export_requests_are_validated(client, exported) -> None:
    survey, analyst, _ = exported
    login(client, analyst)
    assert download(client, survey, "responses", "xlsx").status_code == 400
    no_token = client.post(f"/research/surveys/{survey.slug}/export/responses", data={"format": "csv"})
    assert no_token.status_code == 400
    refused = select(func.count()).select_from(AuditLog).where(AuditLog.action.like("export.%"))
    assert db.session.scalar(refused) == 0  # a refused export leaves no audit row and no file


# --- the two tiers of microdata ------------------------------------------------------------------


def test_safe_export_is_the_default_without_days_text_or_small_combinations(client, exported) -> None:
    survey, analyst, _ = exported
    login(client, analyst)
    response = download(client, survey, "responses", "csv", tier="safe")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    assert "wave" in header and "submitted_on" not in header and "comments" not in header
    assert "HYPERLINK" not in text
    # Four respondents cannot reach k = 5 on any combination: none is released.
    assert rows == [] or len(rows) >= 5
    page = client.get(f"/research/surveys/{survey.slug}/export").get_data(as_text=True)
    assert "Achieved k" in page and "You hold grant" in page
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "export.responses")).all()[-1]
    assert audit.parameters["tier"] == "safe" and audit.parameters["k"] == 5


def test_restricted_export_needs_an_unexpired_grant(client, app_ctx) -> None:
    analyst = make_researcher(role="analyst")
    survey = make_survey(organisation=analyst.organisation, instrument=default_instrument())
    db.session.commit()
    login(client, analyst)
    assert download(client, survey, "responses", "csv").status_code == 403
    assert download(client, survey, "responses", "csv", tier="safe").status_code == 200


def test_safe_export_of_the_demo_reaches_the_surveys_k(app_ctx) -> None:
    from surveys.demo import load_demo
    from surveys.publication.safe_microdata import class_sizes, safe_microdata

    demo = load_demo(n_responses=1500)
    safe = safe_microdata(demo.survey)
    assert safe.k == 5 and len(safe.frame) > 1000
    assert safe.achieved_k is not None and safe.achieved_k >= safe.k
    assert int(class_sizes(safe.frame, list(safe.quasi_identifiers)).min()) >= 5
    assert {"age_band", "gender", "born_abroad", "wave", "jurisdiction"} <= set(safe.quasi_identifiers)
    assert "submitted_on" not in safe.frame.columns and "comments" not in safe.frame.columns
    assert safe.unique_share_after == 0.0 and safe.unique_share_before > 0.3


@pytest.mark.parametrize("change", ["expired", "revoked"])
def test_restricted_export_stops_when_the_grant_expires_or_is_revoked(client, exported, change: str) -> None:
    survey, analyst, _viewer = exported
    login(client, analyst)
    assert download(client, survey, "responses", "csv").status_code == 200  # the grant is active
    grant = db.session.scalars(select(MicrodataGrant).where(MicrodataGrant.survey_id == survey.id)).one()
    if change == "expired":  # as the clock passing the expiry would leave it
        grant.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    else:
        grant.revoked = True
    db.session.commit()
    refused = download(client, survey, "responses", "csv")
    assert refused.status_code == 403 and b"submitted_on" not in refused.data
    assert download(client, survey, "responses", "csv", tier="safe").status_code == 200

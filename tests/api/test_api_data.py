"""The data API: keys of each answer, suppression in API answers, roles and organisations, audit rows."""
from __future__ import annotations

import io

import pandas as pd
import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditLog
from tests.api.api_data import API_SLUG, make_api_study

BASE = f"/api/v1/surveys/{API_SLUG}"


@pytest.fixture
def study(app_ctx):
    return make_api_study()


def test_survey_list_and_detail_have_documented_keys(client, study) -> None:
    listing = client.get("/api/v1/surveys", headers=study.headers("viewer")).get_json()
    assert [s["slug"] for s in listing["surveys"]] == [API_SLUG]
    assert set(listing["surveys"][0]) == {"slug", "title", "min_cell_size", "date_granularity", "instrument"}
    detail = client.get(BASE, headers=study.headers("viewer")).get_json()
    assert [w["number"] for w in detail["waves"]] == [1, 2, 3]
    assert [j["code"] for j in detail["jurisdictions"]] == ["J01", "J02", "J03"]
    assert detail["policy_events"][0]["jurisdiction"] == "J02"


def test_aggregates_answer_keys_and_totals(client, study) -> None:
    body = client.get(f"{BASE}/aggregates?by=wave,jurisdiction&margins=true", headers=study.headers("viewer"))
    assert body.status_code == 200
    data = body.get_json()
    assert set(data) == {"survey", "by", "filters", "min_cell_size", "suppressed_cells", "rows", "release",
                         "fieldwork"}
    assert data["by"] == ["wave", "jurisdiction"] and data["min_cell_size"] == 10
    row = next(r for r in data["rows"] if r["wave"] == 1 and r["jurisdiction"] == "J01")
    assert row["n"] == 40 and row["suppressed"] is False
    for measure in ("trust", "willingness", "fear", "involvement"):
        assert {f"{measure}_{k}" for k in ("n", "mean", "ci_low", "ci_high", "suppressed")} <= set(row)
    grand = next(r for r in data["rows"] if r["wave"] is None and r["jurisdiction"] is None)
    assert grand["n"] == 9 * 40 - 6


def test_api_suppresses_the_cell_of_nine_and_its_complements(client, study) -> None:
    rows = client.get(f"{BASE}/aggregates?by=wave,jurisdiction,immigrant&margins=true",
                      headers=study.headers("admin")).get_json()["rows"]
    cell = {(r["wave"], r["jurisdiction"], r["immigrant"]): r for r in rows}
    nine = cell[(2, "J02", "immigrant")]
    assert nine["n"] is None and nine["suppressed"] is True and nine["trust_mean"] is None
    # Every line through the 9 that ends in a published total hides at least one more cell.
    lines = [
        [cell[(2, j, "immigrant")] for j in ("J01", "J02", "J03", None)],
        [cell[(w, "J02", "immigrant")] for w in (1, 2, 3, None)],
        [cell[(2, "J02", g)] for g in ("immigrant", "non_immigrant", "unknown", None)],
    ]
    for line in lines:
        assert sum(r["suppressed"] for r in line) >= 2
    # No published number anywhere equals the hidden 9.
    assert all(r["n"] != 9 for r in rows)


def test_filtered_selection_cannot_difference_out_the_small_cell(client, study) -> None:
    headers = study.headers("viewer")
    everyone = client.get(f"{BASE}/aggregates?by=wave,immigrant", headers=headers).get_json()["rows"]
    without_beta = client.get(f"{BASE}/aggregates?by=wave,immigrant&jurisdiction=J01&jurisdiction=J03",
                              headers=headers).get_json()["rows"]
    a = next(r for r in everyone if r["wave"] == 2 and r["immigrant"] == "immigrant")
    b = next(r for r in without_beta if r["wave"] == 2 and r["immigrant"] == "immigrant")
    assert a["n"] is None or b["n"] is None  # one of the two is withheld: their difference is not 9


@pytest.mark.parametrize(("query", "status"), [
    ("by=wave,colour", 422), ("by=wave,wave", 422), ("margins=maybe", 400), ("wave_from=x", 400),
    ("wave_to=99", 422), ("jurisdiction=ZZZ", 422), ("language=klingon", 422),
])
def test_bad_parameters_are_4xx_json(client, study, query: str, status: int) -> None:
    response = client.get(f"{BASE}/aggregates?{query}", headers=study.headers())
    assert response.status_code == status
    assert set(response.get_json()["error"]) == {"status", "title", "message"}


@pytest.mark.parametrize("path", ["/aggregates?wave_form=3", "/responses?format=csv&wave=2", "?page=2"])
def test_a_misspelt_or_unknown_parameter_is_refused_by_name(client, study, path: str) -> None:
    """``wave_form=3`` silently ignored would return every wave to a client that asked for one."""
    audited = db.session.scalar(select(db.func.count(AuditLog.id)))
    response = client.get(f"{BASE}{path}", headers=study.headers("admin"))
    assert response.status_code == 400
    unknown = path.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]
    assert repr(unknown) in response.get_json()["error"]["message"]
    assert db.session.scalar(select(db.func.count(AuditLog.id))) == audited  # refused before any data


def test_tokens_roles_and_organisations(client, study) -> None:
    assert client.get(f"{BASE}/aggregates").status_code == 401
    assert client.get(f"{BASE}/aggregates", headers={"Authorization": "Bearer cts_nope"}).status_code == 401
    assert client.get(f"{BASE}/aggregates", headers=study.headers("outsider")).status_code == 404
    assert client.get(f"{BASE}/responses", headers=study.headers("viewer")).status_code == 403
    assert client.get(f"{BASE}/codebook", headers=study.headers("viewer")).status_code == 403
    assert client.get(f"{BASE}/responses", headers=study.headers("analyst")).status_code == 200


def test_row_export_over_the_api_reads_back_and_is_audited(client, study) -> None:
    response = client.get(f"{BASE}/responses?format=parquet", headers=study.headers("analyst"))
    assert response.status_code == 200 and response.mimetype == "application/vnd.apache.parquet"
    frame = pd.read_parquet(io.BytesIO(response.data))
    assert len(frame) == 9 * 40 - 6
    assert list(frame["response_id"]) == sorted(frame["response_id"])
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action == "export.responses")).all()
    assert actions == ["export.responses"]
    assert client.get(f"{BASE}/responses?format=xls", headers=study.headers("analyst")).status_code == 422


def test_estimates_and_codebook(client, study) -> None:
    estimates = client.get(f"{BASE}/estimates", headers=study.headers("viewer")).get_json()
    assert {e["estimator"] for e in estimates["effects"]} == {"did", "ddd", "event_study"}
    codebook = client.get(f"{BASE}/codebook", headers=study.headers("admin")).get_json()
    assert codebook["instrument"]["id"] == "civic-trust-core"
    assert {v["name"] for v in codebook["variables"]} >= {"response_id", "trust", "born_abroad"}


def test_openapi_document_is_served(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert "/surveys/{slug}/aggregates" in document["paths"]
    assert client.get("/api/v1/openapi.yaml").status_code == 200

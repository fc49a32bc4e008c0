"""Police records in the browser: upload, map, import, duplicate and bad input (never a 500).

Real files from ``analysis.incidents.write_incidents`` (messy: mixed date
formats, an unmapped district, an unknown offence type, malformed lines), the
real importer and database; CSRF stays on for the happy path.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from analysis.incidents import mapping_for, write_incidents
from analysis.simulate import simulate_records
from surveys.extensions import db
from surveys.models import AuditLog, RecordCount, RecordImport, Researcher
from tests.accounts.helpers import add_researcher
from tests.factories import STRONG_PASSWORD, make_survey

PLACES = ("J01", "J02", "J03")


@pytest.fixture
def incidents() -> tuple[bytes, dict]:
    counts = simulate_records(n_places=3, places=PLACES, n_periods=6, first_treated=(0, 4, 0), seed=3)
    counts = counts[["place", "period", "group", "category", "count"]]
    out = io.BytesIO()
    expect = write_incidents(counts, out, seed=1, messy=True)
    return out.getvalue(), {**expect, "total": int(counts["count"].sum())}


def _login(app: Any, role: str = "analyst", csrf: bool = True) -> tuple[Any, str]:
    account = add_researcher(app, role=role)
    with app.app_context():
        organisation = db.session.get(Researcher, account.id).organisation
        slug = make_survey(organisation=organisation, jurisdictions=("Alpha", "Beta", "Gamma")).slug
        db.session.commit()
    client = app.test_client()
    page = client.get("/research/login").get_data(as_text=True)
    data = {"email": account.email, "password": STRONG_PASSWORD}
    if csrf:
        data["csrf_token"] = _token(page)
    assert client.post("/research/login", data=data).status_code == 302
    return client, slug


def _token(html: str) -> str:
    hit = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert hit, "no CSRF token on the page"
    return hit.group(1)


def _upload(client: Any, slug: str, content: bytes, token: str | None = None, name: str = "incidents.csv"):
    data: dict[str, Any] = {"file": (io.BytesIO(content), name)}
    if token:
        data["csrf_token"] = token
    return client.post(f"/research/surveys/{slug}/records/upload", data=data, content_type="multipart/form-data")


def _value_fields(mapping: dict, html: str) -> dict[str, str]:
    """The posted value fields: each value the page lists, mapped as ``mapping`` says (unlisted: left unmapped)."""
    fields: dict[str, str] = {}
    targets = {"d": mapping["districts"], "c": mapping["categories"], "v": mapping["victim_groups"]}
    for kind, index, value in re.findall(r'name="([dcv])v(\d+)" value="([^"]*)"', html):
        value = value.replace("&amp;", "&")
        fields[f"{kind}v{index}"] = value
        target = {k.casefold(): t for k, t in targets[kind].items()}.get(value.casefold(), "")
        fields[f"{kind}t{index}"] = "-" if target is None else target
    return fields


def _import(client: Any, slug: str, html: str, token: str | None, **extra: str):
    mapping = mapping_for(PLACES)
    data = {"date": mapping["date"], "category": mapping["category"], "district": mapping["district"],
            "victim": mapping["victim"], "period": "month", **_value_fields(mapping, html), **extra}
    if token:
        data["csrf_token"] = token
    return client.post(f"/research/surveys/{slug}/records/map", data=data)


def test_upload_map_import_keeps_counts_only_and_refuses_a_duplicate(app, incidents):
    content, expect = incidents
    client, slug = _login(app)
    page = client.get(f"/research/surveys/{slug}/records")
    assert page.status_code == 200
    response = _upload(client, slug, content, _token(page.get_data(as_text=True)))
    assert response.status_code == 302 and response.headers["Location"].endswith("/records/map")
    mapping_page = client.get(response.headers["Location"])
    html = mapping_page.get_data(as_text=True)
    assert mapping_page.status_code == 200
    assert "District 1" in html and "OUTSIDE CITY LIMITS" in html and "Hispanic or Latino" in html
    assert 'value="Date Occurred" selected' in html  # the date column is guessed from its name
    done = _import(client, slug, html, _token(html))
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Rows by reason" in result and "unparseable date" in result and "OUTSIDE CITY LIMITS" in result
    assert "LOITERING" in result  # the unknown offence type is listed for fixing the mapping
    with app.app_context():
        row = db.session.scalars(select(RecordImport)).one()
        assert row.n_rows == expect["rows"] and row.n_counted == expect["counted"]
        assert row.tally["unknown_place"] == expect["unknown_place"]
        assert row.tally["bad_date"] == expect["bad_date"]
        assert db.session.scalar(select(func.sum(RecordCount.count))) == expect["counted"]
        assert {c for (c,) in db.session.execute(select(RecordCount.place).distinct())} <= set(PLACES)
        assert db.session.scalars(select(AuditLog).where(AuditLog.action == "records.import")).one()
    assert not list((Path(app.instance_path) / "records-uploads").glob("*"))  # the temporary file is gone
    # The same file again: refused at the upload, with a message, nothing stored.
    again = _upload(client, slug, content, _token(result))
    assert again.status_code == 422
    assert "imported for this survey before" in again.get_data(as_text=True)
    assert client.get(f"/research/surveys/{slug}/records/map").status_code == 302  # nothing pending
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecordImport)) == 1


def test_same_incidents_reordered_are_a_duplicate(make_app, incidents):
    app = make_app(WTF_CSRF_ENABLED=False)
    content, _ = incidents
    client, slug = _login(app, csrf=False)
    html = client.get(_upload(client, slug, content).headers["Location"]).get_data(as_text=True)
    assert _import(client, slug, html, None).status_code == 302
    header, *lines = content.decode().splitlines()
    reordered = "\r\n".join([header, *reversed(lines)]).encode()
    html = client.get(_upload(client, slug, reordered).headers["Location"]).get_data(as_text=True)
    refused = _import(client, slug, html, None)
    assert refused.status_code == 422 and "imported" in refused.get_data(as_text=True)


@pytest.mark.parametrize("content, status", [
    (None, 400),                                  # no file at all
    (b"", 422),                                   # an empty file
    (b"\xff\xfe\x00garbage\x00\x00", 422),         # not text
    (b"Date,Offense,District\n", 422),            # a header, no rows
])
def test_bad_files_are_refused_with_a_message(make_app, content, status):
    app = make_app(WTF_CSRF_ENABLED=False)
    client, slug = _login(app, csrf=False)
    if content is None:
        response = client.post(f"/research/surveys/{slug}/records/upload", data={})
    else:
        response = _upload(client, slug, content)
    assert response.status_code == status
    assert "records" in response.get_data(as_text=True).lower()


def test_bad_mappings_are_422_and_keep_the_upload(make_app, incidents):
    app = make_app(WTF_CSRF_ENABLED=False)
    content, _ = incidents
    client, slug = _login(app, csrf=False)
    html = client.get(_upload(client, slug, content).headers["Location"]).get_data(as_text=True)
    assert client.get(f"/research/surveys/{slug}/records/map?date=No+such+column").status_code == 422
    for extra in ({"district": "No such column"}, {"dt0": "NOWHERE"}, {"period": "fortnight"}, {"category": ""}):
        response = _import(client, slug, html, None, **extra)
        assert response.status_code == 422, extra
        assert "Not imported" in response.get_data(as_text=True)
    nothing_mapped = {k: "" for k in _value_fields(mapping_for(PLACES), html) if k[1] == "t"}
    response = _import(client, slug, html, None, **nothing_mapped)
    assert response.status_code == 422 and "map at least one" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecordImport)) == 0
    assert _import(client, slug, html, None).status_code == 302  # the upload was kept for a corrected mapping


def test_an_excluded_district_is_tallied_as_excluded(make_app, incidents):
    app = make_app(WTF_CSRF_ENABLED=False)
    content, expect = incidents
    client, slug = _login(app, csrf=False)
    html = client.get(_upload(client, slug, content).headers["Location"]).get_data(as_text=True)
    [index] = re.findall(r'name="dv(\d+)" value="OUTSIDE CITY LIMITS"', html)
    assert _import(client, slug, html, None, **{f"dt{index}": "-"}).status_code == 302
    with app.app_context():
        row = db.session.scalars(select(RecordImport)).one()
        assert row.tally["excluded_place"] == expect["unknown_place"] and "unknown_place" not in row.tally
        assert row.mapping["districts"]["OUTSIDE CITY LIMITS"] is None


def test_upload_over_the_size_limit_is_413(make_app):
    app = make_app(WTF_CSRF_ENABLED=False, RECORDS_MAX_UPLOAD_BYTES=1000)
    client, slug = _login(app, csrf=False)
    response = _upload(client, slug, b"Date,Offense,District\n" + b"2020-01-01,ASSAULT,District 1\n" * 100)
    assert response.status_code == 413


def test_import_without_csrf_token_is_refused(app, incidents):
    content, _ = incidents
    client, slug = _login(app)
    assert _upload(client, slug, content).status_code == 400  # UploadForm checks the token itself

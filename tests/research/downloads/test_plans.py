"""Pre-registered plans and the specification record (issue 13): a report from a frozen plan names
its hash and each deviation; every run is recorded, counted and Holm-adjusted across the family."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AnalysisPlan, SpecRun
from surveys.publication.plans import PlanError, clean_plan, holm
from tests.research.dashboard.data import login, post_form
from tests.research.downloads.test_report import download, study  # noqa: F401  (fixture)

PLAN = {"outcomes": "trust", "estimator": "ddd", "subgroup": "all", "weights": "responses", "inference": "auto",
        "sesoi": "0.2", "sesoi_justification": "A fifth of a point moves a district's ranking in the city's survey."}


def _freeze(client, survey) -> str:
    response = post_form(client, f"/research/surveys/{survey.slug}/plans", f"/research/surveys/{survey.slug}/plans",
                         {**PLAN, "outcomes": ["trust", "willingness"]})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_frozen_plan_is_read_only_exportable_and_reports_name_it(client, study) -> None:  # noqa: F811
    survey, analyst, viewer = study
    login(client, analyst)
    digest = _freeze(client, survey)
    plan = db.session.scalar(select(AnalysisPlan).where(AnalysisPlan.sha256 == digest))
    assert plan.sha256 == digest and len(digest) == 64
    exported = json.loads(client.get(f"/research/surveys/{survey.slug}/plans/{digest}.json").data)
    assert exported["sha256"] == digest and exported["spec"]["sesoi"] == 0.2
    assert exported["spec"]["outcomes"] == ["trust", "willingness"]
    page = client.get(f"/research/surveys/{survey.slug}/plans/{digest}").get_data(as_text=True)
    assert digest in page and "A fifth of a point" in page and "<form" not in page.split("<main")[-1]

    same = json.loads(download(client, survey, format="json", outcome="trust", estimator="ddd", subgroup="all",
                               weights="responses").data)
    assert same["headline"]["plan"] == digest
    assert same["meta"]["search"]["registration"].startswith(f"pre-registered (plan {digest[:12]}")
    assert same["meta"]["search"]["deviations"] == []
    assert same["headline"]["sesoi"] == 0.2

    changed = json.loads(download(client, survey, format="json", outcome="trust", estimator="ddd", subgroup="all",
                                  weights="cells").data)
    assert changed["meta"]["search"]["deviations"] == ["weights: plan 'responses', report 'cells'"]
    html = download(client, survey, format="html", outcome="trust", estimator="ddd", subgroup="all",
                    weights="cells").get_data(as_text=True)
    assert digest[:12] in html and "weights: plan" in html


def test_second_run_of_another_spec_increments_count_and_adjustment(client, study) -> None:  # noqa: F811
    survey, analyst, _ = study
    login(client, analyst)
    first = json.loads(download(client, survey, format="json", outcome="trust", estimator="ddd", subgroup="all",
                                weights="responses").data)["meta"]["search"]
    assert first["specifications_run"] == 1 and first["registration"].startswith("exploratory")
    assert "1 specification of this outcome has been run" in first["sentence"]
    second = json.loads(download(client, survey, format="json", outcome="trust", estimator="did", subgroup="all",
                                 weights="responses").data)
    search = second["meta"]["search"]
    assert search["specifications_run"] == 2 and "2 specifications of this outcome have been run" in search["sentence"]
    assert first["family_tests"] == len(first["family"]) and search["family_tests"] == len(search["family"]) + 1
    p = second["headline"]["p_value"]
    assert first["holm_p"] < search["holm_p"] <= min(1.0, search["family_tests"] * p) + 1e-12
    willing = json.loads(download(client, survey, format="json", outcome="willingness", estimator="ddd",
                                  subgroup="all", weights="responses").data)["meta"]["search"]
    assert willing["specifications_run"] == 1
    assert db.session.query(SpecRun).count() == 3


def test_holm_and_plan_checks() -> None:
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03}, ["a", "b", "c", "d"])
    assert adjusted == pytest.approx({"a": 0.04, "c": 0.09, "b": 0.09, "d": 1.0})
    with pytest.raises(PlanError, match="justify"):
        clean_plan({**PLAN, "outcomes": ["trust"], "sesoi_justification": ""})
    with pytest.raises(PlanError, match="positive"):
        clean_plan({**PLAN, "outcomes": ["trust"], "sesoi": "-1"})

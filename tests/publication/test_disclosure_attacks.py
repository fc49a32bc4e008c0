"""Attacks on published aggregates, run as an attacker would (issue 10).

* before/after one submission through the real respondent flow: no published
  cell grows by exactly one, no score can be read off mean x n;
* the union of 40+ snapshots taken while responses arrive and waves close,
  solved as a linear system: no hidden cell is derivable;
* a wave whose respondents all have an immigrant background publishes no 0 beside them;
* a viewer's report holds no cohort effect of a single jurisdiction (a cell mean in disguise).
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from flask import g

from surveys.accounts.tokens import create_token
from surveys.extensions import db
from surveys.models import Survey
from surveys.publication.aggregates import DIMENSIONS, IMMIGRANT_LEVELS, MEASURES, Filters, aggregate
from tests.factories import make_policy_event, make_researcher, make_survey
from tests.research.dashboard.data import add_responses, default_instrument, login, post_form
from tests.respond.helpers import SurveyWalker, make_default_survey

FULL = "by=wave,jurisdiction,language,immigrant&margins=true"


def _rows(client, slug: str, token: str, query: str = FULL) -> dict[tuple, dict]:
    body = client.get(f"/api/v1/surveys/{slug}/aggregates?{query}", headers={"Authorization": f"Bearer {token}"})
    assert body.status_code == 200, body.get_data(as_text=True)
    return {tuple(r.get(d, "*") for d in DIMENSIONS): r for r in body.get_json()["rows"]}


def test_one_submission_moves_no_published_cell(app, client) -> None:
    info = make_default_survey(app)  # wave 1 closed, wave 2 open today; J01, J02
    with app.app_context():
        survey = db.session.get(Survey, info.id)
        for wave in (1, 2):
            for code in ("J01", "J02"):
                add_responses(survey, wave, code, 30, immigrant=False)
                add_responses(survey, wave, code, 12, immigrant=True, language="es")
        viewer = make_researcher(role="viewer", organisation=survey.organisation)
        token = create_token(viewer, "attacker")[1]
        db.session.commit()
    before = _rows(client, info.slug, token)
    walker = SurveyWalker(client, info, "es")
    walker.start("J01")
    assert walker.answer_all({"trust_overall": 9, "born_abroad": 2}).status_code == 303
    after = _rows(client, info.slug, token)
    assert set(after) == set(before)
    for key, row in after.items():
        old = before[key]
        if row["n"] is not None and old["n"] is not None:
            assert row["n"] - old["n"] != 1, key
        for measure in MEASURES:
            now_, then = row[f"{measure}_mean"], old[f"{measure}_mean"]
            if None not in (now_, then, row[f"{measure}_n"], old[f"{measure}_n"]):
                # mean x n after minus before would be the newcomer's score
                assert row[f"{measure}_n"] == old[f"{measure}_n"] and now_ == pytest.approx(then), (key, measure)


# --- the union of many snapshots ----------------------------------------------------------------


def _functional(row: dict, keys: dict[tuple, int]) -> np.ndarray:
    """Which base cells (wave, jurisdiction, language, immigrant) a published row sums.

    ``row["_within"]`` holds the query's filter: a margin sums over the selected categories only.
    """
    within = row["_within"]
    vector = np.zeros(len(keys))
    for key, column in keys.items():
        if all((row[d] == value) if row.get(d) is not None else value in within[d]
               for d, value in zip(DIMENSIONS, key, strict=True)):
            vector[column] = 1.0
    return vector


def _derivable(published: list[np.ndarray], hidden: list[np.ndarray]) -> np.ndarray:
    """The attacker's test: a hidden cell is solved when its vector lies in the published row space."""
    matrix = np.unique(np.array(published), axis=0)
    _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
    rank = int((singular > 1e-9 * singular.max()).sum())
    null = vt[rank:]
    return np.array([np.linalg.norm(null @ h) < 1e-7 for h in hidden])


def test_union_of_forty_snapshots_derives_no_hidden_cell(app_ctx) -> None:
    rng = np.random.default_rng(10)
    # Six waves, all still within their dates: they close when a researcher closes them.
    survey = make_survey(instrument=default_instrument(), n_waves=6, jurisdictions=("Alpha", "Beta", "Gamma"),
                         today=date.today() + timedelta(days=90 * 5 + 40))
    db.session.commit()
    codes = ("J01", "J02", "J03")
    published: dict[bytes, tuple[np.ndarray, float]] = {}
    hidden: dict[bytes, np.ndarray] = {}
    snapshots: list[list[dict]] = []
    open_wave = 1
    for snapshot in range(48):
        for _ in range(int(rng.integers(2, 6))):  # a few responses arrive, often into small cells
            add_responses(survey, open_wave, codes[int(rng.integers(3))], int(rng.integers(1, 5)),
                          immigrant=bool(rng.random() < 0.4), language="es" if rng.random() < 0.3 else "en")
        db.session.commit()
        if snapshot % 8 == 7 and open_wave <= 6:
            survey.waves[open_wave - 1].closed = True
            db.session.commit()
            open_wave += 1
        # The full cube (every cell and margin), plus selections an attacker may add: a selection that
        # holds a hidden cell is hidden as a whole, so only its published rows count as equations.
        # A margin sums the categories the table holds (the released waves, the languages seen).
        table = aggregate(survey, DIMENSIONS, margins=True)
        seen = {d: tuple(v for v in axis if v is not None) for d, axis in zip(DIMENSIONS, table.axes, strict=True)}
        rows = [{**r, "_within": seen} for r in table.records()]
        rows += [{**r, "_within": {**seen, "jurisdiction": ("J01", "J02")}} for r in aggregate(
            survey, DIMENSIONS, Filters(jurisdictions=("J01", "J02")), margins=True).records() if not r["suppressed"]]
        rows += [{**r, "_within": {**seen, "language": ("es",)}} for r in aggregate(
            survey, ("wave", "immigrant"), Filters(language="es"), margins=True).records() if not r["suppressed"]]
        snapshots.append(rows)
    keys = {(w, j, lang, i): c for c, (w, j, lang, i) in enumerate(
        (w, j, lang, i) for w in range(1, 7) for j in codes for lang in ("en", "es") for i in IMMIGRANT_LEVELS)}
    for rows in snapshots:
        for row in rows:
            vector = _functional(row, keys)
            if row["suppressed"]:
                hidden[vector.tobytes()] = vector
            else:
                published[vector.tobytes()] = (vector, row["n"])
    assert len(snapshots) >= 40 and hidden, "the simulation must hide something to attack"
    exposed = _derivable([v for v, _ in published.values()], list(hidden.values()))
    assert not exposed.any(), f"{int(exposed.sum())} of {len(hidden)} hidden cells solved"
    # Published cells never change between snapshots (one value per cell).
    values: dict[bytes, set] = {}
    for rows in snapshots:
        for row in rows:
            if not row["suppressed"]:
                values.setdefault(_functional(row, keys).tobytes(), set()).add(row["n"])
    assert all(len(v) == 1 for v in values.values())


# --- zeros beside a full cell ----------------------------------------------------------------


def test_a_wave_of_immigrants_only_publishes_no_zero_beside_them(client, app_ctx) -> None:
    survey = make_survey(instrument=default_instrument(), n_waves=3, jurisdictions=("Alpha", "Beta"))
    for code in ("J01", "J02"):
        add_responses(survey, 1, code, 21, immigrant=True)  # wave 1: every respondent an immigrant
        add_responses(survey, 2, code, 30, immigrant=False)
        add_responses(survey, 2, code, 20, immigrant=True)
    viewer = make_researcher(role="viewer", organisation=survey.organisation)
    token = create_token(viewer, "attacker")[1]
    survey.waves[2].closed = True
    db.session.commit()
    for query in ("by=wave,immigrant&margins=true", "by=wave,jurisdiction,immigrant&margins=true", FULL):
        rows = _rows(client, survey.slug, token, query)
        for key, row in rows.items():
            wave, immigrant = key[0], key[3]
            if wave == 1 and immigrant not in (None, "*"):
                assert row["n"] is None, (query, key, row["n"])


# --- estimates that are cell means in disguise ---------------------------------------------------


def _cohort_rows(body: dict) -> list[dict]:
    study = body["results"]["Event study"]
    return [r for r in study["coefficients"] if r.get("aggregation") in ("group_time", "cohort")]


def test_a_viewers_report_shows_no_one_jurisdiction_cohort_effect(client, app_ctx) -> None:
    codes = ("J01", "J02", "J03", "J04", "J05", "J06")
    analyst = make_researcher(role="analyst")
    viewer = make_researcher(role="viewer", organisation=analyst.organisation)
    survey = make_survey(organisation=analyst.organisation, instrument=default_instrument(), n_waves=5,
                         jurisdictions=tuple(f"Place {c}" for c in codes))
    rng = np.random.default_rng(3)
    for wave in range(1, 6):
        for index, code in enumerate(codes):
            add_responses(survey, wave, code, 30, immigrant=False, trust=3.0 + 0.05 * index + rng.normal(0, 0.05))
            add_responses(survey, wave, code, 15, immigrant=True, trust=2.8 + rng.normal(0, 0.05))
    make_policy_event(survey.jurisdictions[1], survey.waves[2].opens_on - timedelta(days=4))  # J02 alone: cohort 3
    for index in (3, 4):  # J04 and J05 together: cohort 4
        make_policy_event(survey.jurisdictions[index], survey.waves[3].opens_on - timedelta(days=4))
    survey.waves[-1].closed = True
    db.session.commit()
    fields = {"format": "json", "outcome": "trust", "estimator": "event_study", "subgroup": "all",
              "weights": "responses"}
    page = f"/research/surveys/{survey.slug}/export"
    login(client, viewer)
    seen = json.loads(post_form(client, f"/research/surveys/{survey.slug}/reports", page, fields).data)
    cohorts = {r["cohort"] for r in _cohort_rows(seen)}
    assert 3 not in cohorts and 4 in cohorts
    aggregated = [r for r in seen["results"]["Event study"]["coefficients"] if r.get("aggregation") == "simple"]
    assert aggregated and all(r["ci_low"] is not None for r in aggregated)
    assert any("Output checking" in rule for rule in seen["meta"]["disclosure_rules"])
    other = app_ctx.test_client()
    g.pop("_login_user", None)  # the shared app context caches the viewer as the current user
    login(other, analyst)
    full = json.loads(post_form(other, f"/research/surveys/{survey.slug}/reports", page, fields).data)
    assert 3 in {r["cohort"] for r in _cohort_rows(full)}


# --- open-wave progress ------------------------------------------------------------------------


def test_open_wave_progress_cannot_be_differenced_or_averaged(client, app_ctx) -> None:
    survey = make_survey(instrument=default_instrument(), n_waves=2, jurisdictions=("Alpha", "Beta"))
    add_responses(survey, 2, "J01", 30)
    viewer = make_researcher(role="viewer", organisation=survey.organisation)
    token = create_token(viewer, "attacker")[1]
    db.session.commit()

    def shown() -> int | None:
        body = client.get(f"/api/v1/surveys/{survey.slug}/aggregates?by=wave",
                          headers={"Authorization": f"Bearer {token}"}).get_json()
        assert all(set(r) == {"wave", "jurisdiction", "n", "perturbed"} for r in body["fieldwork"])  # no means
        return next(r["n"] for r in body["fieldwork"] if r["wave"] == 2 and r["jurisdiction"] == "J01")

    # Under the noise table a step shows exactly +1 with probability 56/256 = 0.22. With 60 steps,
    # "at most half are +1" fails by chance with probability below 1e-6 (binomial tail), where a
    # count that tracks the truth gives 60 of 60. (With 25 steps the chance was about 1e-3; it happened in CI.)
    steps = []
    for _ in range(60):
        first = shown()
        assert shown() == first  # the same cell always shows the same number: averaging gains nothing
        add_responses(survey, 2, "J01", 1)
        db.session.commit()
        steps.append(shown() - first)
    assert steps.count(1) <= len(steps) / 2 and len(set(steps)) >= 3, steps


def test_dashboard_and_estimate_views_are_audited(client, app_ctx) -> None:
    from surveys.models import AuditLog

    survey = make_survey(instrument=default_instrument(), n_waves=2, jurisdictions=("Alpha", "Beta"))
    add_responses(survey, 1, "J01", 30)
    viewer = make_researcher(role="viewer", organisation=survey.organisation)
    db.session.commit()
    login(client, viewer)
    assert client.get(f"/research/surveys/{survey.slug}/dashboard?jurisdiction=J01").status_code == 200
    assert client.get(f"/research/surveys/{survey.slug}/dashboard/estimates.json").status_code == 200
    rows = {r.action: r for r in AuditLog.query.filter(AuditLog.action.like("view.%")).all()}
    assert set(rows) == {"view.dashboard", "view.estimates"}
    assert rows["view.dashboard"].researcher_id == viewer.id
    assert rows["view.dashboard"].parameters["filters"]["jurisdictions"] == ["J01"]
    assert "30" not in str(rows["view.dashboard"].parameters)
    releases = AuditLog.query.filter_by(action="release.publish").all()
    assert len(releases) == 1 and releases[0].parameters["waves"] == [1]


def test_a_submission_in_an_open_wave_moves_no_estimate(app_ctx, make_app) -> None:
    """Estimates read released waves only: responses in the open wave change no figure, even when
    every cache is new (a fresh app computes them again from the database)."""
    codes = ("J01", "J02", "J03", "J04", "J05", "J06")
    survey = make_survey(instrument=default_instrument(), n_waves=4, jurisdictions=tuple(f"Place {c}" for c in codes))
    rng = np.random.default_rng(11)
    for wave in range(1, 5):
        for index, code in enumerate(codes):
            add_responses(survey, wave, code, 20, immigrant=False, trust=3.0 + 0.05 * index + rng.normal(0, 0.05))
            add_responses(survey, wave, code, 12, immigrant=True, trust=2.8 + rng.normal(0, 0.05))
    for index in (1, 2, 3):
        make_policy_event(survey.jurisdictions[index], survey.waves[2].opens_on - timedelta(days=4))
    analyst = make_researcher(role="analyst", organisation=survey.organisation)
    db.session.commit()

    def estimates() -> dict:
        client = make_app().test_client()
        login(client, analyst)
        response = client.get(f"/research/surveys/{survey.slug}/dashboard/estimates.json?outcome=trust")
        assert response.status_code == 200
        return response.get_json()

    before = estimates()
    assert before["effects"] and before["release"]  # real figures from a release, not an empty shell
    db.session.commit()  # end this session's read snapshot: the other app has published a release since
    add_responses(survey, 4, "J02", 40, immigrant=True, trust=1.0)  # a block of very low scores, open wave
    db.session.commit()
    assert estimates() == before

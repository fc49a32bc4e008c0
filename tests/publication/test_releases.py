"""Releases: made when a wave closes and by an analyst's button, frozen, audited; viewers may not publish."""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditLog, Release
from tests.factories import make_researcher, make_survey
from tests.factories import post_form as _post_form
from tests.research.dashboard.data import add_responses, login


def post_form(client, page: str, data: dict, action: str):
    """The factories' post_form, with the shared app context's cached CSRF token dropped first."""
    g.pop("csrf_token", None)
    return _post_form(client, page, data, action=action)


def _study():
    analyst = make_researcher(role="analyst")
    viewer = make_researcher(role="viewer", organisation=analyst.organisation)
    survey = make_survey(organisation=analyst.organisation, n_waves=3, jurisdictions=("Alpha", "Beta"))
    for wave in (1, 2, 3):
        add_responses(survey, wave, "J01", 25)
        add_responses(survey, wave, "J02", 25)
    db.session.commit()
    return survey, analyst, viewer


def test_the_publish_button_and_closing_a_wave_make_audited_releases(client, app_ctx) -> None:
    survey, analyst, _ = _study()
    login(client, analyst)
    manage = f"/research/surveys/{survey.slug}/manage"
    page = client.get(manage).get_data(as_text=True)
    assert "Nothing has been released yet" in page and "Publish a release of closed waves" in page
    done = post_form(client, manage, {}, action=f"/research/surveys/{survey.slug}/releases")
    assert done.status_code == 302
    assert db.session.scalars(select(Release)).one().waves == [1, 2]
    again = post_form(client, manage, {}, action=f"/research/surveys/{survey.slug}/releases")
    assert again.status_code == 302 and db.session.scalar(select(db.func.count()).select_from(Release)) == 1
    assert post_form(client, manage, {}, action=f"/research/surveys/{survey.slug}/waves/3/close").status_code == 302
    releases = db.session.scalars(select(Release).order_by(Release.number)).all()
    assert [r.waves for r in releases] == [[1, 2], [1, 2, 3]]
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "release.publish")).all()
    assert [(a.researcher_id, a.parameters["added_waves"], a.parameters["kind"]) for a in audit] == [
        (analyst.id, [1, 2], "manual"), (analyst.id, [3], "wave_closed")]


def test_a_viewer_may_not_publish(client, app_ctx) -> None:
    survey, _, viewer = _study()
    login(client, viewer)
    manage = f"/research/surveys/{survey.slug}/manage"
    assert post_form(client, manage, {}, action=f"/research/surveys/{survey.slug}/releases").status_code == 403
    assert db.session.scalar(select(db.func.count()).select_from(Release)) == 0


def test_an_admin_grants_restricted_microdata_on_the_survey_page(client, app_ctx) -> None:
    from surveys.models import MicrodataGrant

    survey, analyst, viewer = _study()
    admin = make_researcher(role="admin", organisation=analyst.organisation)
    db.session.commit()
    login(client, admin)
    manage = f"/research/surveys/{survey.slug}/manage"
    assert "Grant restricted microdata" in client.get(manage).get_data(as_text=True)
    action = f"/research/surveys/{survey.slug}/grants"
    short = post_form(client, manage, {"analyst": analyst.id, "purpose": "x", "days": 30}, action=action)
    assert short.status_code == 400 and "purpose" in short.get_data(as_text=True)
    to_viewer = post_form(client, manage, {"analyst": viewer.id, "purpose": "Replicate the report", "days": 30},
                          action=action)
    assert to_viewer.status_code == 400  # a viewer is not in the list of analysts
    done = post_form(client, manage, {"analyst": analyst.id, "purpose": "Replicate the report", "days": 30},
                     action=action)
    assert done.status_code == 302
    grant = db.session.scalars(select(MicrodataGrant)).one()
    assert grant.analyst_id == analyst.id and grant.granted_by_id == admin.id
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "microdata.grant")).one()


def test_a_wave_closing_without_responses_changes_no_published_cell(app_ctx) -> None:
    from surveys.publication.aggregates import DIMENSIONS, aggregate

    survey = make_survey(n_waves=3, jurisdictions=("Alpha", "Beta"))
    for code, n in (("J01", 25), ("J02", 4)):  # a small cell: something is hidden
        add_responses(survey, 1, code, n)
        add_responses(survey, 2, code, 25, immigrant=True)
    db.session.commit()
    before = {tuple(r[d] for d in DIMENSIONS): r for r in aggregate(survey, DIMENSIONS, margins=True).records()}
    survey.waves[2].closed = True  # nobody answered in wave 3
    db.session.commit()
    after = aggregate(survey, DIMENSIONS, margins=True)
    assert after.release == 2
    for row in after.records():
        key = tuple(row[d] for d in DIMENSIONS)
        if row["wave"] == 3:
            assert row["n"] == 0 and not row["suppressed"]
        elif key in before:
            assert (row["n"], row["suppressed"]) == (before[key]["n"], before[key]["suppressed"]), key

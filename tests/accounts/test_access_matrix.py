"""Every route of the app, against every role and an anonymous visitor.

The policy is data: ``ACCESS`` maps each endpoint to who may use it. A route
that is registered but missing here fails ``test_every_route_has_an_entry``,
so adding a route means adding one line. Expected answers:

* allowed visitor: the endpoint's ``OK`` status for the method (default: GET
  200, POST 302 or 400 -- the forms are posted empty, so a refusal is fine,
  but never 401/403/404/500);
* anonymous on a researcher page: 302 to ``/research/login``; on the API: 401;
* logged in with another role: 403;
* another organisation's survey/researcher/token (``test_other_organisation_*``): 404.

CSRF is off in this module's app (it is tested elsewhere) so that each POST
reaches the access check and the view.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask

from surveys import create_app
from surveys.accounts.tokens import create_token
from surveys.config import TestConfig
from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import Researcher
from surveys.publication.plans import freeze_plan
from surveys.studies.instrument_store import store_instrument
from surveys.web.assets import plotly_js_version
from tests.conftest import config_for, empty_all_tables
from tests.factories import STRONG_PASSWORD, make_organisation, make_policy_event, make_researcher, make_survey

PUBLIC = ("anonymous", "admin", "analyst", "viewer")
ANY_ROLE = ("admin", "analyst", "viewer")
MANAGERS = ("admin", "analyst")
ADMINS = ("admin",)
VISITORS = ("anonymous", "admin", "analyst", "viewer")

# endpoint -> who may use it. One line per route; keep grouped by blueprint.
ACCESS: dict[str, tuple[str, ...]] = {
    # app-wide
    "index": PUBLIC,
    "healthz": PUBLIC,
    "static": PUBLIC,
    # respondents (the survey is anonymous: every visitor gets the same pages)
    "respond.start": PUBLIC,
    "respond.begin": PUBLIC,
    "respond.page": PUBLIC,
    "respond.page_get": PUBLIC,
    "respond.thanks": PUBLIC,
    # researcher accounts (research/auth)
    "research.login": PUBLIC,
    "research.setup": PUBLIC,  # first run only: with any researcher in the database it is a 404 for everyone
    "research.logout": ANY_ROLE,
    "research.home": ANY_ROLE,
    "research.change_password": ANY_ROLE,
    "research.api_tokens": ANY_ROLE,
    "research.revoke_api_token": ANY_ROLE,
    # study management (research/manage)
    "research.survey_new": MANAGERS,
    "research.survey_manage": ANY_ROLE,
    "research.jurisdiction_new": MANAGERS,
    "research.wave_new": MANAGERS,
    "research.wave_close": MANAGERS,
    "research.wave_reopen": MANAGERS,
    "research.policy_event_new": MANAGERS,
    "research.policy_event_delete": MANAGERS,
    "research.policy_event_edit": MANAGERS,
    "research.survey_preview": ANY_ROLE,  # a preview: test data only, even with no wave open
    "research.test_submissions_delete": MANAGERS,
    "research.survey_settings": MANAGERS,
    "research.survey_trust": MANAGERS,  # the trust block respondents see
    "research.invite_codes": MANAGERS,
    "research.distribution": ANY_ROLE,
    "research.jurisdiction_edit": MANAGERS,
    "research.wave_edit": MANAGERS,
    "research.release_publish": MANAGERS,
    "research.microdata_grant": ADMINS,
    "research.margins_page": MANAGERS,  # population margins for raking weights
    "research.margins_upload": MANAGERS,
    # questionnaire editor (research/editor): anyone reads, managers change
    "research.instruments_list": ANY_ROLE,
    "research.instrument_new": MANAGERS,
    "research.instrument_import": MANAGERS,
    "research.instrument_version": ANY_ROLE,
    "research.instrument_export": ANY_ROLE,
    "research.instrument_publish": MANAGERS,
    "research.instrument_draft": MANAGERS,
    "research.instrument_review": MANAGERS,
    "research.instrument_diff": ANY_ROLE,
    "research.item_edit": MANAGERS,
    "research.item_new": MANAGERS,
    "research.item_delete": MANAGERS,
    "research.block_edit": MANAGERS,
    "research.block_new": MANAGERS,
    "research.block_move": MANAGERS,
    "research.block_delete": MANAGERS,
    "research.scale_new": MANAGERS,
    "research.scale_edit": MANAGERS,
    "research.scale_delete": MANAGERS,
    "research.instrument_title": MANAGERS,
    "research.survey_instrument": MANAGERS,
    # administration (research/admin)
    "research.researchers": ADMINS,
    "research.researcher_new": ADMINS,
    "research.researcher_edit": ADMINS,
    "research.researcher_disable": ADMINS,
    "research.researcher_enable": ADMINS,
    "research.researcher_reset_password": ADMINS,
    "research.organisation_tokens": ADMINS,
    "research.organisation_token_revoke": ADMINS,
    "research.audit_log": ADMINS,
    # dashboard, downloads and plotly.js assets (research/dashboard, research/downloads, web/assets)
    "research.dashboard": ANY_ROLE,
    "research.dashboard_estimates": ANY_ROLE,
    "research.export_page": ANY_ROLE,
    "research.export_aggregates": ANY_ROLE,
    "research.export_responses": MANAGERS,
    "research.export_codebook": MANAGERS,
    "research.export_report": ANY_ROLE,  # viewers get the default specification
    "research.stated_vs_actual": ANY_ROLE,
    # pre-registered analysis plans (research/plans)
    "research.plans_page": ANY_ROLE,
    "research.plan_freeze": MANAGERS,
    "research.plan_view": ANY_ROLE,
    "research.plan_json": ANY_ROLE,
    # police records (research/records)
    "research.records": MANAGERS,
    "research.records_upload": MANAGERS,
    "research.records_map": MANAGERS,
    "research.records_import": MANAGERS,
    "plotly_script": PUBLIC,
    "plotly_stylesheet": PUBLIC,
    "plotly_maps_stylesheet": PUBLIC,
    # JSON API
    "api.root": PUBLIC,
    "api.openapi_json": PUBLIC,
    "api.openapi_yaml": PUBLIC,
    "api.surveys": ANY_ROLE,
    "api.survey_detail": ANY_ROLE,
    "api.aggregates": ANY_ROLE,
    "api.estimates": ANY_ROLE,
    "api.responses": MANAGERS,
    "api.codebook": MANAGERS,
}

# Status an allowed visitor gets, where the default (GET 200, POST 302/400) does not fit.
OK: dict[tuple[str, str], tuple[int, ...]] = {
    ("research.login", "GET"): (200, 302),  # a logged-in researcher is sent home
    ("research.setup", "GET"): (404,),  # closed: researchers exist
    ("research.setup", "POST"): (404,),
    ("research.survey_preview", "GET"): (303,),  # to the first questionnaire page, the preview sealed in the cookie
    ("research.researcher_reset_password", "POST"): (200,),  # shows the new password once
    ("research.invite_codes", "POST"): (200, 400),  # shows the new codes once (an empty form keeps count=100)
    # downloads: an empty form falls back to the defaults (CSV, wave x jurisdiction) and is a download
    ("research.export_aggregates", "POST"): (200,),
    ("research.export_responses", "POST"): (200,),
    ("research.export_codebook", "POST"): (200,),
    ("research.export_report", "POST"): (200, 422),  # the matrix survey has no events: nothing to estimate
    ("research.records_map", "GET"): (302,),  # nothing uploaded yet: back to the records page
    # the editor: an empty form is refused beside its fields; the matrix's version is published
    ("research.instrument_diff", "GET"): (400,),  # no versions named to compare
    ("research.item_new", "POST"): (422,),
    ("research.item_edit", "POST"): (422,),
    ("research.block_edit", "POST"): (422,),
    ("research.block_new", "POST"): (422,),
    ("research.block_move", "POST"): (400,),  # neither up nor down
    ("research.block_delete", "GET"): (409,),  # a published version loses no block (only a draft does)
    ("research.block_delete", "POST"): (409,),
    ("research.scale_new", "POST"): (422,),
    ("research.scale_edit", "POST"): (422,),
    ("research.instrument_title", "POST"): (422,),  # blank titles
    ("research.survey_instrument", "POST"): (422,),
    ("research.instrument_publish", "POST"): (409,),  # already published
    ("research.instrument_review", "POST"): (409,),  # a published version is immutable
    ("respond.start", "GET"): (200, 422),  # 422: the start page showing the errors of the visitor's empty POST
    ("respond.begin", "POST"): (303,),  # an empty consent form: to the start page with its errors (PRG)
    ("respond.page", "POST"): (400, 422),
    ("respond.page_get", "GET"): (303,),  # no questionnaire in progress: back to the start page
}


@dataclass
class World:
    """Two organisations; the first has one researcher per role plus a colleague to act on."""

    slug: str
    other_slug: str
    accounts: dict[str, str]  # role -> email
    colleague_id: int
    colleague_token_id: int
    own_token_ids: dict[str, int]  # role -> a token of that researcher
    bearer: dict[str, str]  # role -> that token's value (the API authenticates with it, not the session)
    other_researcher_id: int
    other_token_id: int
    event_ids: dict[str, int]  # visitor -> a policy event of the survey (deleting one leaves the others)
    other_event_id: int
    kept_event_ids: dict[str, int]  # visitor -> an event no route deletes (the edit page's; delete sorts first)
    instrument_id: int  # the survey's published questionnaire version (shared: loaded as the CLI does)
    digest: str = ""  # a frozen analysis plan of the survey
    other_digest: str = ""


def _url_values(world: World, visitor: str, foreign: bool = False) -> dict[str, Any]:
    """Values for every URL variable any route uses; ``foreign`` picks the other organisation's."""
    own_token = world.own_token_ids.get(visitor, world.colleague_token_id)
    return {
        "slug": world.other_slug if foreign else world.slug,
        "number": 1,
        "code": "J01",  # make_survey's first jurisdiction
        "researcher_id": world.other_researcher_id if foreign else world.colleague_id,
        "token_id": world.other_token_id if foreign else own_token,
        "filename": "css/app.css",
        "version": plotly_js_version(),
        "bearer": world.bearer.get(visitor),
        "event_id": world.other_event_id if foreign else world.event_ids[visitor],
        "digest": world.other_digest if foreign else world.digest,
        "instrument_id": world.instrument_id,
        "item_id": "eff_prevent_violence",  # a single question of the default questionnaire
        "block_id": "police_work",
        "scale_id": "effectiveness",  # removing it leaves a valid questionnaire (in a new draft)
        "language": "es",
    }


PLAN = {"outcomes": ["trust"], "estimator": "did", "subgroup": "all", "weights": "responses",
        "inference": "auto", "sesoi": 0.2, "sesoi_justification": "a fifth of a scale point is noticeable"}

# URL variables that name an object of an organisation (checked for 404 across organisations).
SCOPED_VARIABLES = {"slug", "researcher_id", "token_id", "event_id", "digest"}
# ...except where the variable names the visitor's own object (own tokens are checked per owner).
OWNER_SCOPED = {"research.revoke_api_token"}


def _rules(app: Flask) -> list[tuple[str, str, str]]:
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    )


def _route_table() -> list[tuple[str, str, str]]:
    os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="cts-matrix-"))
    return _rules(create_app(TestConfig))


ROUTES = _route_table()


@pytest.fixture(scope="module")
def matrix(database_url: str) -> Iterator[tuple[Flask, World]]:
    app = create_app(config_for(database_url, WTF_CSRF_ENABLED=False))
    with app.app_context():
        organisation = make_organisation()
        instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
        survey = make_survey(organisation=organisation, uses_invite_codes=True, instrument=instrument)
        people = {role: make_researcher(role=role, organisation=organisation) for role in ANY_ROLE}
        colleague = make_researcher(role="analyst", organisation=organisation)
        other = make_researcher(role="admin")
        other_survey = make_survey(organisation=other.organisation)
        db.session.commit()
        issued = {role: create_token(person, f"{role} token") for role, person in people.items()}
        own_tokens = {role: row.id for role, (row, _) in issued.items()}
        world = World(
            slug=survey.slug,
            other_slug=other_survey.slug,
            accounts={role: person.email for role, person in people.items()},
            colleague_id=colleague.id,
            colleague_token_id=create_token(colleague, "colleague token")[0].id,
            own_token_ids=own_tokens,
            # A second token per role: the token routes revoke the first one along the way.
            bearer={role: create_token(person, f"{role} API token")[1] for role, person in people.items()},
            other_researcher_id=other.id,
            other_token_id=create_token(other, "other token")[0].id,
            event_ids={v: make_policy_event(survey.jurisdictions[0], date(2024, 1, 1)).id for v in VISITORS},
            other_event_id=make_policy_event(other_survey.jurisdictions[0], date(2024, 1, 1)).id,
            kept_event_ids={v: make_policy_event(survey.jurisdictions[0], date(2024, 2, 1)).id for v in VISITORS},
            instrument_id=instrument.id,
            digest=freeze_plan(None, survey, PLAN).sha256,
            other_digest=freeze_plan(None, other_survey, PLAN).sha256,
        )
        db.session.commit()
    yield app, world
    empty_all_tables(app)


_logged_in: dict[tuple[int, str], Any] = {}


def _client_for(app: Flask, world: World, visitor: str) -> Any:
    """A logged-in client per role, reused across tests (argon2 makes each login cost ~0.1 s)."""
    if visitor == "anonymous":
        return app.test_client()
    key = (id(app), visitor)
    if key not in _logged_in:
        client = app.test_client()
        response = client.post("/research/login", data={"email": world.accounts[visitor], "password": STRONG_PASSWORD})
        assert response.status_code == 302, f"could not log in as {visitor}"
        _logged_in[key] = client
    return _logged_in[key]


def _forget_session(app: Flask, visitor: str) -> None:
    _logged_in.pop((id(app), visitor), None)


def _request(client: Any, method: str, rule: str, values: dict[str, Any]) -> Any:
    path = rule
    # The API ignores the session: a logged-in visitor calls it with their own bearer token.
    bearer = values.get("bearer")
    headers = {"Authorization": f"Bearer {bearer}"} if bearer and rule.startswith("/api/") else {}
    for name, value in values.items():
        for converter in ("", "int:", "path:"):
            path = path.replace(f"<{converter}{name}>", str(value))
    assert "<" not in path, f"{rule}: add its URL variable to _url_values()"
    response = client.open(path, method=method, data={} if method == "POST" else None, headers=headers)
    response.close()  # static files are streamed from an open file
    return response


def test_every_route_has_an_entry():
    registered = {endpoint for endpoint, _, _ in ROUTES}
    missing = sorted(registered - ACCESS.keys())
    stale = sorted(ACCESS.keys() - registered)
    assert not missing, f"routes without an access-matrix entry (add them to ACCESS): {missing}"
    assert not stale, f"ACCESS entries for routes that no longer exist: {stale}"


def test_view_decorators_agree_with_the_matrix():
    """Where a view carries ``allowed_roles`` (from role_required/api_auth_required), it matches ACCESS."""
    app = create_app(TestConfig)
    for endpoint, view in app.view_functions.items():
        declared = getattr(view, "allowed_roles", None)
        if declared is not None and endpoint in ACCESS:
            assert set(declared) == set(ACCESS[endpoint]) - {"anonymous"}, endpoint


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("endpoint, method, rule", ROUTES, ids=[f"{m} {r}" for _, m, r in ROUTES])
def test_access(matrix, endpoint, method, rule, visitor):
    app, world = matrix
    client = _client_for(app, world, visitor)
    values = _url_values(world, visitor)
    if endpoint == "research.policy_event_edit":
        values["event_id"] = world.kept_event_ids[visitor]
    response = _request(client, method, rule, values)
    if endpoint == "research.logout":
        _forget_session(app, visitor)
    allowed = ACCESS[endpoint]
    status = response.status_code
    if visitor in allowed:
        expected = OK.get((endpoint, method), (200,) if method == "GET" else (302, 400))
        assert status in expected, f"{visitor} {method} {rule}: {status}, expected one of {expected}"
    elif visitor == "anonymous":
        if rule.startswith("/api/"):
            assert status == 401, f"anonymous {method} {rule}: {status}"
        else:
            assert status == 302, f"anonymous {method} {rule}: {status}"
            assert response.headers["Location"].startswith("/research/login"), response.headers["Location"]
    else:
        assert status == 403, f"{visitor} {method} {rule}: {status}, expected 403"


FOREIGN = [
    (endpoint, method, rule)
    for endpoint, method, rule in ROUTES
    if endpoint not in OWNER_SCOPED
    and ACCESS.get(endpoint) != PUBLIC
    and any(f"{name}>" in rule for name in SCOPED_VARIABLES)
]


@pytest.mark.parametrize("endpoint, method, rule", FOREIGN, ids=[f"{m} {r}" for _, m, r in FOREIGN])
def test_other_organisation_is_not_found(matrix, endpoint, method, rule):
    """Allowed roles asking for another organisation's object get 404, exactly like a missing one."""
    app, world = matrix
    for visitor in ACCESS[endpoint]:
        if visitor == "anonymous":
            continue
        client = _client_for(app, world, visitor)
        response = _request(client, method, rule, _url_values(world, visitor, foreign=True))
        assert response.status_code == 404, f"{visitor} {method} {rule}: {response.status_code}"


def test_own_token_routes_refuse_a_colleagues_token(matrix):
    app, world = matrix
    client = _client_for(app, world, "admin")
    response = client.post(f"/research/account/tokens/{world.colleague_token_id}/revoke")
    assert response.status_code == 404


def test_matrix_world_is_intact(matrix):
    """The POSTs above acted on the colleague, never locked out the role accounts."""
    app, world = matrix
    with app.app_context():
        for email in world.accounts.values():
            assert db.session.query(Researcher).filter_by(email=email).one().active


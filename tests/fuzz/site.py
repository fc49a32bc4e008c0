"""The study the fuzz tests attack, the logged-in clients, and a fingerprint of every table.

``make_site`` commits an organisation with one researcher of each role, a
survey on the default instrument (two jurisdictions, waves, a policy event,
stored responses), a survey with invite codes, and an API token, so that the
form routes have real things to refer to. ``Clients`` keeps one test client
per role (anonymous included) with its session's CSRF token, logging in again
through the real form whenever a fuzzed request has ended that session.
``fingerprint`` hashes every row of every table: equal before and after a
rejected request means nothing was written.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html import unescape
from typing import Any

from sqlalchemy import select

from surveys.accounts.tokens import create_token
from surveys.extensions import db
from surveys.models import InviteCode, PolicyEvent, Survey
from surveys.studies.invites import hash_invite_code
from surveys.studies.submission import store_response
from surveys.studies.write_out import flush_all
from tests.factories import STRONG_PASSWORD, csrf_token_from, make_organisation, make_policy_event, make_researcher
from tests.respond.helpers import make_default_survey

ROLES = ("admin", "analyst", "viewer")
_NAME = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"', re.S)
_OPTION = re.compile(r'<(?:option|input)\b[^>]*\bvalue="([^"]*)"', re.S)


@dataclass
class FuzzSite:
    """Ids and names the fuzzer can aim at (plain values, usable outside an app context)."""

    slug: str
    invite_slug: str
    survey_id: int
    researcher_ids: dict[str, int]
    emails: dict[str, str]
    event_id: int
    token_id: int
    wave_numbers: tuple[int, ...]
    field_names: set[str] = field(default_factory=set)
    field_values: set[str] = field(default_factory=set)


def make_site(app: Any) -> FuzzSite:
    survey = make_default_survey(app, slug="fuzz-survey")
    invite = make_default_survey(app, slug="fuzz-invite", uses_invite_codes=True)
    with app.app_context():
        row = db.session.get(Survey, survey.id)
        organisation_id = row.organisation_id
        from surveys.models import Organisation

        organisation = db.session.get(Organisation, organisation_id)
        researchers = {role: make_researcher(role=role, organisation=organisation) for role in ROLES}
        make_researcher(role="admin", organisation=make_organisation())  # another organisation's admin
        event = make_policy_event(row.jurisdictions[0], row.waves[-1].opens_on - timedelta(days=3))
        token, _ = create_token(researchers["admin"], "fuzz token")
        invite_row = db.session.get(Survey, invite.id)
        invite_row.organisation_id = organisation_id
        db.session.add(InviteCode(survey_id=invite.id, code_hash=hash_invite_code(invite_row, "FUZZ-0001")))
        db.session.commit()
        from surveys.studies.instrument_store import parsed_instrument

        instrument = parsed_instrument(row.instrument)
        for index in range(12):
            store_response(instrument, row, row.waves[-1], row.jurisdictions[index % 2], "en",
                           {"trust_overall": index % 10, "comments": f"fuzz seed {index}"})
        flush_all(reason="fuzz seed")
        site = FuzzSite(
            slug=row.slug, invite_slug=invite.slug, survey_id=row.id,
            researcher_ids={role: r.id for role, r in researchers.items()},
            emails={role: r.email for role, r in researchers.items()},
            event_id=db.session.scalar(select(PolicyEvent.id).where(PolicyEvent.id == event.id)),
            token_id=token.id, wave_numbers=tuple(w.number for w in row.waves),
        )
    return site


def fingerprint(app: Any) -> dict[str, str]:
    """table -> hash of all its rows (order-independent)."""
    prints: dict[str, str] = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows = sorted(repr(tuple(r)) for r in db.session.execute(select(table)))
            prints[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        db.session.remove()
    return prints


def hidden_csrf(html: str) -> str | None:
    try:
        return csrf_token_from(html)
    except AssertionError:
        return None


class Clients:
    """One test client per role ('anonymous' too), each with its session's CSRF token."""

    def __init__(self, app: Any, site: FuzzSite):
        self.app = app
        self.site = site
        self._clients: dict[str, Any] = {}
        self._tokens: dict[str, str] = {}
        self.logins = 0
        self.repairs = 0

    def _login(self, client: Any, role: str) -> int:
        page = client.get("/research/login")
        response = client.post("/research/login", data={
            "email": self.site.emails[role], "password": STRONG_PASSWORD,
            "csrf_token": csrf_token_from(page.get_data(as_text=True))})
        return response.status_code

    def _repair(self, role: str) -> None:
        """Undo what accepted fuzzed requests may have done to the account (disabled it, changed its
        password or role): the harness's own repair between examples, not a request under test."""
        from surveys.models import Researcher

        with self.app.app_context():
            researcher = db.session.get(Researcher, self.site.researcher_ids[role])
            researcher.active = True
            researcher.role = role
            researcher.set_password(STRONG_PASSWORD)
            db.session.commit()
        self.repairs += 1

    def _fresh(self, role: str) -> None:
        client = self.app.test_client()
        if role != "anonymous":
            if self._login(client, role) != 302:
                self._repair(role)
                status = self._login(client, role)
                assert status == 302, f"login as {role} after repair: {status}"
            self.logins += 1
            token = hidden_csrf(client.get("/research/account/password").get_data(as_text=True))
        else:
            token = hidden_csrf(client.get(f"/s/{self.site.slug}").get_data(as_text=True))
        assert token
        self._clients[role], self._tokens[role] = client, token

    def get(self, role: str) -> tuple[Any, str]:
        """The role's client and CSRF token, logged in again if a fuzzed request ended its session."""
        if role not in self._clients:
            self._fresh(role)
        elif role != "anonymous":
            probe = self._clients[role].get("/research/account/password")
            if probe.status_code != 200:
                self._fresh(role)
        return self._clients[role], self._tokens[role]


def harvest_fields(app: Any, site: FuzzSite, clients: Clients) -> None:
    """Collect the field names and option values of every form page (as an admin and as a respondent)."""
    pages = [
        "/research/", "/research/account/password", "/research/account/tokens", "/research/surveys/new",
        f"/research/surveys/{site.slug}/manage", f"/research/surveys/{site.slug}/settings",
        f"/research/surveys/{site.slug}/jurisdictions/new", f"/research/surveys/{site.slug}/waves/new",
        f"/research/surveys/{site.slug}/events/new", f"/research/surveys/{site.slug}/invite-codes",
        f"/research/surveys/{site.slug}/export", "/research/admin/researchers", "/research/admin/researchers/new",
        f"/research/admin/researchers/{site.researcher_ids['viewer']}", "/research/admin/tokens",
    ]
    client, _ = clients.get("admin")
    for path in pages:
        html = unescape(client.get(path).get_data(as_text=True))
        site.field_names.update(_NAME.findall(html))
        site.field_values.update(v for v in _OPTION.findall(html) if len(v) < 60)
    anonymous = app.test_client()
    html = anonymous.get(f"/s/{site.slug}").get_data(as_text=True)
    site.field_names.update(_NAME.findall(html))
    from surveys.studies.instrument_store import parsed_instrument

    with app.app_context():
        instrument = parsed_instrument(db.session.get(Survey, site.survey_id).instrument)
        site.field_names.update(f"q_{q.id}" for q in instrument.questions())
    site.field_names -= {"csrf_token"}

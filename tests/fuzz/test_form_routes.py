"""Hypothesis fuzz of every form route: no 500, no traceback, and a refused request writes nothing.

Every POST route outside ``/api/`` (the API has schemathesis, ``tests/api``)
gets generated requests: real or invented path parameters, field names taken
from the app's own form pages or invented, values from the pages' options or
arbitrary Unicode, numbers, dates, markup, injection strings, very long text,
repeated fields, raw bodies in odd encodings; sent anonymously or as an admin,
analyst or viewer, with a valid, missing, forged or other session's CSRF token.

Checked for every request: the status is not 5xx, the body holds no
traceback, and when the status is 4xx (refused) every table's rows are
exactly as before (``site.fingerprint``); so too when an anonymous request is
sent to the login page. A request that succeeds may change data; that is the
point of a form.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import create_app
from tests.conftest import config_for, empty_all_tables
from tests.respond.helpers import hidden_value

from .site import Clients, FuzzSite, fingerprint, harvest_fields, hidden_csrf, make_site
from .tally import TALLY

EXAMPLES_RESEARCH = 400
EXAMPLES_RESPOND = 300

ODD_VALUES = [
    "", " ", "0", "-1", "1e309", "NaN", "inf", "2024-02-30", "9999-12-31", "0001-01-01", "1970-01-01",
    "<script>alert(1)</script>", "' OR 1=1 --", '"; DROP TABLE response; --', "\x00", "\r\n", "a" * 1001,
    "é" * 300, "٣٤", "../../etc/passwd", "%00", "true", "null", "[]", "{}", "admin", "ADMIN", "viewer",
    "submit", "next", "back", "en", "es", "ar", "zz", "J01", "J02", "FUZZ-0001", "fuzz-0001",
    "-9999999999999999999999", "3.5", "12,5", "\u202e", "\ufeff", "😀", "x@example.org",
]
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@pytest.fixture
def fuzz_app(database_url):
    """The suite's database and app, with login throttling off so a fuzzed wrong password cannot lock a role out."""
    application = create_app(config_for(database_url, LOGIN_THROTTLE_ENABLED=False))
    yield application
    empty_all_tables(application)


def post_routes(app) -> list:
    return sorted(
        (rule for rule in app.url_map.iter_rules()
         if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/")),
        key=lambda rule: rule.rule,
    )


def _path_strategy(rule, site: FuzzSite):
    """A strategy of paths for ``rule``: mostly real ids and slugs, sometimes invented ones."""
    real_ints = {
        "token_id": [site.token_id], "researcher_id": list(site.researcher_ids.values()),
        "event_id": [site.event_id], "number": list(site.wave_numbers),
    }
    parts = {}
    for name in rule.arguments:
        if name == "slug":
            parts[name] = st.one_of(st.sampled_from([site.slug, site.invite_slug]),
                                    st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1,
                                            max_size=90))
        else:
            parts[name] = st.one_of(st.sampled_from(real_ints.get(name, [1])), st.integers(0, 2**31))
    return st.fixed_dictionaries(parts).map(lambda values: rule.build(values, append_unknown=False)[1])


def _fields_strategy(site: FuzzSite, extra_values: list[str]):
    values = st.one_of(st.sampled_from(sorted(site.field_values) + extra_values), TEXT,
                       st.integers(-(10**12), 10**12).map(str), st.sampled_from(ODD_VALUES))
    names = st.one_of(st.sampled_from(sorted(site.field_names)), TEXT.filter(bool))
    return st.dictionaries(names, st.one_of(values, st.lists(values, min_size=2, max_size=3)), max_size=10)


RAW_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "multipart/form-data",
             "text/plain", "application/json", "application/x-www-form-urlencoded; charset=latin-1"]


CSRF_MODES = ["valid", "missing", "forged", "other"]


def _exercise(app, clients: Clients, site: FuzzSite, paths, fields, roles, label: str, examples: int,
              csrf_modes: list[str] = CSRF_MODES) -> None:
    """Run ``examples`` generated requests and check each; counts go to TALLY[label]."""
    tally = TALLY.setdefault(label, {"requests": 0, "refused": 0, "accepted": 0, "statuses": {}, "routes": set()})
    request = st.fixed_dictionaries({
        "path": paths, "role": roles, "csrf": st.sampled_from(csrf_modes),
        "fields": fields, "body": st.sampled_from(["form"] * 8 + ["raw", "too large"]),
        "raw": st.tuples(st.sampled_from(RAW_TYPES), st.binary(max_size=300)),
    })

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=request)
    def run(case) -> None:
        client, token = clients.get(case["role"])
        data = dict(case["fields"])
        if case["body"] == "too large":
            data["comments"] = "x" * 300_000  # over MAX_CONTENT_LENGTH: must be a 413, never parsed
        if case["csrf"] == "valid":
            data["csrf_token"] = token
        elif case["csrf"] == "forged":
            data["csrf_token"] = token[:-4] + "AAAA"
        elif case["csrf"] == "other":
            data["csrf_token"] = clients.get("anonymous" if case["role"] != "anonymous" else "viewer")[1]
        before = fingerprint(app)
        if case["body"] == "raw":
            content_type, body = case["raw"]
            response = client.post(case["path"], data=body, content_type=content_type)
        else:
            response = client.post(case["path"], data=data)
        text = response.get_data(as_text=True)
        status = response.status_code
        tally["requests"] += 1
        tally["statuses"][status] = tally["statuses"].get(status, 0) + 1
        tally["routes"].add(case["path"].split("/")[1] + ":" + str(len(case["path"].split("/"))))
        assert status < 500, f"{status} for POST {case['path']} as {case['role']}: {text[:1000]}"
        assert "Traceback" not in text and 'File "/' not in text, f"traceback in POST {case['path']}"
        to_login = (case["role"] == "anonymous" and status in (301, 302, 303)
                    and "/research/login" in response.headers.get("Location", ""))
        if status >= 400 or to_login:
            tally["refused"] += 1
            after = fingerprint(app)
            changed = [table for table in before if before[table] != after[table]]
            assert not changed, f"refused ({status}) POST {case['path']} as {case['role']} changed {changed}"
        else:
            tally["accepted"] += 1

    run()


def test_fuzz_research_form_routes(fuzz_app):
    site = make_site(fuzz_app)
    clients = Clients(fuzz_app, site)
    harvest_fields(fuzz_app, site, clients)
    routes = [r for r in post_routes(fuzz_app) if r.rule.startswith("/research/")]
    assert len(routes) >= 20
    paths = st.one_of(*[_path_strategy(rule, site) for rule in routes])
    roles = st.sampled_from(["anonymous", "admin", "analyst", "viewer"])
    _exercise(fuzz_app, clients, site, paths, _fields_strategy(site, list(site.emails.values())), roles,
              "research forms", EXAMPLES_RESEARCH)
    TALLY["research forms"]["route_count"] = len(routes)
    assert TALLY["research forms"]["requests"] == EXAMPLES_RESEARCH


def _respondent_fields_strategy(site: FuzzSite, states: list[str]):
    """Respondent forms: the page's own fields (a real, tampered or invented state; nav; language...) plus
    answers that are mostly in range, so generated requests get past the signature to the answer checks."""
    tampered = [s[:-3] + "abc" for s in states] + [s[: len(s) // 2] for s in states]
    anything = st.one_of(TEXT, st.sampled_from(ODD_VALUES), st.integers(-(10**9), 10**9).map(str))
    real = st.sampled_from(states)
    own = st.fixed_dictionaries({"state": st.one_of(real, real, real, st.sampled_from(tampered), anything)}, optional={
        "nav": st.one_of(st.sampled_from(["next", "back", "submit"]), anything),
        "lang": st.one_of(st.sampled_from(["en", "es", "ar"]), anything),
        "switch_lang": st.one_of(st.sampled_from(["en", "es", "ar"]), anything),
        "jurisdiction": st.one_of(st.sampled_from(["J01", "J02"]), anything),
        "invite_code": st.one_of(st.just("FUZZ-0001"), anything),
        "fixed_j": anything,
    })
    code = st.one_of(st.integers(-2, 12).map(str), anything)
    answers = st.dictionaries(st.sampled_from(sorted(n for n in site.field_names if n.startswith("q_"))),
                              st.one_of(code, st.lists(code, min_size=2, max_size=4)), max_size=8)
    return st.tuples(own, answers, _fields_strategy(site, [])).map(
        lambda parts: {**parts[2], **parts[1], **parts[0]})


def _respondent_states(app, site: FuzzSite) -> list[str]:
    """Real signed states of the survey, one per page, from a walk through the pages."""
    client = app.test_client()
    token = hidden_csrf(client.get(f"/s/{site.slug}").get_data(as_text=True))
    page = client.post(f"/s/{site.slug}", data={"csrf_token": token, "lang": "en", "jurisdiction": "J01"},
                       follow_redirects=True)  # Post/Redirect/Get
    states = []
    for _ in range(7):
        state = hidden_value(page.get_data(as_text=True), "state")
        if not state:
            break
        states.append(state)
        page = client.post(f"/s/{site.slug}/page", follow_redirects=True,
                           data={"csrf_token": token, "state": state, "lang": "en", "nav": "next"})
    assert len(states) == 7, len(states)
    return states


def test_fuzz_respondent_form_routes(fuzz_app):
    site = make_site(fuzz_app)
    clients = Clients(fuzz_app, site)
    harvest_fields(fuzz_app, site, clients)
    routes = [r for r in post_routes(fuzz_app) if r.rule.startswith("/s/")]
    assert {r.rule for r in routes} == {"/s/<slug>", "/s/<slug>/page"}
    states = _respondent_states(fuzz_app, site)
    site.field_names.update({"state", "nav", "lang", "switch_lang", "jurisdiction", "invite_code", "fixed_j"})
    paths = st.one_of(*[_path_strategy(rule, site) for rule in routes])
    # Mostly anonymous (as respondents are); a researcher's session must not change anything either.
    roles = st.sampled_from(["anonymous"] * 3 + ["viewer"])
    paths = st.one_of(paths, st.just(f"/s/{site.slug}/page"), st.just(f"/s/{site.slug}/page"))
    _exercise(fuzz_app, clients, site, paths, _respondent_fields_strategy(site, states), roles,
              "respondent forms", EXAMPLES_RESPOND, csrf_modes=["valid"] * 5 + CSRF_MODES[1:])
    TALLY["respondent forms"]["route_count"] = len(routes)
    assert TALLY["respondent forms"]["requests"] == EXAMPLES_RESPOND

"""Thousands of concurrent submissions to gunicorn with 4 workers: each accepted one stored once and whole.

Runs on the suite's backend (SQLite WAL file, or PostgreSQL with
``TEST_DATABASE_URL``), all tests of this module on one server
(``shared_site``), each on a survey of its own. Rate limiting stays on (Redis
when it runs, as in a multi-worker deployment) with a limit far above the
load, since every client here shares the loopback address.
"""
from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from .client import ANSWER_ROWS, Respondent, StateSigner, answers_for, new_marker
from .firing import Stored, fire, template_state

pytestmark = pytest.mark.load

SUBMISSIONS = 2000
THREADS = 50


def signer_for(site, survey) -> StateSigner:
    return StateSigner(site.server.secret_key, survey.survey_id, template_state(site.server.url, survey))


def test_2000_concurrent_submissions_are_each_stored_once_and_whole(shared_site):
    survey = shared_site.new_survey()
    server = shared_site.server
    tokens_before = Stored.read(survey.database_url).tokens

    fired = fire(server.url, survey, signer_for(shared_site, survey), SUBMISSIONS, THREADS, walk_every=20)
    print(fired.summary())

    assert not fired.server_errors(), fired.summary()
    assert len(fired.accepted) == SUBMISSIONS, fired.summary()
    stored = Stored.read(survey.database_url, survey.survey_id, server.secret_key)
    assert stored.check_each(fired) == {"accepted": SUBMISSIONS}  # each stored once, whole; nothing else
    assert stored.responses == len(fired.accepted)
    assert stored.tokens - tokens_before == stored.responses  # one used one-time token per stored response
    assert "Traceback" not in server.log()


def _prepared_respondents(server, survey, count: int,
                          invite_code: str | None = None) -> list[tuple[dict, dict]]:
    """``count`` respondents who walked every page up to the final submit (not yet posted), with their answers."""
    respondent = Respondent(server.url, survey)

    def prepare(index: int) -> tuple[dict, dict]:
        answers = answers_for(new_marker("race"))
        outcome, hidden = respondent.walk(answers, jurisdiction="J01", invite_code=invite_code,
                                          stop_before_submit=True)
        assert "state" in hidden, outcome
        return hidden, answers

    with ThreadPoolExecutor(max_workers=10) as pool:
        return list(pool.map(prepare, range(count)))


def _race(server, survey, prepared: list[tuple[dict, dict]]) -> list:
    """Post every prepared last page at the same moment (a barrier releases all threads together)."""
    respondent = Respondent(server.url, survey)
    barrier = threading.Barrier(len(prepared))

    def go(index: int):
        hidden, answers = prepared[index]
        barrier.wait(timeout=60)
        return respondent.submit_prepared(hidden, answers)

    with ThreadPoolExecutor(max_workers=len(prepared)) as pool:
        return list(pool.map(go, range(len(prepared))))


def test_twenty_racing_submissions_with_one_invite_code_exactly_one_wins(shared_site):
    survey = shared_site.new_survey(invite_codes=("K7QM-2XWP",))
    server = shared_site.server
    # All twenty pass the start page's (read-only) check: the code is still unused.
    prepared = _prepared_respondents(server, survey, 20, invite_code="k7qm 2xwp")

    outcomes = _race(server, survey, prepared)

    statuses = sorted(o.status for o in outcomes)
    assert statuses == [303] + [409] * 19, statuses
    stored = Stored.read(survey.database_url, survey.survey_id, server.secret_key)
    assert stored.responses == 1
    [winner] = [o for o in outcomes if o.accepted]
    assert stored.by_marker == {winner.marker: [ANSWER_ROWS]}
    assert "Traceback" not in server.log()


def test_twenty_racing_posts_of_one_form_store_it_once(shared_site):
    """A double (or twentyfold) click: the same form posted concurrently is one response, and every post says thanks."""
    survey = shared_site.new_survey()
    server = shared_site.server
    tokens_before = Stored.read(survey.database_url).tokens
    [(prepared, answers)] = _prepared_respondents(server, survey, 1)

    outcomes = _race(server, survey, [(prepared, answers)] * 20)

    assert [o.status for o in outcomes] == [303] * 20
    stored = Stored.read(survey.database_url, survey.survey_id, server.secret_key)
    assert stored.by_marker == {answers["comments"]: [ANSWER_ROWS]}
    assert stored.responses == 1 and stored.tokens - tokens_before == 1
    assert "Traceback" not in server.log()


def test_a_worker_killed_mid_load_loses_no_submission_and_is_replaced(shared_site):
    """SIGKILL one of the 4 workers while 50 clients submit: gunicorn respawns it, and nothing is half-stored.

    The request the dead worker was serving gets no answer; the client sends it again (a browser's retry),
    which the one-time submission token makes safe: stored once whether or not the first try committed.
    """
    survey = shared_site.new_survey()
    server = shared_site.server
    workers = server.wait_for_workers()
    signer = signer_for(shared_site, survey)
    killed: list[int] = []

    def kill_one_worker() -> None:
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    fired = fire(server.url, survey, signer, 600, THREADS, walk_every=10, when=(0.3, kill_one_worker))
    print(fired.summary())

    assert killed and killed[0] in workers and fired.events["after_submissions"] < 600
    respawned = server.wait_for_workers(timeout=60)
    assert len(respawned) == 4 and killed[0] not in respawned
    assert f"(pid:{killed[0]}) was sent SIGKILL" in server.log()
    assert not fired.server_errors(), fired.summary()
    stored = Stored.read(survey.database_url, survey.survey_id, server.secret_key)
    tally = stored.check_each(fired)  # accepted -> once and whole; refused -> absent; no response without answers
    assert tally == {"accepted": 600}, tally
    assert stored.responses == 600
    # Recovered without a manual step: fresh submissions go through on every worker.
    after = fire(server.url, survey, signer, 40, 8, walk_every=4, prefix="after")
    assert len(after.accepted) == 40, after.summary()
    assert "Traceback" not in server.log()

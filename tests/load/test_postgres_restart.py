"""PostgreSQL restarts while 50 clients submit: nothing half-stored, clean 503s, recovery without a hand.

The server restarted is a private cluster made for this test (initdb in a
temporary folder, its own port), never the shared one on 5432 that other
suites use. It runs whichever backend the rest of the suite uses.
"""
from __future__ import annotations

import time

import pytest

from .client import StateSigner
from .firing import Stored, fire, template_state
from .harness import healthy, postgres_binaries_available, postgres_cluster, prepare_survey, require

pytestmark = pytest.mark.load

SUBMISSIONS = 400
THREADS = 50


@pytest.fixture
def private_postgres():
    require(postgres_binaries_available(), "PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    with postgres_cluster() as cluster:
        yield cluster


def test_postgres_restart_mid_load(private_postgres, serve, tmp_path):
    cluster = private_postgres
    survey = prepare_survey(cluster.create_database("cts_restart"), tmp_path / "instance")
    server = serve(survey, SUBMISSION_RATE_LIMIT="1000000 per hour; 1000000 per day")
    signer = StateSigner(server.secret_key, survey.survey_id, template_state(server.url, survey))
    health_while_down: list[int] = []

    def restart() -> None:
        cluster.stop("fast")  # ends every connection of every worker, mid-transaction or not
        try:
            import requests

            health_while_down.append(requests.get(f"{server.url}/healthz", timeout=10).status_code)
            time.sleep(1.0)  # down long enough for requests in flight to meet it
        finally:
            cluster.start()

    fired = fire(server.url, survey, signer, SUBMISSIONS, THREADS, walk_every=10, when=(0.3, restart))
    print(fired.summary())

    assert fired.events["after_submissions"] < SUBMISSIONS  # the restart happened mid-load
    assert health_while_down == [503]
    errors = fired.server_errors()
    assert set(errors) <= {503}, f"only clean 503s while the database is away, got {fired.summary()}"
    stored = Stored.read(survey.database_url, survey.survey_id, server.secret_key)
    tally = stored.check_each(fired)  # accepted -> once, whole; refused -> nothing stored; none without answers
    assert tally.get("unanswered", 0) == 0, tally
    assert stored.responses == len(fired.accepted)
    # Recovery without a manual step: healthy again, and new submissions are stored (pool_pre_ping).
    deadline = time.monotonic() + 30
    while not healthy(server.url) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert healthy(server.url)
    after = fire(server.url, survey, signer, 60, 12, walk_every=5, prefix="after")
    assert len(after.accepted) == 60, after.summary()
    stored_after = Stored.read(survey.database_url, survey.survey_id, server.secret_key)
    assert stored_after.check_each(after, ignore_prefix=("template-", "load-"))["accepted"] == 60
    print(f"refused while down: {tally.get('refused', 0)}; statuses {dict(fired.statuses())}")

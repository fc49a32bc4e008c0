"""CPU time per final submit, in process: the app against ``reference_app.py`` in the same run.

    python bench/bench_submit_cpu.py [--count 400] [--profile]

Both apps run under the Flask test client in this one thread, on SQLite WAL files
in a temporary directory; ``time.process_time`` over ``--count`` requests gives the
CPU milliseconds per request. CPU time (not wall time) is what a shared, loaded
machine leaves meaningful, and the ratio reference / app is an upper bound for the
throughput ratio under gunicorn (which adds the same per-request cost to both).

One app request is the survey's final POST (``nav=submit``) exactly as in
``bench_submissions.py``: a real CSRF token and session cookie, a state the server
produced during a real walk re-sealed with a fresh one-time token, the rate limit
enabled (Redis on 6379 when it runs, as in ``bench_submissions.py``), and every 10th submission writing a batch out.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import BENCH, ROOT

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from tests.load.client import (  # noqa: E402
    LAST_PAGE_ITEMS,
    StateSigner,
    _form_value,
    answers_for,
    hidden_inputs,
    new_marker,
    question_fields,
)

HIGH_LIMIT = "100000000 per hour; 100000000 per day"


def walk_to_last_page(client: Any, slug: str) -> dict[str, str]:
    """GET the start page, POST it and each page up to the last one; the last page's hidden fields."""
    answers = answers_for(new_marker("template"))
    hidden = hidden_inputs(client.get(f"/s/{slug}?lang=en").get_data(as_text=True))
    # Every page POST answers 303 to the next page's GET (Post/Redirect/Get): follow it, as a browser does.
    response = client.post(f"/s/{slug}", data={"csrf_token": hidden["csrf_token"], "lang": "en", "jurisdiction": "J01"},
                           follow_redirects=True)
    for _ in range(12):
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[:500]
        hidden = hidden_inputs(html)
        if 'value="submit"' in html:
            return hidden
        page = {f"q_{q}": _form_value(answers[q]) for q in question_fields(html) if q in answers}
        response = client.post(f"/s/{slug}/page", data={"csrf_token": hidden["csrf_token"], "state": hidden["state"],
                                                          "lang": "en", "nav": "next", **page},
                               follow_redirects=True)
    raise AssertionError("the survey never ended")


def cpu_ms(post: Any, bodies: list[dict[str, Any]], expect: int) -> float:
    began = time.process_time()
    for body in bodies:
        response = post(body)
        if response.status_code != expect:
            raise AssertionError(f"status {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return (time.process_time() - began) * 1000 / len(bodies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400, help="requests per app and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each is kept")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the app's submissions")
    args = parser.parse_args()

    from reference_app import create_reference_app, create_table

    from surveys import create_app
    from surveys.extensions import db
    from tests.conftest import config_for
    from tests.load.harness import REDIS_URL, prepare_survey, redis_available

    work = Path(tempfile.mkdtemp(prefix="cts-submit-cpu-"))
    os.environ["INSTANCE_PATH"] = str(work)
    app_url, ref_url = f"sqlite:///{work}/app.db", f"sqlite:///{work}/reference.db"
    survey = prepare_survey(app_url, work)
    create_table(ref_url)
    storage = REDIS_URL if redis_available() else "memory://"  # as bench_submissions.py
    app = create_app(config_for(app_url, TESTING=False, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage,
                                SUBMISSION_RATE_LIMIT=HIGH_LIMIT))
    reference = create_reference_app(ref_url)
    client = app.test_client()
    hidden = walk_to_last_page(client, survey.slug)
    signer = StateSigner(app.config["SECRET_KEY"], survey.survey_id, hidden["state"])
    ref_client = reference.test_client()

    def bodies(count: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(count):
            answers = answers_for(new_marker("cpu"))
            fields = {"csrf_token": hidden["csrf_token"], "state": signer.sign(answers), "lang": "en", "nav": "submit"}
            fields.update({f"q_{q}": str(answers[q]) for q in LAST_PAGE_ITEMS})
            out.append(fields)
        return out

    def app_post(body: dict[str, Any]) -> Any:
        return client.post(f"/s/{survey.slug}/page", data=body)

    def ref_post(body: dict[str, Any]) -> Any:
        return ref_client.post("/submit", data=body)

    cpu_ms(app_post, bodies(50), 303)  # warm-up: compiled forms, statement caches, connections
    cpu_ms(ref_post, bodies(50), 303)
    # App and reference alternate in blocks of 25 requests, so that both see the same machine
    # (CPU time per request still drifts with other processes' cache and frequency effects).
    app_best, ref_best, ratios = float("inf"), float("inf"), []
    for _ in range(args.rounds):
        app_ms = ref_ms = 0.0
        blocks = max(1, args.count // 25)
        for _ in range(blocks):
            app_ms += cpu_ms(app_post, bodies(25), 303) / blocks
            ref_ms += cpu_ms(ref_post, bodies(25), 303) / blocks
        app_best, ref_best = min(app_best, app_ms), min(ref_best, ref_ms)
        ratios.append(app_ms / ref_ms)
    ratio = sorted(ratios)[len(ratios) // 2]
    print(f"app:       {app_best:.2f} ms CPU per submission (best of {args.rounds} rounds x {args.count})")
    print(f"reference: {ref_best:.2f} ms CPU per request")
    print(f"app / reference CPU (median of rounds): {ratio:.1f}x; reference / app: {1 / ratio:.0%}")
    print(f"load average: {os.getloadavg()[0]:.1f}")
    if args.profile:
        batch = bodies(args.count)
        profiler = cProfile.Profile(time.process_time)  # CPU, not waits on the database or Redis
        profiler.enable()
        for body in batch:
            app_post(body)
        profiler.disable()
        profiler.dump_stats(work / "submit.prof")
        print(f"profile saved to {work / 'submit.prof'}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()

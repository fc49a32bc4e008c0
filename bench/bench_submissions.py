"""Submission throughput: complete survey submissions per second, p50/p99 latency, vs a bare INSERT app.

    python bench/bench_submissions.py [--seconds 20] [--repeats 2] [--backends sqlite,postgresql]

For each backend (a SQLite WAL file; a scratch database on the PostgreSQL at
``--postgres``), two gunicorn servers run side by side with the same
``gunicorn.conf.py`` (4 workers): the real app, and ``bench/reference_app.py``
(parse the same form, INSERT one row of the same size, answer 303). wrk posts
from 50 concurrent connections, alternating app and reference runs so that
both see the same machine load; each pair gives a ratio.

What one app request is: the final POST of the survey (``nav=submit``) with a
valid CSRF token and an encrypted state that holds the earlier pages' answers (a
real state from the server, re-sealed with a fresh one-time token per request,
see ``tests/load/client.py``). The server checks the signature and the CSRF
token, validates the page and every answer against the instrument, computes
the scale scores, checks and counts the rate limit (Redis, as a multi-worker
deployment must), and stores the token, and the response with its answers sealed
in ``response_buffer``, in one transaction, then redirects to the thank-you page;
every k-th submission (k = the survey's minimum cell size, 10) also writes the
buffered batch out to the response tables (issue 11). Every body is used once.
"Stored" counts written-out and buffered responses.

Targets (issue 6): app >= 60% of the reference throughput; p99 < 100 ms at 50
clients. A last run per backend uses 4 clients (as many as workers) to show
the latency of a site that is not saturated: with 50 clients that always
wait, latency is 50 / throughput (Little's law) whatever the code does.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

import requests
from common import BENCH, ROOT, machine, run_wrk, write_result
from sqlalchemy import create_engine, func, select

from tests.conftest import create_scratch_database, drop_scratch_database
from tests.load.client import LAST_PAGE_ITEMS, StateSigner, answers_for, hidden_inputs, new_marker
from tests.load.firing import template_state
from tests.load.harness import REDIS_URL, gunicorn_server, prepare_survey, redis_available, server_env

HIGH_LIMIT = "100000000 per hour; 100000000 per day"


def make_bodies(server, survey, path: Path, count: int) -> str:
    """Write ``count`` final-page bodies (fresh one-time tokens) to ``path``; returns the session cookie header."""
    with requests.Session() as session:
        session.trust_env = False
        page = session.get(f"{server.url}/s/{survey.slug}?lang=en", timeout=30)
        csrf = hidden_inputs(page.text)["csrf_token"]
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.get_dict().items())
    signer = StateSigner(server.secret_key, survey.survey_id, template_state(server.url, survey))
    with path.open("w") as out:
        for _ in range(count):
            answers = answers_for(new_marker("bench"))
            fields = {"csrf_token": csrf, "state": signer.sign(answers), "lang": "en", "nav": "submit"}
            fields.update({f"q_{q}": str(answers[q]) for q in LAST_PAGE_ITEMS})
            out.write(urlencode(fields) + "\n")
    return cookie


def stored_responses(url: str) -> int:
    """Responses in the database: written out, plus those waiting (sealed) in the buffer."""
    from surveys.models import Response, ResponseBuffer

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sum(conn.execute(select(func.count()).select_from(model)).scalar_one()
                       for model in (Response, ResponseBuffer))
    finally:
        engine.dispose()


def bench_backend(backend: str, args: argparse.Namespace, work: Path) -> dict:
    from reference_app import create_table

    created: list[str] = []
    if backend == "sqlite":
        app_url, ref_url = f"sqlite:///{work}/app.db", f"sqlite:///{work}/reference.db"
    else:
        app_url, ref_url = create_scratch_database(args.postgres), create_scratch_database(args.postgres)
        created += [app_url, ref_url]
    try:
        instance = work / f"instance-{backend}"
        survey = prepare_survey(app_url, instance)
        create_table(ref_url)
        storage = REDIS_URL if redis_available() else "memory://"
        app_env = server_env(app_url, instance, RATELIMIT_STORAGE_URI=storage, SUBMISSION_RATE_LIMIT=HIGH_LIMIT)
        ref_env = server_env(ref_url, instance, PYTHONPATH=str(BENCH))
        runs: list[dict] = []
        with ExitStack() as stack:
            app = stack.enter_context(gunicorn_server(app_env))
            ref = stack.enter_context(gunicorn_server(ref_env, app="reference_app:app", cwd=BENCH))
            count = args.seconds * args.max_rps
            warm = work / "warm.txt"
            cookie = make_bodies(app, survey, warm, 200 * args.warmup)
            run_wrk(f"{app.url}/s/{survey.slug}/page", warm, cookie, args.warmup)
            run_wrk(f"{ref.url}/submit", warm, cookie, args.warmup)
            for repeat in range(1, args.repeats + 1):
                bodies = work / f"bodies-{backend}-{repeat}.txt"
                cookie = make_bodies(app, survey, bodies, count)
                before = stored_responses(app_url)
                mine = run_wrk(f"{app.url}/s/{survey.slug}/page", bodies, cookie, args.seconds)
                mine["stored"] = stored_responses(app_url) - before
                reference = run_wrk(f"{ref.url}/submit", bodies, cookie, args.seconds)
                ratio = mine["rps"] / reference["rps"] if reference["rps"] else float("nan")
                runs.append({"repeat": repeat, "app": mine, "reference": reference, "ratio": round(ratio, 3)})
                print(f"{backend} run {repeat}: app {mine['rps']} req/s p50 {mine['p50_ms']} ms "
                      f"p99 {mine['p99_ms']} ms (statuses {mine['statuses']}, stored {mine['stored']}); "
                      f"reference {reference['rps']} req/s p50 {reference['p50_ms']} ms p99 {reference['p99_ms']} ms; "
                      f"ratio {ratio:.0%}; load {mine['loadavg_before']}->{reference['loadavg_after']}", flush=True)
            # Little's law: with 50 clients always waiting, latency is 50 / throughput whatever the code
            # does. The service time a respondent sees when the site is not saturated: 4 clients, 4 workers.
            bodies = work / f"bodies-{backend}-light.txt"
            cookie = make_bodies(app, survey, bodies, args.light_seconds * args.max_rps)
            light = run_wrk(f"{app.url}/s/{survey.slug}/page", bodies, cookie, args.light_seconds,
                            connections=args.light_connections)
            light_ref = run_wrk(f"{ref.url}/submit", bodies, cookie, args.light_seconds,
                                connections=args.light_connections)
            print(f"{backend} at {args.light_connections} clients: app {light['rps']} req/s p50 {light['p50_ms']} ms "
                  f"p99 {light['p99_ms']} ms; reference {light_ref['rps']} req/s p50 {light_ref['p50_ms']} ms "
                  f"p99 {light_ref['p99_ms']} ms; ratio {light['rps'] / (light_ref['rps'] or float('nan')):.0%}; "
                  f"load {light['loadavg_before']}->{light_ref['loadavg_after']}", flush=True)
        return {"backend": backend, "runs": runs, "light": {"connections": args.light_connections,
                                                            "app": light, "reference": light_ref},
                "ratio_mean": round(statistics.mean(r["ratio"] for r in runs), 3),
                "app_p99_max_ms": max(r["app"]["p99_ms"] for r in runs)}
    finally:
        for url in created:
            drop_scratch_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20, help="length of each measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per server")
    parser.add_argument("--repeats", type=int, default=2, help="app/reference pairs per backend")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--max-rps", type=int, default=400, help="bodies made per second of run (an upper bound)")
    parser.add_argument("--light-connections", type=int, default=4, help="clients of the unsaturated run")
    parser.add_argument("--light-seconds", type=int, default=10)
    args = parser.parse_args()
    os.chdir(ROOT)
    began = time.time()
    results = []
    with tempfile.TemporaryDirectory(prefix="cts-bench-") as tmp:
        for backend in args.backends.split(","):
            results.append(bench_backend(backend.strip(), args, Path(tmp)))
    for result in results:
        print(f"{result['backend']}: app/reference throughput {[r['ratio'] for r in result['runs']]} "
              f"(mean {result['ratio_mean']:.0%}, target >= 60%); app p99 max {result['app_p99_max_ms']} ms "
              f"(target < 100 ms)")
    path = write_result("bench_submissions", {
        "command": "python bench/bench_submissions.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "postgres"),
        "seconds_total": round(time.time() - began), "connections": 50, "workers": 4,
        "results": results, "machine_after": machine()})
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

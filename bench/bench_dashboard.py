"""Dashboard at 1,000,000 responses: median and p95 page time on SQLite and PostgreSQL.

Not a timed test: it prints figures. For each backend it migrates an empty
database, seeds one survey of 200 jurisdictions x 20 waves with ~1M responses
from ``analysis.simulate`` (staggered policy events in 60 jurisdictions),
bulk-inserted (SQLite: ``executemany`` in 100k-row transactions; PostgreSQL:
``COPY``), then logs a viewer in and requests through the real app (Flask's
test client, in process, so no network is timed):

* the dashboard page, first (cold: the GROUP BY plus suppression) and then
  ``--requests`` times (median, p95), cycling through filter selections, with
  the production cache settings (the response count is rechecked every 30 s);
* the same, but rechecking the count on every view (``AGGREGATE_RECHECK_SECONDS=0``);
* the same page with the aggregate cache invalidated before each request
  (what every view would cost without the cache);
* the estimates endpoint (DiD, DDD, event study on cell means) cold and warm;
* the reference, measured in the same run: a bare ``SELECT count(*)`` of the
  survey's responses through the same SQLAlchemy session (the change signal
  the cache itself pays on every view).

Only ``response`` rows are seeded (no ``answer`` rows): the dashboard reads
the stored scale scores, never the answers.

    python bench/bench_dashboard.py [--responses 1000000] [--requests 30] [--backend sqlite|postgresql|both]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="cts-bench-"))

import numpy as np  # noqa: E402
from sqlalchemy import func, make_url, select  # noqa: E402

from analysis.simulate import SimulationParams, simulate  # noqa: E402
from surveys import create_app  # noqa: E402
from surveys.config import TestConfig, normalise_database_url  # noqa: E402
from tests.conftest import create_scratch_database, drop_scratch_database  # noqa: E402

N_JURISDICTIONS, N_WAVES, N_TREATED = 200, 20, 60
PASSWORD = "bench password that is long enough 42"
FILTERS = ["", "?wave_from=5&wave_to=15", "?language=es", "?jurisdiction=J001&jurisdiction=J002&jurisdiction=J050",
           "?wave_from=10"]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def seed_study(app, n_responses: int) -> tuple[str, str]:
    """Organisation, viewer, survey with waves, jurisdictions and events; returns (slug, email)."""
    from surveys.extensions import db
    from surveys.instruments import DEFAULT_INSTRUMENT_PATH
    from surveys.models import Jurisdiction, Organisation, PolicyEvent, Researcher, Survey, Wave
    from surveys.studies.instrument_store import store_instrument

    with app.app_context():
        instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
        organisation = Organisation(name="Bench organisation")
        db.session.add(organisation)
        viewer = Researcher(email="bench@example.org", role="viewer", organisation=organisation)
        viewer.set_password(PASSWORD)
        db.session.add(viewer)
        survey = Survey(organisation=organisation, instrument_id=instrument.id, slug="bench", title="Bench survey")
        db.session.add_all([viewer, survey])
        start = date(2020, 1, 6)
        for number in range(1, N_WAVES + 1):
            opens = start + timedelta(days=91 * (number - 1))
            survey.waves.append(Wave(number=number, label=f"W{number}", opens_on=opens,
                                     closes_on=opens + timedelta(days=90)))
        first_treated = _first_treated()
        for index in range(N_JURISDICTIONS):
            jurisdiction = Jurisdiction(name=f"Jurisdiction {index + 1:03d}", code=f"J{index + 1:03d}")
            survey.jurisdictions.append(jurisdiction)
            if first_treated[index]:
                opens = start + timedelta(days=91 * (first_treated[index] - 1))
                jurisdiction.policy_events.append(PolicyEvent(event_date=opens - timedelta(days=7),
                                                              kind="287g_signed", direction=-1))
        db.session.commit()
        wave_ids = {w.number: w.id for w in survey.waves}
        place_ids = {j.code: j.id for j in survey.jurisdictions}
        per_cell = n_responses / (N_JURISDICTIONS * N_WAVES)
        frame = simulate(SimulationParams(n_jurisdictions=N_JURISDICTIONS, n_waves=N_WAVES,
                                          responses_per_cell=per_cell, first_treated=first_treated, seed=7))
        started = time.perf_counter()
        rows = _bulk_insert(db, survey.id, frame, wave_ids, place_ids, start)
        print(f"  seeded {rows:,} responses in {time.perf_counter() - started:.1f} s", flush=True)
        return survey.slug, viewer.email


def _first_treated() -> tuple[int, ...]:
    rng = np.random.default_rng(11)
    waves = np.zeros(N_JURISDICTIONS, dtype=int)
    treated = rng.choice(N_JURISDICTIONS, size=N_TREATED, replace=False)
    waves[treated] = rng.integers(5, 17, size=N_TREATED)
    return tuple(int(w) for w in waves)


def _columns(frame, wave_ids: dict, place_ids: dict, start: date) -> dict:
    rng = np.random.default_rng(3)
    waves = frame["wave"].to_numpy()
    offsets = rng.integers(0, 90, size=len(frame))
    return {
        "wave_id": np.array([wave_ids[w] for w in range(1, N_WAVES + 1)])[waves - 1],
        "jurisdiction_id": frame["jurisdiction"].map(place_ids).to_numpy(),
        "language": frame["language"].to_numpy(),
        "immigrant": frame["immigrant"].to_numpy().astype(bool),
        "day": [start + timedelta(days=int(91 * (w - 1) + o)) for w, o in zip(waves, offsets, strict=True)],
        "scores": {k: np.clip(frame[k].to_numpy(), 1, 5).round(3) for k in ("trust", "willingness", "fear")},
        "involvement": np.clip(2.5 + rng.normal(0, 0.8, len(frame)), 1, 5).round(3),
    }


def _bulk_insert(db, survey_id: int, frame, wave_ids: dict, place_ids: dict, start: date) -> int:
    cols = _columns(frame, wave_ids, place_ids, start)
    n = len(frame)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "sqlite":
            sql = ("INSERT INTO response (id, survey_id, wave_id, jurisdiction_id, language, instrument_version, "
                   "submitted_on, immigrant, trust, willingness, fear, involvement, scores) "
                   "VALUES (?, ?, ?, ?, ?, '1.0.0', ?, ?, ?, ?, ?, ?, '{}')")
            for lo in range(0, n, 100_000):
                hi = min(n, lo + 100_000)
                batch = [(uuid.uuid4().hex, survey_id, int(cols["wave_id"][i]), int(cols["jurisdiction_id"][i]),
                          cols["language"][i], cols["day"][i].isoformat(), int(cols["immigrant"][i]),
                          float(cols["scores"]["trust"][i]), float(cols["scores"]["willingness"][i]),
                          float(cols["scores"]["fear"][i]), float(cols["involvement"][i])) for i in range(lo, hi)]
                cursor.execute("BEGIN")
                cursor.executemany(sql, batch)
                cursor.execute("COMMIT")
            cursor.execute("ANALYZE")
        else:
            copy_sql = ("COPY response (id, survey_id, wave_id, jurisdiction_id, language, instrument_version, "
                        "submitted_on, immigrant, trust, willingness, fear, involvement, scores) FROM STDIN")
            with cursor.copy(copy_sql) as copy:
                for i in range(n):
                    copy.write_row((uuid.uuid4(), survey_id, int(cols["wave_id"][i]), int(cols["jurisdiction_id"][i]),
                                    cols["language"][i], "1.0.0", cols["day"][i], bool(cols["immigrant"][i]),
                                    float(cols["scores"]["trust"][i]), float(cols["scores"]["willingness"][i]),
                                    float(cols["scores"]["fear"][i]), float(cols["involvement"][i]), "{}"))
            raw.commit()
            driver = raw.driver_connection
            driver.autocommit = True
            driver.execute("VACUUM ANALYZE response")
            driver.autocommit = False
        raw.commit()
    finally:
        raw.close()
    return n


def login(client, email: str) -> None:
    from flask import g

    page = client.get("/research/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/research/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    g.pop("csrf_token", None) if g else None


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def measure(app, slug: str, email: str, requests: int) -> dict[str, float]:
    from surveys.extensions import db
    from surveys.models import Response, Survey
    from surveys.publication.aggregates import invalidate

    client = app.test_client()
    login(client, email)
    url = f"/research/surveys/{slug}/dashboard"

    def page(query: str = "") -> None:
        response = client.get(url + query)
        assert response.status_code == 200, response.status_code
        response.close()

    out: dict[str, float] = {}
    out["page_cold_ms"] = timed(page)
    warm = [timed(lambda i=i: page(FILTERS[i % len(FILTERS)])) for i in range(requests)]
    out["page_median_ms"], out["page_p95_ms"] = statistics.median(warm), percentile(warm, 95)
    app.config["AGGREGATE_RECHECK_SECONDS"] = 0
    counted = [timed(lambda i=i: page(FILTERS[i % len(FILTERS)])) for i in range(requests)]
    out["page_recount_median_ms"], out["page_recount_p95_ms"] = statistics.median(counted), percentile(counted, 95)
    app.config["AGGREGATE_RECHECK_SECONDS"] = 30
    with app.app_context():
        survey_id = db.session.scalar(select(Survey.id).where(Survey.slug == slug))
        count = select(func.count()).select_from(Response).where(Response.survey_id == survey_id)
        reference = [timed(lambda: db.session.scalar(count)) for _ in range(requests)]
        out["reference_count_ms"] = statistics.median(reference)

        def uncached() -> None:
            invalidate(survey_id)
            page()

        cold = [timed(uncached) for _ in range(max(3, requests // 6))]
    out["page_uncached_median_ms"] = statistics.median(cold)
    estimates = f"/research/surveys/{slug}/dashboard/estimates.json"
    out["estimates_cold_ms"] = timed(lambda: client.get(estimates).close())
    out["estimates_warm_ms"] = statistics.median([timed(lambda: client.get(estimates).close()) for _ in range(5)])
    return out


def run_backend(url: str, n_responses: int, requests: int) -> dict[str, float]:
    from flask_migrate import upgrade

    # Production cache settings (TestConfig would recount on every view).
    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": True,
                                                 "AGGREGATE_RECHECK_SECONDS": 30})
    app = create_app(config)
    with app.app_context():
        upgrade()
    slug, email = seed_study(app, n_responses)
    with app.app_context():
        return measure(app, slug, email, requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    if args.backend in ("sqlite", "both"):
        path = Path(tempfile.mkdtemp(prefix="cts-bench-db-")) / "bench.db"
        print(f"SQLite ({path})", flush=True)
        results["sqlite"] = run_backend(f"sqlite:///{path}", args.responses, args.requests)
        path.unlink(missing_ok=True)
    if args.backend in ("postgresql", "both"):
        url = create_scratch_database(normalise_database_url(args.postgres_url))
        print(f"PostgreSQL ({make_url(url).render_as_string(hide_password=True)})", flush=True)
        try:
            results["postgresql"] = run_backend(url, args.responses, args.requests)
        finally:
            drop_scratch_database(url)
    print(f"\nDashboard page, {args.responses:,} responses, {N_JURISDICTIONS} jurisdictions x {N_WAVES} waves, "
          f"{args.requests} requests after a cold one (filters cycled)")
    header = ("backend", "median ms", "p95 ms", "recount median/p95 ms", "cold ms", "no-cache median ms",
              "ref count(*) ms", "median/ref", "estimates cold/warm ms")
    print(" | ".join(header))
    for backend, r in results.items():
        print(" | ".join([backend, f"{r['page_median_ms']:.1f}", f"{r['page_p95_ms']:.1f}",
                          f"{r['page_recount_median_ms']:.0f} / {r['page_recount_p95_ms']:.0f}",
                          f"{r['page_cold_ms']:.0f}",
                          f"{r['page_uncached_median_ms']:.0f}", f"{r['reference_count_ms']:.1f}",
                          f"{r['page_median_ms'] / max(r['reference_count_ms'], 1e-9):.1f}x",
                          f"{r['estimates_cold_ms']:.0f} / {r['estimates_warm_ms']:.1f}"]))
    target = all(r["page_median_ms"] < 300 for r in results.values())
    print(f"target median < 300 ms: {'met' if target else 'NOT met'}")


if __name__ == "__main__":
    main()

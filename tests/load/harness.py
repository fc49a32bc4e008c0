"""Real servers for the load tests and the benchmarks: gunicorn, a survey database, a throwaway PostgreSQL.

Why real processes: the promises under test (one transaction per submission,
an invite code used once, a rate limit shared by workers, recovery after a
crash) only hold or fail between separate processes. Everything listens on
127.0.0.1 on a free port and is stopped by its context manager, even when the
test body fails.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin() -> Path:
    """The newest Debian-style PostgreSQL server binaries (``PG_BIN`` overrides)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require(condition: bool, reason: str) -> None:
    """Skip the test when ``condition`` fails, or fail it when CTS_REQUIRE_LOAD is set (``.ci/run`` sets it)."""
    import pytest

    if not condition:
        if os.environ.get("CTS_REQUIRE_LOAD"):
            pytest.fail(f"{reason} (CTS_REQUIRE_LOAD is set: this must run here)")
        pytest.skip(reason)


def redis_available(url: str = REDIS_URL) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001 - any failure means "no Redis here"
        return False


def _gunicorn() -> str:
    beside = Path(sys.executable).with_name("gunicorn")
    return str(beside) if beside.exists() else "gunicorn"


def _children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        found.extend(int(c) for c in children)
    return sorted(found)


@dataclass
class Gunicorn:
    """A running ``gunicorn -c gunicorn.conf.py <app>``; see ``gunicorn_server``."""

    process: subprocess.Popen
    url: str
    log_path: Path
    workers: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def secret_key(self) -> str:
        return self.env["SECRET_KEY"]

    def worker_pids(self) -> list[int]:
        return _children(self.process.pid)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_workers(self, count: int | None = None, timeout: float = 30.0) -> list[int]:
        """Wait until ``count`` workers run and answer; returns their pids."""
        count = count or self.workers
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == count and healthy(self.url):
                return pids
            time.sleep(0.1)
        raise AssertionError(f"{count} workers not up after {timeout}s:\n{self.log()[-3000:]}")


def healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_healthy(url: str, timeout: float = 30.0, process: subprocess.Popen | None = None) -> float:
    """Poll ``/healthz`` until it answers 200; returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        if healthy(url):
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"{url}/healthz did not answer 200 within {timeout}s")


def server_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment a deployment sets (README: 'Running on PostgreSQL with gunicorn')."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "TEST_DATABASE"))}
    env.update({
        "SECRET_KEY": secrets.token_hex(32),  # a fresh key also makes every rate-limit key unique to this run
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "INSTANCE_PATH": str(instance),
        "WEB_CONCURRENCY": "4",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


@contextmanager
def gunicorn_server(env: dict[str, str], app: str = "app:app", cwd: Path = ROOT,
                    config: Path | None = None, timeout: float = 60.0) -> Iterator[Gunicorn]:
    """Start gunicorn with ``env`` on a free loopback port, wait for /healthz, stop it afterwards."""
    port = free_port()
    env = {**env, "BIND": f"127.0.0.1:{port}"}
    workers = int(env.get("WEB_CONCURRENCY", "4"))
    log_dir = Path(env.get("INSTANCE_PATH") or tempfile.mkdtemp(prefix="cts-gunicorn-"))
    log_path = log_dir / f"gunicorn-{port}.log"
    conf = config or ROOT / "gunicorn.conf.py"
    # gunicorn's control socket goes to $XDG_RUNTIME_DIR/gunicorn.ctl, else to one path shared by every
    # gunicorn of this user: give each server its own (a short path: a socket path has ~100 bytes at most).
    runtime = Path(tempfile.mkdtemp(prefix="cts-g-"))
    env["XDG_RUNTIME_DIR"] = str(runtime)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [_gunicorn(), "-c", str(conf), app], cwd=cwd, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = Gunicorn(process, f"http://127.0.0.1:{port}", log_path, workers, env)
    try:
        wait_healthy(server.url, timeout, process)
        server.wait_for_workers(timeout=timeout)
        yield server
    finally:
        stop_process(process)
        shutil.rmtree(runtime, ignore_errors=True)


def stop_process(process: subprocess.Popen, grace: float = 3.0) -> None:
    """SIGINT the process (gunicorn's quick shutdown of its workers), SIGKILL its group if it lingers.

    Not SIGTERM: nothing here needs a graceful drain. Workers that have loaded pandas and SciPy take
    seconds to finalise, so after ``grace`` seconds the process group is killed; every write is committed.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the whole group: no worker may outlive its test
    except ProcessLookupError:
        pass
    if process.poll() is None:
        process.wait(5)


# --- the survey database ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadSurvey:
    """What the load clients need to know about the survey under test."""

    database_url: str
    slug: str
    survey_id: int
    invite_codes: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ("J01", "J02")


@contextmanager
def _app_for(database_url: str, instance: Path) -> Iterator[Any]:
    """A test-config app on ``database_url`` (INSTANCE_PATH pointed at ``instance`` meanwhile)."""
    from surveys import create_app
    from surveys.extensions import db
    from tests.conftest import config_for

    previous = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = str(instance)
    try:
        app = create_app(config_for(database_url))
        yield app
        with app.app_context():
            db.engine.dispose()
    finally:
        if previous is None:
            os.environ.pop("INSTANCE_PATH", None)
        else:
            os.environ["INSTANCE_PATH"] = previous


def migrate_database(database_url: str, instance: Path) -> None:
    """``flask db upgrade`` on ``database_url``: the schema exactly as a deployment gets it."""
    from flask_migrate import upgrade

    with _app_for(database_url, instance) as app, app.app_context():
        upgrade()


def add_survey(database_url: str, instance: Path, invite_codes: tuple[str, ...] = ()) -> LoadSurvey:
    """One more open survey on the default instrument (jurisdictions J01, J02), with ``invite_codes`` if any."""
    from tests.respond.helpers import add_invite_codes, make_default_survey

    with _app_for(database_url, instance) as app:
        info = make_default_survey(app, uses_invite_codes=bool(invite_codes))
        if invite_codes:
            add_invite_codes(app, info, *invite_codes)
    return LoadSurvey(database_url, info.slug, info.id, invite_codes, tuple(info.jurisdictions))


def prepare_survey(database_url: str, instance: Path, invite_codes: tuple[str, ...] = ()) -> LoadSurvey:
    """Migrate ``database_url`` with Alembic and add one open survey on the default instrument."""
    migrate_database(database_url, instance)
    return add_survey(database_url, instance, invite_codes)


# --- a throwaway PostgreSQL cluster ----------------------------------------------------------------------


def _as_postgres(*args: str, **kw: Any) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *args], check=True, capture_output=True, text=True, **kw)


@dataclass
class PostgresCluster:
    """A private PostgreSQL server (trust auth, loopback, its own port) that a test may restart.

    The shared server on 5432 serves the other test suites and is never touched.
    """

    directory: Path
    port: int
    restarts: list[float] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "server.log"),
                     "-w", "-t", "60", *args)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def restart(self, mode: str = "fast") -> float:
        """Stop (ending every connection) and start again; returns the seconds it was down."""
        began = time.monotonic()
        self.stop(mode)
        self.start()
        self.restarts.append(time.monotonic() - began)
        return self.restarts[-1]

    def create_database(self, name: str) -> str:
        _as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def server_log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def postgres_binaries_available() -> bool:
    return (PG_BIN / "initdb").exists() and (os.geteuid() != 0 or shutil.which("runuser") is not None)


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """initdb a cluster in a temporary folder owned by ``postgres``, start it, always stop and delete it."""
    directory = Path(tempfile.mkdtemp(prefix="cts-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = PostgresCluster(directory, free_port())
    try:
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(cluster.data), "-U", "postgres", "--auth=trust",
                     "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        cluster.start()
        yield cluster
    finally:
        try:
            if (cluster.data / "postmaster.pid").exists():
                cluster.stop("immediate")
        finally:
            shutil.rmtree(directory, ignore_errors=True)

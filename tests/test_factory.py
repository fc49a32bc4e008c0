"""The app factory: configuration, the secret-key refusal, the URL layout, headers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from surveys import create_app
from surveys.config import Config, normalise_database_url

ROOT = Path(__file__).resolve().parent.parent


def _run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FLASK_RUN_FROM_CLI", "DATABASE_URL"}}
    clean.update({"INSTANCE_PATH": str(tmp_path / "instance"), **env})
    command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_default_config_is_not_testing():
    assert Config.TESTING is False
    assert Config.DEMO is False


def test_refuses_to_start_without_secret_key(tmp_path):
    result = _run_python("from surveys import create_app; create_app()", tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_gunicorn_style_import_refuses_without_secret_key(tmp_path):
    result = _run_python("import app", tmp_path)
    assert result.returncode != 0
    assert "MissingSecretKey" in result.stderr


def test_starts_with_secret_key_from_environment(tmp_path):
    code = "from surveys import create_app; a = create_app(); print(a.config['TESTING'], len(a.config['SECRET_KEY']))"
    result = _run_python(code, tmp_path, SECRET_KEY="x" * 64)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "64"]


def test_secret_key_file_written_by_demo_is_used(tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "secret_key").write_text("k" * 64 + "\n")
    result = _run_python("from surveys import create_app; print(create_app().config['SECRET_KEY'])", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "k" * 64


def test_default_database_is_sqlite_under_instance(tmp_path):
    code = "from surveys import create_app; print(create_app().config['SQLALCHEMY_DATABASE_URI'])"
    result = _run_python(code, tmp_path, SECRET_KEY="x" * 64)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sqlite:///{tmp_path / 'instance' / 'civic_trust.db'}"


def test_database_url_from_environment_is_normalised():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_test_config_is_testing(app):
    assert app.config["TESTING"] is True
    assert create_app is not None


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_url_layout(client):
    assert client.get("/").status_code == 200
    login = client.get("/research/login")
    assert login.status_code == 200
    assert b'name="email"' in login.data and b'name="password"' in login.data
    assert client.get("/api/v1/").get_json()["version"] == "1"
    assert client.get("/s/no-such-survey").status_code == 404


def test_unknown_api_path_answers_json_error(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_security_headers_on_every_page(client):
    for path in ("/", "/research/login", "/s/missing", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_hsts_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_oversized_body_is_refused_with_413(client):
    response = client.post("/research/login", data={"email": "a@b.c", "password": "x" * 400_000})
    assert response.status_code == 413

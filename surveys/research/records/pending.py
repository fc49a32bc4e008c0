"""An uploaded records file waiting to be mapped: a temporary file, never rows in the database.

The upload is streamed to ``<instance>/records-uploads/<token>.csv`` (Werkzeug
spools it; ``FileStorage.save`` copies it in chunks), next to a small JSON file
with its header and row count. The session holds only the token, the survey
and the file name. The file is deleted once imported or discarded, and any
pending file older than ``MAX_AGE_SECONDS`` is deleted at the next upload.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, session

SESSION_KEY = "records_upload"
MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Pending:
    token: str
    slug: str
    filename: str
    header: list[str]
    n_rows: int

    @property
    def path(self) -> Path:
        return folder() / f"{self.token}.csv"


def folder() -> Path:
    path = Path(current_app.instance_path) / "records-uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_token() -> str:
    return secrets.token_urlsafe(24)


def sweep() -> None:
    """Delete pending uploads nobody finished (older than a day)."""
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in folder().glob("*"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def remember(token: str, slug: str, filename: str, header: list[str], n_rows: int) -> None:
    discard()
    (folder() / f"{token}.json").write_text(json.dumps({"header": header, "n_rows": n_rows}))
    session[SESSION_KEY] = {"token": token, "slug": slug, "filename": filename}


def current(slug: str) -> Pending | None:
    data: Any = session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("slug") != slug or not _TOKEN.match(str(data.get("token", ""))):
        return None
    meta = folder() / f"{data['token']}.json"
    if not meta.exists() or not (folder() / f"{data['token']}.csv").exists():
        return None
    info = json.loads(meta.read_text())
    return Pending(data["token"], slug, str(data.get("filename", "")), list(info["header"]), int(info["n_rows"]))


def discard() -> None:
    data: Any = session.pop(SESSION_KEY, None)
    if isinstance(data, dict) and _TOKEN.match(str(data.get("token", ""))):
        for suffix in (".csv", ".json"):
            (folder() / f"{data['token']}{suffix}").unlink(missing_ok=True)

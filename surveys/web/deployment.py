"""What the app must know about the servers in front of it: proxies, host names, workers.

* ``PROXY_COUNT`` installs Werkzeug's ``ProxyFix`` with that many trusted hops
  for X-Forwarded-For, -Proto and -Host. Without it, behind a reverse proxy
  every client has the proxy's address, so every respondent and every
  researcher shares one rate-limit key (a city's survey stopped after 30
  submissions an hour). With it set too high, a client can forge its address.
* ``TRUSTED_HOSTS`` is Flask 3.1's own check: a request for any other host is
  answered 400 before a view runs, so redirects and invite-card links never
  name a forged host. In production without it, the app warns at start.
* With ``memory://`` rate-limit storage, every worker counts on its own and a
  limit of N lets N per worker through. ``gunicorn.conf.py`` refuses to start
  that combination in production with more than one worker; the app warns at
  start (it cannot count the workers of other servers).
"""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)


def install(app: Flask) -> None:
    """Trust ``PROXY_COUNT`` proxies and warn about settings that do not fit production."""
    hops = int(app.config.get("PROXY_COUNT") or 0)
    if hops < 0:
        raise RuntimeError(f"PROXY_COUNT must be 0 or more, got {hops}")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if not app.config.get("PRODUCTION"):
        return
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory://"):
        log.warning(
            "RATELIMIT_STORAGE_URI is memory://: each worker process counts on its own, so every rate "
            "limit is multiplied by the number of workers. Use redis://host:6379 with several workers."
        )
    if not app.config.get("TRUSTED_HOSTS"):
        log.warning("TRUSTED_HOSTS is not set: requests naming any host are answered (set it to your host name).")

"""A real HTTP server running the app in a thread, for browser tests and log checks.

Werkzeug's threaded development server, on 127.0.0.1 and a free port, serving
the test app (and so the test database). It logs requests through the
``werkzeug`` logger exactly as ``flask run`` does, which is what the privacy
log filter must rewrite.
"""
from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server


class LiveServer:
    """``with LiveServer(app) as server: server.url``: starts on enter, stops on exit."""

    def __init__(self, app: Any, host: str = "127.0.0.1"):
        self.app = app
        self._server = make_server(host, 0, app, threaded=True)
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self.origin = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

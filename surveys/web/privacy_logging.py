"""Logging that never records who a respondent is or when they answered.

The Werkzeug development server writes ``<address> - - [<time>] "<request>"``
for every request; a time-stamped line for ``POST /s/<slug>`` next to an IP
address is exactly the record respondents must be able to trust we do not
keep. The filter below rewrites those lines to the request and status only,
and drops query strings (which may hold an invite code).
"""
from __future__ import annotations

import logging
import re

# Werkzeug colours the request of 3xx/4xx/5xx lines with ANSI escapes when it can.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WERKZEUG_LINE = re.compile(r'^.*?"(?P<method>[A-Z]+) (?P<path>[^ ?"]*)(?:\?[^ "]*)? (?P<proto>[^"]*)"')


class StripClientDetails(logging.Filter):
    """Rewrite Werkzeug request lines to ``"METHOD /path" status size``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.args and " - - [" in record.msg:
            message = _ANSI.sub("", record.getMessage())
            match = _WERKZEUG_LINE.match(message)
            if match:
                tail = message[match.end():].strip()
                record.msg = '"%s %s" %s'
                record.args = (match["method"], match["path"], tail)
            else:
                record.msg, record.args = "request", ()
        return True


def install_privacy_logging() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, StripClientDetails) for f in logger.filters):
        logger.addFilter(StripClientDetails())

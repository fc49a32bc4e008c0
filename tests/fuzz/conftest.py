"""Print how many generated requests ran: the fuzz tests' own counts and schemathesis' (tests/api).

The numbers appear in pytest's closing summary even under ``-q``, so CI logs
record how much bad input each run really sent.
"""
from __future__ import annotations

import re

from .tally import TALLY


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = []
    for label, tally in TALLY.items():
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(tally["statuses"].items()))
        lines.append(f"fuzz {label}: {tally['requests']} requests over {tally.get('route_count', '?')} routes, "
                     f"{tally['refused']} refused (4xx, nothing written), {tally['accepted']} accepted; "
                     f"statuses {{{statuses}}}")
    for report in terminalreporter.stats.get("passed", []):
        if "test_api_schema" in report.nodeid and report.when == "call":
            lines += [ln for ln in report.capstdout.splitlines() if re.match(r"schemathesis \w+: \d+ requests", ln)]
    if lines:
        terminalreporter.write_sep("-", "generated bad-input cases")
        for line in lines:
            terminalreporter.write_line(line)

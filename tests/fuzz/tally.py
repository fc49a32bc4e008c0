"""Counts of fuzzed requests, filled by the fuzz tests and printed in pytest's closing summary."""
from __future__ import annotations

from typing import Any

TALLY: dict[str, dict[str, Any]] = {}

"""Shared pieces of the benchmarks: the repository on sys.path, machine facts, wrk, result files.

Each benchmark prints its figures and also writes them to ``bench/results/<name>.json``
with the machine facts and the load average seen during the run, so
``bench/README.md`` can quote the latest run of each.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def machine() -> dict[str, Any]:
    """What the figures came from: CPU count and model, memory, Python, load when read."""
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    model = None
    try:
        match = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        model = match[1].strip() if match else None
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "memory_gib": memory_gib,
        "python": platform.python_version(), "platform": platform.platform(),
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(), **data}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is needed for this benchmark: apt-get install wrk")
    return wrk


def run_wrk(url: str, bodies: Path, cookie: str, seconds: int, connections: int = 50, threads: int = 2,
            timeout_s: int = 10) -> dict[str, Any]:
    """POST ``bodies`` (one a line) to ``url`` from ``connections`` clients for ``seconds``; the wrk figures."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    env = {**os.environ, "WRK_BODIES": str(bodies), "WRK_PATH": parts.path, "WRK_COOKIE": cookie,
           "WRK_THREADS": str(threads)}
    command = [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s",
               "--latency", "-s", str(BENCH / "wrk_post_bodies.lua"), f"{parts.scheme}://{parts.netloc}"]
    load_before = os.getloadavg()[0]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120, check=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line[len("WRK_JSON "):])
    result["rps"] = round(result["requests"] / result["seconds"], 1)
    result["loadavg_before"] = round(load_before, 2)
    result["loadavg_after"] = round(os.getloadavg()[0], 2)
    return result

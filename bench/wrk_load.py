"""wrk, the C load generator (Debian package `wrk`), driving a receiver with signed GHL deliveries.

One thread and N keep-alive connections replay a file of `signature<TAB>body` lines
(bench/wrk_replay.lua); the Lua script prints the latency percentiles as JSON on its last line.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

WRK_SCRIPT = Path(__file__).with_name("wrk_replay.lua")


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    non_2xx: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cpu_s: float = 0.0  # the server process's CPU (user + system, all threads) during the run
    loop_cpu_s: float = 0.0  # of which the main thread's (uvicorn's event loop)
    commits: str = ""  # ours only: the group commits' latency and size, from the server's /metrics

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_s / self.requests * 1e6 if self.requests else 0.0

    @property
    def loop_us_per_request(self) -> float:
        return self.loop_cpu_s / self.requests * 1e6 if self.requests else 0.0


def run_wrk(base_url: str, lines: Path, seconds: int, connections: int, name: str) -> LoadResult:
    """Drive `base_url` with wrk (one thread, `connections` keep-alive connections) for `seconds`."""
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    argv += ["-s", str(WRK_SCRIPT), base_url, "--", str(lines)]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    stats = json.loads(out.strip().splitlines()[-1])
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return LoadResult(
        name=name,
        requests=stats["requests"],
        seconds=stats["duration_us"] / 1e6,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=stats["errors"] + stats["timeouts"],
        p50_ms=stats["p50_us"] / 1000,
        p90_ms=stats["p90_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
        max_ms=stats["max_us"] / 1000,
    )


def write_lines(deliveries, path: Path) -> Path:  # type: ignore[no-untyped-def]
    with path.open("w") as out:
        for d in deliveries:
            out.write(f"{d.headers['x-ghl-signature']}\t{d.body.decode()}\n")
    return path

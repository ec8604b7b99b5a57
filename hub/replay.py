"""Replay recorded GHL deliveries through a running webhook endpoint over real HTTP.

Used by the demo, the benchmarks and integration tests: the bytes and headers go out exactly as
recorded (signatures stay valid), a few in flight at once like GHL's own fan-out, and every answer
is counted by outcome so nothing is silently dropped.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import httpx


class Delivery(Protocol):
    """One recorded delivery (the simulator's `Delivery` is one): route, headers, exact body."""

    @property
    def route(self) -> str: ...  # "ghl" (signed marketplace event) or "workflow" (unsigned action)
    @property
    def location_id(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> bytes: ...


@dataclass
class ReplayReport:
    """What the endpoint answered, by outcome."""

    sent: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def replay(
    deliveries: Iterable[Delivery],
    base_url: str,
    *,
    workflow_secrets: Mapping[str, str],
    concurrency: int = 8,
    on_sent: Callable[[], None] | None = None,
) -> ReplayReport:
    """POST every delivery; outcomes are keyed `accepted` / `duplicate` / `HTTP <status>`."""
    report = ReplayReport()
    lock = threading.Lock()
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base_url, timeout=30.0)
        c: httpx.Client = local.client
        return c

    def send(delivery: Delivery) -> None:
        if delivery.route == "workflow":
            path = f"/webhooks/ghl/workflow/{workflow_secrets[delivery.location_id]}"
        else:
            path = "/webhooks/ghl"
        response = client().post(
            path, content=delivery.body, headers={**delivery.headers, "content-type": "application/json"}
        )
        if response.status_code == 200:
            outcome = str(response.json().get("status", "ok"))
        else:
            outcome = f"HTTP {response.status_code}"
        with lock:
            report.sent += 1
            report.outcomes[outcome] += 1
            if response.status_code != 200 and len(report.errors) < 20:
                report.errors.append(f"{response.status_code} {response.text[:200]}")
        if on_sent:
            on_sent()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        # list() re-raises the first transport error instead of hiding it in a future.
        list(pool.map(send, deliveries))
    report.seconds = time.perf_counter() - started
    return report

"""Throughput of GHLClient vs raw httpx against the same GHL stand-in, in the same run.

The stand-in runs in its own process (so its CPU does not share our GIL) with rate limits set out
of reach: this measures what the client's typing, pacing bookkeeping, breaker, tenacity and
pydantic parsing cost per request, not GHL's 100 / 10 s. Rounds alternate raw / client and the best
round of each is compared. A second comparison swaps the network for an httpx.MockTransport
answering the same body, which isolates the client's own CPU cost per call.

    .venv/bin/python bench/bench_ghl_client.py [--requests 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from pydantic import SecretStr

from hub.ghl.client import GHLClient
from hub.ghl.standin_admin import StandinAdmin
from hub.settings import GHLSettings

LOCATION, TOKEN = "LocBench", "tok-bench"
UNLIMITED = 10_000_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def standin_process() -> Iterator[str]:
    """A stand-in in a child process; yields its base URL."""
    port = _free_port()
    code = (
        "from hub.ghl.standin import StandinConfig, main; "
        f"main('127.0.0.1', {port}, StandinConfig(rate_limit_max={UNLIMITED}, daily_limit={UNLIMITED}))"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base_url}/_standin/requests", timeout=1)
                break
            except httpx.TransportError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the stand-in did not start") from None
                time.sleep(0.05)
        yield base_url
    finally:
        child.terminate()
        child.wait(timeout=10)


def timed(requests: int, one: Callable[[], object]) -> float:
    """Requests per second for `requests` sequential calls of `one`."""
    started = time.perf_counter()
    for _ in range(requests):
        one()
    return requests / (time.perf_counter() - started)


def in_memory_rates(contact: dict[str, Any], requests: int, rounds: int) -> tuple[float, float]:
    """Best req/s of raw httpx and of GHLClient when GHL is an in-process MockTransport."""
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, json={"contact": contact}))
    path = f"/contacts/{contact['id']}"
    raw = httpx.Client(base_url="https://ghl.invalid", transport=transport)
    settings = GHLSettings(base_url="https://ghl.invalid", rate_limit_max=UNLIMITED)
    client = GHLClient(settings, lambda _location: SecretStr(TOKEN), transport=transport)
    raw_rates, client_rates = [], []
    for _ in range(rounds):
        raw_rates.append(timed(requests, lambda: raw.get(path, headers={"Version": "2021-07-28"}).json()))
        client_rates.append(timed(requests, lambda: client.get_contact(LOCATION, contact["id"])))
    raw.close()
    client.close()
    return max(raw_rates), max(client_rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per round and contender")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with standin_process() as base_url:
        admin = StandinAdmin(base_url)
        admin.register_location(LOCATION, TOKEN)
        admin_contact = admin.seed_contacts(LOCATION, [{"firstName": "Dana", "phone": "+15125550143"}])[0]
        contact_id = admin_contact["id"]
        admin.close()
        path = f"/contacts/{contact_id}"

        headers = {"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28", "Accept": "application/json"}
        raw = httpx.Client(base_url=base_url, headers=headers)

        def raw_call() -> object:
            response = raw.get(path)
            response.raise_for_status()
            return response.json()["contact"]

        settings = GHLSettings(base_url=base_url, rate_limit_max=UNLIMITED)
        client = GHLClient(settings, lambda _location: SecretStr(TOKEN))

        def client_call() -> object:
            return client.get_contact(LOCATION, contact_id)

        for warm in (raw_call, client_call):
            timed(100, warm)
        raw_rates, client_rates = [], []
        for _ in range(args.rounds):
            raw_rates.append(timed(args.requests, raw_call))
            client_rates.append(timed(args.requests, client_call))
        raw.close()
        client.close()

        contact_body = admin_contact

    mock_raw, mock_client = in_memory_rates(contact_body, args.requests, args.rounds)
    raw_best, client_best = max(raw_rates), max(client_rates)
    overhead_us = (1 / client_best - 1 / raw_best) * 1e6

    def rounds(rates: list[float]) -> str:
        return ", ".join(f"{rate:.0f}" for rate in rates)

    print(f"GET /contacts/{{id}} x {args.requests}, best of {args.rounds} rounds, stand-in in own process")
    print(f"  raw httpx : {raw_best:8.0f} req/s   (rounds: {rounds(raw_rates)})")
    print(f"  GHLClient : {client_best:8.0f} req/s   (rounds: {rounds(client_rates)})")
    print(f"  ratio GHLClient / raw = {client_best / raw_best:.2f}  (overhead {overhead_us:.0f} us/request)")
    mock_overhead_us = (1 / mock_client - 1 / mock_raw) * 1e6
    print(f"same calls with no network (httpx.MockTransport), best of {args.rounds} rounds")
    print(f"  raw httpx : {mock_raw:8.0f} req/s")
    print(f"  GHLClient : {mock_client:8.0f} req/s")
    mock_ratio = mock_client / mock_raw
    print(f"  ratio GHLClient / raw = {mock_ratio:.2f}  (overhead {mock_overhead_us:.0f} us/request)")


if __name__ == "__main__":
    main()

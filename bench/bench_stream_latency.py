"""Webhook accepted → event on the SSE stream, at a steady delivery rate, on the full local stack.

The stack is the embedded default (`hub up`): Prefect server, `hub task-worker`, API, SQLite store.
A sender POSTs one signed ContactCreate for a fresh contact every 1/rate s for --seconds; an SSE
client on `GET /stream` records when each contact's `lead_created` event arrives. Printed: the
achieved rate, p50 / p95 / max latency from the 200 answer to the SSE event, and how many arrived.
Baseline in the same run: the bare round trip of the POST itself (what the receiver alone costs).

    .venv/bin/python bench/bench_stream_latency.py --rate 200 --seconds 20
    .venv/bin/python bench/bench_stream_latency.py --rate 200 --seconds 20 --redis-url redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.cli.stack import local_stack
from hub.simulator import sign
from hub.simulator.signing import TEST_PUBLIC_KEY_PEM
from hub.store.engine import make_engine, migrate
from hub.tenancy import register_location


def _body(contact_id: str) -> bytes:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {
            "type": "ContactCreate",
            "locationId": "LocBench",
            "id": contact_id,
            "dateAdded": now,
            "webhookId": str(uuid.uuid4()),
            "timestamp": now,
        },
        separators=(",", ":"),
    ).encode()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--redis-url", default=None, help="wake SSE listeners through Redis pub/sub")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'hub.db'}"
        migrate(url)
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            key = register_location(session, "LocBench", name="Bench", timezone="America/Chicago").api_key
        env = {"HUB_DATABASE_URL": url, "HUB_WEBHOOK_ED25519_PUBLIC_KEY": TEST_PUBLIC_KEY_PEM}
        if args.redis_url:
            env["HUB_REDIS_URL"] = args.redis_url
        with local_stack(workdir, env) as urls:
            time.sleep(3)  # the task worker subscribes
            accepted: dict[str, float] = {}
            seen: dict[str, float] = {}
            post_s: list[float] = []
            lock = threading.Lock()
            stop = threading.Event()

            def listen() -> None:
                try:
                    _listen()
                except httpx.TransportError:
                    if not stop.is_set():  # the stream ends with the stack; anything earlier is a failure
                        raise

            def _listen() -> None:
                with httpx.stream(
                    "GET", f"{urls.api}/stream", params={"location": "LocBench", "key": key}, timeout=None
                ) as response:
                    for line in response.iter_lines():
                        if line.startswith("data:"):
                            data = json.loads(line[5:])
                            if data.get("kind") == "lead_created" and data.get("contact_id"):
                                seen.setdefault(data["contact_id"], time.monotonic())
                        if stop.is_set():
                            return

            listener = threading.Thread(target=listen, daemon=True)
            listener.start()
            time.sleep(1)
            total = int(args.rate * args.seconds)
            start = time.monotonic()

            def send(worker: int) -> None:
                with httpx.Client(base_url=urls.api, timeout=10) as client:
                    for i in range(worker, total, args.senders):
                        due = start + i / args.rate
                        if (pause := due - time.monotonic()) > 0:
                            time.sleep(pause)
                        contact_id = f"CtB{i:07d}"
                        body = _body(contact_id)
                        sent = time.monotonic()
                        response = client.post(
                            "/webhooks/ghl", content=body, headers={"x-ghl-signature": sign(body)}
                        )
                        done = time.monotonic()
                        if response.status_code == 200:
                            with lock:
                                accepted[contact_id] = done
                                post_s.append(done - sent)

            senders = [threading.Thread(target=send, args=(w,)) for w in range(args.senders)]
            for t in senders:
                t.start()
            for t in senders:
                t.join()
            elapsed = time.monotonic() - start
            deadline = time.monotonic() + 30
            while len(seen.keys() & accepted.keys()) < len(accepted) and time.monotonic() < deadline:
                time.sleep(0.1)
            stop.set()
        latencies = [seen[c] - t for c, t in accepted.items() if c in seen]
        print(
            f"sent {total} at a target {args.rate:.0f}/s: achieved {len(accepted) / elapsed:.0f} accepted/s"
        )
        print(
            f"POST round trip (baseline): p50 {statistics.median(post_s) * 1000:.0f} ms, "
            f"p95 {percentile(post_s, 0.95) * 1000:.0f} ms"
        )
        if latencies:
            print(
                f"accepted → on SSE stream: p50 {statistics.median(latencies) * 1000:.0f} ms, "
                f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; "
                f"{len(latencies)}/{len(accepted)} arrived"
            )
            print(
                f"ratio p95 stream / p95 POST = {percentile(latencies, 0.95) / percentile(post_s, 0.95):.1f}"
            )


if __name__ == "__main__":
    main()

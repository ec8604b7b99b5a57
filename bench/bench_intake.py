"""Webhook intake: our receiver against a bare FastAPI endpoint, and end-to-end processing latency.

Part 1 (throughput): the same N signed simulator deliveries are POSTed over real HTTP, with the same
concurrency, to (a) a bare FastAPI endpoint that only reads the body (bench/bare_receiver.py) and
(b) our `POST /webhooks/ghl` (signature check on the raw body, envelope parse, committed insert into
a SQLite event log with synchronous=FULL, dedupe). Each runs in its own uvicorn process.
Printed: deliveries/s each and the ratio ours/bare.

Part 2 (latency, --latency): the full local stack (Prefect server, `hub task-worker`, API). One new
ContactCreate every 0.25 s; for each, the time from POST to its contact row existing in the store
(processed by a Prefect background task). Printed: p50 / p95 / max.

    .venv/bin/python bench/bench_intake.py                # part 1, 3000 deliveries
    .venv/bin/python bench/bench_intake.py --latency      # parts 1 and 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.cli.processes import api_argv, free_port, managed_process
from hub.cli.stack import local_stack
from hub.replay import replay
from hub.simulator import SimulationConfig, sign, simulate
from hub.simulator.signing import TEST_PUBLIC_KEY_PEM
from hub.store.engine import make_engine, migrate
from hub.store.models import Contact
from hub.tenancy import register_location


def _signed_only(n: int):  # type: ignore[no-untyped-def]
    sim = simulate(SimulationConfig(leads=max(50, n // 30), days=30, seed=3, locations=1))
    deliveries = [d for d in sim.deliveries if d.route == "ghl"][:n]
    return sim, deliveries


def throughput(n: int, concurrency: int, workdir: Path) -> None:
    _, deliveries = _signed_only(n)
    url = f"sqlite:///{workdir / 'hub.db'}"
    migrate(url)
    env = {
        "HUB_DATABASE_URL": url,
        "HUB_WEBHOOK_ED25519_PUBLIC_KEY": TEST_PUBLIC_KEY_PEM,
        "HUB_PROCESSING_ENABLED": "false",
    }
    results = {}
    bare_port = free_port()
    bare = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare_receiver:app",
        "--port",
        str(bare_port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with managed_process(bare, {}, workdir / "bare.log", f"http://127.0.0.1:{bare_port}/healthz"):
        replay(
            deliveries[:200], f"http://127.0.0.1:{bare_port}", workflow_secrets={}, concurrency=concurrency
        )
        results["bare FastAPI"] = replay(
            deliveries, f"http://127.0.0.1:{bare_port}", workflow_secrets={}, concurrency=concurrency
        )
    port = free_port()
    with managed_process(api_argv(port), env, workdir / "api.log", f"http://127.0.0.1:{port}/healthz"):
        results["EnterpriseHub"] = replay(
            deliveries, f"http://127.0.0.1:{port}", workflow_secrets={}, concurrency=concurrency
        )
    for name, report in results.items():
        print(
            f"{name:>14}: {report.sent} deliveries in {report.seconds:.2f} s = {report.per_second:,.0f}/s  "
            f"{dict(report.outcomes)}"
        )
    ratio = results["EnterpriseHub"].per_second / results["bare FastAPI"].per_second
    print(f"ratio ours/bare = {ratio:.2f} (concurrency {concurrency})")


def latency(samples: int, workdir: Path) -> None:
    url = f"sqlite:///{workdir / 'stack.db'}"
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        register_location(session, "LocBench", name="Bench Realty", timezone="America/Chicago")
    env = {"HUB_DATABASE_URL": url, "HUB_WEBHOOK_ED25519_PUBLIC_KEY": TEST_PUBLIC_KEY_PEM}
    seconds: list[float] = []
    with local_stack(workdir / "stack", env) as urls, httpx.Client(base_url=urls.api) as client:
        time.sleep(3)  # let the task worker subscribe
        for i in range(samples):
            contact_id = f"CtBench{i:05d}{uuid.uuid4().hex[:6]}"
            now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            body = json.dumps(
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
            started = time.monotonic()
            assert (
                client.post(
                    "/webhooks/ghl", content=body, headers={"x-ghl-signature": sign(body)}
                ).status_code
                == 200
            )
            while True:
                with Session(engine) as session:
                    if session.get(Contact, ("LocBench", contact_id)) is not None:
                        break
                if time.monotonic() - started > 30:
                    raise SystemExit(f"contact {contact_id} not processed within 30 s")
                time.sleep(0.01)
            seconds.append(time.monotonic() - started)
            time.sleep(0.25)
    seconds.sort()
    p95 = seconds[int(0.95 * (len(seconds) - 1))]
    print(
        f"webhook → lead state (Prefect background task): p50 {statistics.median(seconds) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {seconds[-1] * 1000:.0f} ms over {len(seconds)} webhooks"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", action="store_true", help="also measure end-to-end processing latency")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        throughput(args.deliveries, args.concurrency, Path(tmp))
        if args.latency:
            latency(args.samples, Path(tmp))


if __name__ == "__main__":
    main()

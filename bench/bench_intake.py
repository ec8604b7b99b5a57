"""Webhook intake: our receiver against a bare FastAPI endpoint, and end-to-end processing latency.

Part 1 (throughput and latency under load): wrk (the C load generator, Debian package `wrk`) POSTs
the same signed simulator deliveries over loopback, one thread and 16 keep-alive connections for
10 s, to (a) a bare FastAPI endpoint that only reads the body (bench/bare_receiver.py) and (b) our
`POST /webhooks/ghl` (signature check on the raw body, envelope parse, group-committed insert into a
SQLite event log with synchronous=FULL, or PostgreSQL with --postgres, dedupe). Both are served the
same way (one uvicorn process, same options) and alternate for `--rounds`. Printed: requests/s,
p50/p90/p99/max, the server process's CPU per request (steadier than requests/s on a shared box),
and the ratios.

With --floor each round also serves bench/floor_receiver.py's three lean receivers (raw ASGI, no
project code): verify only; verify + a durable group-committed (webhookId, body) inbox; verify + a
durable insert into the event log's own columns and indexes. They tell how far below bare the rules
themselves (signature, commit before the answer) put any receiver on this box.

Part 2 (latency, --latency): the full local stack (Prefect server, `hub task-worker`, API). One new
ContactCreate every 0.25 s; for each, the time from POST to its contact row existing in the store
(processed by a Prefect background task). Printed: p50 / p95 / max.

    .venv/bin/python bench/bench_intake.py                # part 1
    .venv/bin/python bench/bench_intake.py --floor --rounds 3   # part 1 with the floors
    .venv/bin/python bench/bench_intake.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_intake.py --latency      # parts 1 and 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import httpx
import psutil
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.wrk_load import LoadResult, run_wrk, write_lines
from hub.cli.processes import api_argv, free_port, managed_process
from hub.cli.stack import local_stack
from hub.simulator import SimulationConfig, sign, simulate
from hub.simulator.signing import TEST_PUBLIC_KEY_PEM
from hub.store.engine import make_engine, migrate
from hub.store.models import Contact, Event
from hub.tenancy import register_location


def _signed_only(n: int):  # type: ignore[no-untyped-def]
    sim = simulate(SimulationConfig(leads=max(50, n // 30), days=30, seed=3, locations=1))
    deliveries = [d for d in sim.deliveries if d.route == "ghl"][:n]
    return sim, deliveries


def _measured(server: subprocess.Popen[bytes], run: Callable[[], LoadResult]) -> LoadResult:
    """`run()`, with the server's CPU seconds over it: on a shared 2-core box the CPU each request
    costs is steadier evidence than requests/s, which depends on what else ran meanwhile."""
    process = psutil.Process(server.pid)
    before, loop_before = process.cpu_times(), _main_thread_cpu(process)
    result = run()
    after, loop_after = process.cpu_times(), _main_thread_cpu(process)
    result.cpu_s = (after.user - before.user) + (after.system - before.system)
    result.loop_cpu_s = loop_after - loop_before
    return result


def _main_thread_cpu(process: psutil.Process) -> float:
    main = next(t for t in process.threads() if t.id == process.pid)
    return main.user_time + main.system_time


def _bucket_quantile(buckets: list[tuple[float, float]], q: float) -> float:
    """The upper bound of the histogram bucket holding quantile `q` (cumulative `(le, count)` pairs)."""
    total = buckets[-1][1]
    return next(le for le, count in buckets if count >= q * total)


def _commit_stats(base_url: str) -> str:
    """The receiver's group commits over the whole run (warm-up included), read from /metrics."""
    text = httpx.get(f"{base_url}/metrics", timeout=30).text
    seconds: list[tuple[float, float]] = []
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "hub_webhook_commit_seconds_bucket":
                seconds.append((float(sample.labels["le"]), sample.value))
            elif sample.name in (
                "hub_webhook_commit_seconds_sum",
                "hub_webhook_commit_seconds_count",
                "hub_webhook_commit_deliveries_sum",
            ):
                sums[sample.name] = sample.value
    count = sums.get("hub_webhook_commit_seconds_count", 0)
    if not count:
        return "no group commits recorded"
    seconds.sort()
    per_commit = sums["hub_webhook_commit_deliveries_sum"] / count
    mean_ms = sums["hub_webhook_commit_seconds_sum"] / count * 1e3
    p50_ms, p99_ms = (_bucket_quantile(seconds, q) * 1e3 for q in (0.5, 0.99))
    return (
        f"{count:.0f} group commits, {per_commit:.1f} deliveries each, "
        f"commit wall mean {mean_ms:.1f} ms, p50 <= {p50_ms:g} ms, p99 <= {p99_ms:g} ms"
    )


def _served_as_ours(port: int, app: str) -> list[str]:
    # Served exactly like ours (api_argv): one uvicorn process, same loop/http defaults, no access log.
    argv = api_argv(port)
    at = argv.index("api.app:create_app")
    return [*argv[:at], app, *argv[at + 2 :]]


def _fresh_store(workdir: Path, round_no: int, postgres: str | None) -> str:
    """A new, migrated store for one round: a SQLite file, or a new database on the PostgreSQL
    server of the `postgres` URL (dropped after the round)."""
    if postgres is None:
        # Unique per call: a receiver must never start on another run's rows (repeats are duplicates).
        url = f"sqlite:///{workdir / f'hub{round_no}_{uuid.uuid4().hex[:8]}.db'}"
    else:
        admin = sa.make_url(postgres)
        name = f"bench_intake_{uuid.uuid4().hex[:8]}"
        with make_engine(postgres).execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    return url


def _drop_database(postgres: str, url: str) -> None:
    name = sa.make_url(url).database
    with make_engine(postgres).execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    """One receiver of the rotation: how to serve it for a round, and what to say after its run."""

    name: str
    app: str  # the uvicorn app ("module:attribute")
    env: Callable[[int], dict[str, str]] = lambda _round: {}
    report: Callable[[str, int, LoadResult], str] | None = None  # (base URL, round, result) -> note


def _public_key_hex() -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(TEST_PUBLIC_KEY_PEM.encode())
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _floor(name: str, app: str, workdir: Path, table: str | None) -> Server:
    key = _public_key_hex()
    files: dict[int, Path] = {}

    def env(round_no: int) -> dict[str, str]:
        files[round_no] = workdir / f"{app}{round_no}_{uuid.uuid4().hex[:8]}.db"
        return {"FLOOR_ED25519_KEY": key, "FLOOR_DB": str(files[round_no])}

    def report(_base: str, round_no: int, _result: LoadResult) -> str:
        with sqlite3.connect(files[round_no]) as conn:
            return f"stored {conn.execute(f'SELECT count(*) FROM {table}').fetchone()[0]} rows"

    return Server(name, f"bench.floor_receiver:{app}", env, report if table else None)


def _ours(workdir: Path, postgres: str | None) -> Server:
    urls: dict[int, str] = {}

    def env(round_no: int) -> dict[str, str]:
        urls[round_no] = _fresh_store(workdir, round_no, postgres)
        return {
            "HUB_DATABASE_URL": urls[round_no],
            "HUB_WEBHOOK_ED25519_PUBLIC_KEY": TEST_PUBLIC_KEY_PEM,
            "HUB_PROCESSING_ENABLED": "false",
        }

    def report(base: str, round_no: int, result: LoadResult) -> str:
        result.commits = _commit_stats(base)
        url = urls[round_no]
        wal = Path(f"{sa.make_url(url).database}-wal")  # SQLite only; bounded by the WAL checkpointer
        wal_note = f"WAL file {wal.stat().st_size / 1e6:.1f} MB at shutdown; " if wal.exists() else ""
        engine = make_engine(url)
        with Session(engine) as session:
            stored = session.scalar(sa.select(sa.func.count()).select_from(Event)) or 0
        engine.dispose()
        if postgres:
            _drop_database(postgres, url)
        return f"stored {stored} distinct deliveries; {wal_note}{result.commits}"

    return Server("EnterpriseHub", "api.app:create_app", env, report)


def throughput(
    n: int,
    connections: int,
    seconds: int,
    rounds: int,
    workdir: Path,
    postgres: str | None = None,
    floor: bool = False,
) -> None:
    """Alternate bare, (the floors,) and ours `rounds` times; each durable receiver gets a fresh store
    and unseen deliveries."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (the Debian package)")
    _, deliveries = _signed_only(n)
    warmup = write_lines(deliveries[:300], workdir / "warmup.tsv")
    main_lines = write_lines(deliveries[300:], workdir / "deliveries.tsv")
    store = "PostgreSQL" if postgres else "SQLite (synchronous=FULL)"
    print(
        f"{len(deliveries) - 300} signed deliveries; wrk -t1 -c{connections} -d{seconds}s, {rounds} rounds; "
        f"store: {store}"
    )
    servers = [Server("bare FastAPI", "bench.bare_receiver:app")]
    if floor:
        servers += [
            _floor("floor verify", "verify_only", workdir, None),
            _floor("floor inbox", "durable_inbox", workdir, "inbox"),
            _floor("floor events", "durable_events", workdir, "events"),
        ]
    servers.append(_ours(workdir, postgres))
    results: dict[str, list[LoadResult]] = {s.name: [] for s in servers}
    for round_no in range(rounds):
        for s in servers:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            argv = api_argv(port) if s.app == "api.app:create_app" else _served_as_ours(port, s.app)
            log_file = workdir / f"{s.app.replace(':', '_')}.log"
            with managed_process(argv, s.env(round_no), log_file, f"{base}/healthz") as server:
                run_wrk(base, warmup, 2, connections, "warm-up")
                result = _measured(server, partial(run_wrk, base, main_lines, seconds, connections, s.name))
                note = s.report(base, round_no, result) if s.report else ""
            if result.requests > len(deliveries) - 300:
                print(f"  note: wrk wrapped around {len(deliveries) - 300} deliveries (repeats: duplicates)")
            note = f"{note}; " if note else ""
            print(
                f"  round {round_no + 1} {s.name}: {result.per_second:,.0f} req/s; {note}"
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
            results[s.name].append(result)
    for name, runs in results.items():
        for r in runs:
            print(
                f"{name:>14}: {r.per_second:8,.0f} req/s  p50 {r.p50_ms:6.2f} ms  p90 {r.p90_ms:6.2f} ms  "
                f"p99 {r.p99_ms:6.2f} ms  max {r.max_ms:7.2f} ms  non-2xx {r.non_2xx}  errors {r.errors}  "
                f"server CPU {r.cpu_us_per_request:5.0f} us/req (event loop {r.loop_us_per_request:4.0f})"
            )
    bare_runs = results["bare FastAPI"]
    for name, runs in results.items():
        if name == "bare FastAPI":
            continue
        pairs = list(zip(bare_runs, runs, strict=True))
        print(
            f"{name} / bare: throughput {_ratios(pairs, lambda r: r.per_second)}; "
            f"p99 {_ratios(pairs, lambda r: r.p99_ms)}; "
            f"server CPU per request {_ratios(pairs, lambda r: r.cpu_us_per_request)}"
        )


def _ratios(pairs: list[tuple[LoadResult, LoadResult]], value: Callable[[LoadResult], float]) -> str:
    return ", ".join(f"{value(ours) / value(bare):.2f}" for bare, ours in pairs)


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
    # Enough that wrk never wraps around within a run: a repeat is a duplicate, which commits nothing
    # and would flatter the receiver.
    parser.add_argument("--deliveries", type=int, default=80000, help="signed deliveries generated")
    parser.add_argument("--connections", type=int, default=16, help="wrk keep-alive connections")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--rounds", type=int, default=2, help="bare/ours alternations")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="store our receiver's log in PostgreSQL: a fresh database per round on the server of this URL "
        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres) instead of a SQLite file",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also serve bench/floor_receiver.py's three lean receivers in each round (verify only; "
        "verify + durable (webhookId, body) inbox; verify + durable insert into the event log's schema)",
    )
    parser.add_argument("--latency", action="store_true", help="also measure end-to-end processing latency")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        throughput(
            args.deliveries, args.connections, args.seconds, args.rounds, Path(tmp), args.postgres, args.floor
        )
        if args.latency:
            latency(args.samples, Path(tmp))


if __name__ == "__main__":
    main()

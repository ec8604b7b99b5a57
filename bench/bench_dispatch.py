"""Workflow dispatch: throughput against GHL's rate limit, and new-lead → first-text latency.

Part A (default) — rate. --locations × --leads due `send_sms` steps (default 50 × 200 = 10,000),
run by the real `dispatch_due` (row claims, every guard, the fresh GHL DND check, the send ledger,
GHLClient pacing with the shared rate limiter: Redis when --redis-url / HUB_REDIS_URL is given,
else one process's in-memory limiter) from --processes × --threads workers, against the GHL
stand-in in its own process enforcing GHL's limit (100 requests / 10 s per location). Each step is
two GHL requests (GET /contacts/{id} for the fresh DND check, POST /conversations/messages).
Baseline, same run: the stand-in's allowed rate, 10 requests/s per location (500/s for 50).
Printed, from the stand-in's own request log: the sustained request rate and its ratio to the
allowed rate, the time taken vs the least time the limit allows, 429 answers, and double sends
(messages per contact at the stand-in, `sent` ledger rows per enrollment).

    .venv/bin/python bench/bench_dispatch.py [--database-url postgresql+psycopg://...] \
        [--redis-url redis://127.0.0.1:6379/0] [--processes 4 --threads 8]

Part B (--latency) — the default deployment end to end: `hub up`'s stack (Prefect server, task
worker, a process flow worker serving the `dispatch-workflow-steps/every-minute` deployment with
its `hub.workflow.due` trigger, API) and the stand-in. One new-lead ContactCreate webhook every
--interval seconds for a lead whose local time is inside calling hours; for each, the time from
the POST to the stand-in accepting the lead's first text (new_buyer_speed_to_lead). p50 / p95 / max.

    .venv/bin/python bench/bench_dispatch.py --latency [--samples 20]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import httpx
import psutil
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.cli.processes import free_port, managed_process
from hub.ghl.standin_admin import StandinAdmin
from hub.store.engine import make_engine, migrate

NOW = datetime(2026, 9, 10, 17, 0, tzinfo=UTC)  # Thursday 12:00 in Chicago: inside every calling window
LIMIT, INTERVAL_S = 100, 10.0  # GHL: 100 requests per 10 s per location
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONSENT = {"source": "website form", "at": "2026-08-01T12:00:00Z", "wording": "I agree to automated texts"}
COMPLIANCE = {
    "business_name": "Oak Realty",
    "unsubscribe_url": "https://hub.example/u/{location_id}/{contact_id}",
    "sms_consent_policy": {"wording": "By submitting you agree to automated texts from us", "sources": ["*"]},
}
ONE_TEXT = """
id: bench_text
name: Bench - one text
steps:
  - {id: hello, type: send_sms, body: "Hi {{ contact.first_name }}, thanks for your interest!"}
"""


def token(location_id: str) -> str:
    return f"tok-bench-{location_id}"


@contextmanager
def standin_process(workdir: Path) -> Iterator[str]:
    """The GHL stand-in in its own process, with GHL's default limits; yields its base URL."""
    port = free_port()
    argv = [sys.executable, "-m", "hub.cli", "ghl-standin", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with managed_process(argv, {}, workdir / "standin.log", f"{url}/_standin/requests"):
        yield url


@contextmanager
def bench_database(url: str | None, workdir: Path) -> Iterator[str]:
    """The store: the given URL, else a fresh PostgreSQL database on the local server (dropped after)."""
    if url:
        yield url
        return
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        fallback = f"sqlite:///{workdir / 'bench.db'}"
        print(f"(no PostgreSQL at {PG_ADMIN}: using {fallback})")
        yield fallback
        return
    try:
        yield sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- part A: rate ------------------------------------------------------------------------------------


def seed(url: str, standin: str, locations: list[str], leads: int) -> None:
    from hub.store.models import Contact, Enrollment, Location
    from hub.workflows.enrollment import publish_workflow
    from hub.workflows.loader import parse_workflow

    migrate(url)
    engine = make_engine(url)
    admin = StandinAdmin(standin)
    with Session(engine) as session, session.begin():
        for location_id in locations:
            session.add(
                Location(
                    id=location_id,
                    name=f"Bench Realty {location_id}",
                    timezone="America/Chicago",
                    postal_address="100 Congress Ave, Austin, TX 78701",
                    compliance=COMPLIANCE,
                )
            )
        session.flush()
        version = publish_workflow(session, parse_workflow(ONE_TEXT, "bench.yaml"), now=NOW).version
    contacts, enrollments = [], []
    for n in range(leads):
        for i, location_id in enumerate(locations):
            contact_id = f"C{n:05d}"
            contacts.append(
                {
                    "location_id": location_id,
                    "id": contact_id,
                    "first_name": "Dana",
                    "name": f"Dana {n}",
                    "phone": f"+1512555{n:04d}",
                    "timezone": "America/Chicago",
                    "consent": CONSENT,
                    "tags": [],
                    "custom_fields": {},
                    "dnd_channels": {},
                }
            )
            enrollments.append(
                {
                    "location_id": location_id,
                    "contact_id": contact_id,
                    "workflow_id": "bench_text",
                    "workflow_version": version,
                    "status": "active",
                    "current_step_id": "hello",
                    # Interleaved by location, as leads of many brokerages arrive: each claimed batch
                    # spans many locations, so no worker waits on one location's rate limit.
                    "next_run_at": NOW - timedelta(hours=1) + timedelta(milliseconds=n * len(locations) + i),
                    "started_at": NOW - timedelta(hours=1),
                    "variants": {},
                    "context": {"visits": {"hello": 1}, "trigger": {}},
                }
            )
    with engine.begin() as conn:
        conn.execute(sa.insert(Contact.__table__), contacts)
        conn.execute(sa.insert(Enrollment.__table__), enrollments)
    engine.dispose()
    for location_id in locations:
        admin.register_location(location_id, token(location_id))
        ghl = [
            {
                "id": c["id"],
                "firstName": "Dana",
                "phone": c["phone"],
                "dnd": False,
                "dndSettings": {"SMS": {"status": "inactive"}},
            }
            for c in contacts
            if c["location_id"] == location_id
        ]
        admin.seed_contacts(location_id, ghl)
    admin.clear_requests()
    admin.close()


def worker(url: str, standin: str, redis_url: str | None, threads: int, ready: Any) -> dict[str, Any]:
    """One dispatcher process: `threads` loops of dispatch_due until nothing is due; it starts when
    every process is connected and ready (`ready`: a barrier shared with the parent)."""
    from hub.ghl.client import GHLClient
    from hub.ghl.rate_limit import InProcessRateLimiter, RedisRateLimiter
    from hub.redis_connection import connect_redis
    from hub.settings import GHLSettings
    from hub.store.engine import session_factory
    from hub.workflows.dispatch import dispatch_due

    settings = GHLSettings(base_url=standin, rate_limit_max=LIMIT, rate_limit_interval_s=INTERVAL_S)
    limiter: Any = (
        RedisRateLimiter.from_settings(connect_redis(redis_url), settings)
        if redis_url
        else InProcessRateLimiter.from_settings(settings)
    )
    engine = make_engine(url)
    sessions = session_factory(engine)
    client = GHLClient(settings, lambda location_id: SecretStr(token(location_id)), limiter=limiter)
    totals: Counter[str] = Counter()
    errors: list[str] = []
    lock = threading.Lock()

    def loop(name: str) -> None:
        while True:
            report = dispatch_due(sessions, client, now=NOW, limit=25, worker=name)
            with lock:
                totals["claimed"] += report.claimed
                totals.update({f"send:{k}": v for k, v in report.sends.items()})
                errors.extend(report.errors)
            if report.claimed == 0:
                return

    with sessions() as session:  # connect first, like a worker that is already running
        session.execute(sa.text("SELECT 1"))
    ready.wait()
    began, cpu = time.time(), time.process_time()
    pool = [threading.Thread(target=loop, args=(f"{os.getpid()}-{i}",)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    cpu = time.process_time() - cpu
    client.close()
    engine.dispose()
    return {"totals": dict(totals), "errors": errors[:5], "began": began, "cpu_s": cpu}


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def rate(args: argparse.Namespace, workdir: Path) -> None:
    from hub.store.models import SendLedgerEntry

    locations = [f"L{i:03d}" for i in range(args.locations)]
    redis_url = args.redis_url or os.environ.get("HUB_REDIS_URL")
    if args.processes is None:  # several processes only with a limiter they share
        args.processes = 4 if redis_url else 1
    if args.processes > 1 and not redis_url:
        raise SystemExit("--processes > 1 needs a shared limiter: pass --redis-url (or HUB_REDIS_URL)")
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter("hub:ghl:ratelimit:*"):
            client.delete(key)
        client.close()
    with bench_database(args.database_url, workdir) as url, standin_process(workdir) as standin:
        started = time.perf_counter()
        seed(url, standin, locations, args.leads)
        backend = sa.engine.make_url(url).get_backend_name()
        print(
            f"seeded {len(locations)} locations x {args.leads} leads = {len(locations) * args.leads} due "
            f"steps in {time.perf_counter() - started:.1f} s ({backend}, limiter: "
            f"{'Redis' if redis_url else 'in-process'}, {args.processes} processes x {args.threads} threads)"
        )
        standin_proc = [
            p for p in psutil.Process().children(recursive=True) if "ghl-standin" in " ".join(p.cmdline())
        ]
        spawn = multiprocessing.get_context("spawn")
        with spawn.Manager() as manager, ProcessPoolExecutor(args.processes, mp_context=spawn) as pool:
            ready = manager.Barrier(args.processes + 1)
            futures = [
                pool.submit(worker, url, standin, redis_url, args.threads, ready)
                for _ in range(args.processes)
            ]
            ready.wait(timeout=600)
            start_at, standin_cpu = time.time(), cpu_seconds(standin_proc)
            results = [f.result() for f in futures]
            standin_cpu = cpu_seconds(standin_proc) - standin_cpu
        admin = StandinAdmin(standin, timeout_s=60)
        log = admin.requests()
        per_contact: Counter[tuple[str, str]] = Counter()
        for location_id in locations:
            for message in admin.collection(location_id, "messages"):
                per_contact[(location_id, message["contactId"])] += 1
        admin.close()
        engine = make_engine(url)
        with engine.connect() as conn:
            sent_rows = conn.scalar(
                sa.select(sa.func.count())
                .select_from(SendLedgerEntry)
                .where(SendLedgerEntry.status == "sent")
            )
            most_per_step = conn.scalar(
                sa.select(sa.func.max(sa.literal_column("n"))).select_from(
                    sa.select(sa.func.count().label("n"))
                    .where(SendLedgerEntry.status == "sent")
                    .group_by(SendLedgerEntry.enrollment_id, SendLedgerEntry.step_id)
                    .subquery()
                )
            )
        engine.dispose()
    report(args, locations, results, log, per_contact, sent_rows, most_per_step, standin_cpu, start_at)


def report(
    args: argparse.Namespace,
    locations: list[str],
    results: list[dict[str, Any]],
    log: list[dict[str, Any]],
    per_contact: Counter[tuple[str, str]],
    sent_rows: int | None,
    most_per_step: int | None,
    standin_cpu: float,
    start_at: float,
) -> None:
    totals: Counter[str] = Counter()
    for result in results:
        totals.update(result["totals"])
    sends = {k[5:]: v for k, v in totals.items() if k.startswith("send:")}
    statuses = Counter(r["status"] for r in log)
    times = sorted(r["at"] for r in log)
    span = times[-1] - times[0]
    per_location = Counter(r["location_id"] for r in log)
    allowed = len(locations) * LIMIT / INTERVAL_S
    # Requests beyond each location's first window, over the time from the first request to the
    # last: the sustained rate (a first window's quota can go out at once, which is not a rate).
    sustained = (len(log) - len(locations) * LIMIT) / span
    least = INTERVAL_S * (math.ceil(max(per_location.values()) / LIMIT) - 1)
    expected = len(locations) * args.leads
    doubles = sum(1 for n in per_contact.values() if n > 1)
    late = max(r["began"] for r in results) - start_at
    dispatcher_cpu = sum(r["cpu_s"] for r in results)
    print(
        f"dispatch: {totals['claimed']} enrollments claimed, sends {sends}, "
        f"errors {sum(len(r['errors']) for r in results)}"
    )
    print(
        f"GHL requests at the stand-in: {len(log)} in {span:.1f} s (first to last), "
        f"statuses {dict(statuses)}; {expected / span:.0f} steps/s"
    )
    print(
        f"sustained rate {sustained:.1f} req/s vs allowed {allowed:.0f} req/s "
        f"({len(locations)} x {LIMIT}/{INTERVAL_S:g} s): ratio {sustained / allowed:.3f}"
    )
    print(f"time {span:.1f} s vs the least the limit allows {least:.1f} s: ratio {least / span:.3f}")
    print(
        f"429 answers: {statuses.get(429, 0)}; messages at the stand-in: {sum(per_contact.values())} for "
        f"{expected} leads, contacts with more than one: {doubles}; ledger `sent` rows: {sent_rows}, "
        f"most per enrollment step: {most_per_step}"
    )
    print(
        f"CPU: dispatchers {dispatcher_cpu:.1f} s ({dispatcher_cpu / expected * 1000:.1f} ms/step), stand-in "
        f"{standin_cpu:.1f} s ({standin_cpu / expected * 1000:.1f} ms/step); database and Redis not counted; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"(last dispatcher process began {late:.2f} s after the common start)")
    for result in results:
        for error in result["errors"]:
            print("  error:", error)


# -- part B: new lead -> first text ------------------------------------------------------------------


def allowed_zone() -> str:
    """An IANA zone where it is now between 11:00 and 17:00 (the lead's calling hours, with margin)."""
    now = datetime.now(UTC)
    candidates = sorted(
        zone
        for zone in available_timezones()
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    )
    preferred = ["America/Chicago", "America/New_York", "America/Los_Angeles", "Pacific/Honolulu"]
    for zone in preferred + candidates:
        if 11 <= now.astimezone(ZoneInfo(zone)).hour < 17:
            return zone
    raise AssertionError("some zone is always at midday")


def latency(args: argparse.Namespace, workdir: Path) -> None:
    from hub.cli.stack import StackShape, local_stack
    from hub.simulator import sign
    from hub.simulator.signing import TEST_PUBLIC_KEY_PEM
    from hub.store.models import Location
    from hub.tenancy import register_location
    from hub.workflows.enrollment import publish_workflow
    from hub.workflows.loader import load_workflow

    location_id, zone = "LocLatency", allowed_zone()
    url = args.database_url or f"sqlite:///{workdir / 'stack.db'}"
    migrate(url)
    engine = make_engine(url)
    template = Path(__file__).resolve().parents[1] / "workflow_templates" / "new_buyer_speed_to_lead.yaml"
    with Session(engine) as session, session.begin():
        register_location(session, location_id, name="Latency Realty", timezone=zone)
        location = session.get(Location, location_id)
        assert location is not None
        location.postal_address = "100 Congress Ave, Austin, TX 78701"
        location.compliance = COMPLIANCE
        publish_workflow(session, load_workflow(template), now=datetime.now(UTC))
    with standin_process(workdir) as standin:
        admin = StandinAdmin(standin)
        admin.register_location(location_id, token(location_id))
        env = {
            "HUB_DATABASE_URL": url,
            "HUB_WEBHOOK_ED25519_PUBLIC_KEY": TEST_PUBLIC_KEY_PEM,
            "HUB_GHL_BASE_URL": standin,
            "HUB_GHL_TOKEN": token(location_id),
            "HUB_CODE_DIR": str(Path(__file__).resolve().parents[1]),
        }
        if args.worker_poll is not None:  # not the default deployment: a lever, reported as such
            env["PREFECT_WORKER_QUERY_SECONDS"] = str(args.worker_poll)
        shape = StackShape(flow_workers=1, deployments=("dispatch-workflow-steps/every-minute",))
        print(f"lead zone {zone} (local time {datetime.now(ZoneInfo(zone)):%H:%M}); starting the stack…")
        seconds: list[float] = []
        stages: list[tuple[float, float, float]] = []  # post -> enrolled -> reserved -> accepted
        with local_stack(workdir / "stack", env, shape=shape) as urls, httpx.Client(base_url=urls.api) as api:
            time.sleep(5)  # let the workers subscribe and poll once
            for i in range(args.samples):
                contact_id = f"CtLat{i:04d}{uuid.uuid4().hex[:6]}"
                phone = f"+1512555{i:04d}"
                admin.seed_contacts(
                    location_id, [{"id": contact_id, "firstName": "Dana", "phone": phone, "tags": ["buyer"]}]
                )
                stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                body = json.dumps(
                    {
                        "type": "ContactCreate",
                        "locationId": location_id,
                        "id": contact_id,
                        "firstName": "Dana",
                        "phone": phone,
                        "timezone": zone,
                        "source": "Zillow",
                        "tags": ["buyer"],
                        "dateAdded": stamp,
                        "webhookId": str(uuid.uuid4()),
                        "timestamp": stamp,
                    },
                    separators=(",", ":"),
                ).encode()
                started, posted_at = time.monotonic(), datetime.now(UTC)
                answer = api.post("/webhooks/ghl", content=body, headers={"x-ghl-signature": sign(body)})
                assert answer.status_code == 200, answer.text
                while not any(
                    m["contactId"] == contact_id and m["type"] == "SMS"
                    for m in admin.collection(location_id, "messages")
                ):
                    if time.monotonic() - started > args.timeout:
                        raise SystemExit(
                            f"lead {i}: no text within {args.timeout:.0f} s; see {urls.logs} "
                            f"({len(seconds)} measured so far: {[round(s, 1) for s in seconds]})"
                        )
                    time.sleep(0.1)
                seconds.append(time.monotonic() - started)
                enrolled, reserved = stage_times(engine, contact_id)
                stages.append(
                    (
                        (enrolled - posted_at).total_seconds(),
                        (reserved - enrolled).total_seconds(),
                        seconds[-1] - (reserved - posted_at).total_seconds(),
                    )
                )
                print(
                    f"  lead {i + 1}/{args.samples}: first text after {seconds[-1]:.1f} s (enrolled after "
                    f"{stages[-1][0]:.1f} s, dispatched {stages[-1][1]:.1f} s later, accepted "
                    f"{stages[-1][2]:.1f} s after that)",
                    flush=True,
                )
                time.sleep(args.interval)
            runs = flow_run_stages(urls.prefect_api)
        admin.close()
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, math.ceil(0.95 * len(seconds)) - 1)]
    print(
        f"new-lead webhook → first SMS accepted by the stand-in: p50 {statistics.median(seconds):.1f} s, "
        f"p95 {p95:.1f} s, max {seconds[-1]:.1f} s over {len(seconds)} leads (target p95 ≤ 10 s: "
        f"{'met' if p95 <= 10 else 'missed'})"
    )
    medians = [statistics.median(stage[k] for stage in stages) for k in range(3)]
    print(
        f"median stages: webhook → enrolled (API, Prefect background task, lead state, trigger) "
        f"{medians[0]:.1f} s; enrolled → send reserved (hub.workflow.due event, automation, flow run "
        f"scheduled, worker poll, subprocess start, dispatch) {medians[1]:.1f} s; reserved → accepted "
        f"by the stand-in {medians[2]:.1f} s"
        + (f" [PREFECT_WORKER_QUERY_SECONDS={args.worker_poll}]" if args.worker_poll is not None else "")
    )
    print(runs)


def flow_run_stages(prefect_api: str) -> str:
    """The dispatch flow runs the Prefect server recorded: how many ended how, and the median time
    from a run's creation (by the automation) to its start (worker poll + subprocess) and its length."""
    answer = httpx.post(f"{prefect_api}/flow_runs/filter", json={"limit": 200}, timeout=30)
    answer.raise_for_status()
    runs = [run for run in answer.json() if run["state_type"] != "SCHEDULED"]  # not the future minutes
    states = Counter(
        f"{run['state_name']} ({'schedule' if run.get('auto_scheduled') else 'trigger'})" for run in runs
    )
    for run in sorted(runs, key=lambda r: r["created"]):
        message = (run.get("state") or {}).get("message") or ""
        print(
            f"    created {run['created'][11:19]}, running {str(run['start_time'])[11:19]}: "
            f"{run['state_name']} {message[:100]}"
        )

    def at(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    started = [(at(r["created"]), at(r["start_time"]), at(r["end_time"])) for r in runs if r["start_time"]]
    waits = [(s - c).total_seconds() for c, s, _ in started if c and s]
    lengths = [(e - s).total_seconds() for _, s, e in started if s and e]
    summary = f"dispatch flow runs: {len(runs)} ({dict(states)})"
    if waits and lengths:
        summary += (
            f"; median created → running {statistics.median(waits):.1f} s, "
            f"median run length {statistics.median(lengths):.1f} s"
        )
    return summary


def stage_times(engine: sa.Engine, contact_id: str) -> tuple[datetime, datetime]:
    """When the lead was enrolled and when its first send was reserved (the store's clock)."""
    from hub.store.models import Enrollment, SendLedgerEntry

    with Session(engine) as session:
        enrolled = session.scalar(sa.select(Enrollment.started_at).where(Enrollment.contact_id == contact_id))
        reserved = session.scalar(
            sa.select(sa.func.min(SendLedgerEntry.reserved_at)).where(
                SendLedgerEntry.contact_id == contact_id, SendLedgerEntry.channel == "SMS"
            )
        )
    assert enrolled is not None and reserved is not None
    return enrolled, reserved


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--locations", type=int, default=50)
    parser.add_argument(
        "--leads", type=int, default=200, help="due leads (one send_sms step each) per location"
    )
    parser.add_argument(
        "--processes",
        type=int,
        help="dispatcher processes (default: 4 with Redis, else 1: the limiter is shared)",
    )
    parser.add_argument("--threads", type=int, default=8, help="dispatcher threads per process")
    parser.add_argument(
        "--database-url", help="store URL (default: a fresh PostgreSQL database on 127.0.0.1)"
    )
    parser.add_argument("--redis-url", help="shared rate limiter (default: HUB_REDIS_URL)")
    parser.add_argument("--latency", action="store_true", help="part B instead of part A")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--interval", type=float, default=15.0, help="seconds between new leads (part B)")
    parser.add_argument(
        "--worker-poll",
        type=float,
        help="part B: PREFECT_WORKER_QUERY_SECONDS for the flow worker (default 10)",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="give up on one lead after this (part B)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.latency:
            latency(args, Path(tmp))
        else:
            rate(args, Path(tmp))


if __name__ == "__main__":
    main()

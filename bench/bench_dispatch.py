"""Workflow dispatch: throughput against GHL's rate limit (issue 4, T1).

--locations × --leads due `send_sms` steps (default 50 × 200 = 10,000),
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
        [--redis-url redis://127.0.0.1:6379/0] [--processes 4 --threads 1]

New-lead webhook → first text: bench/bench_first_sms.py. Seeding: bench/dispatch_setup.py.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dispatch_setup import INTERVAL_S, LIMIT, NOW, bench_database, seed, standin_process, token
from hub.ghl.standin_admin import StandinAdmin
from hub.store.engine import make_engine

# Enrollments per dispatch_due call, as the flow's round (flows/dispatch_workflow_steps.py, limit=200);
# dispatch_due claims them 25 at a time (hub.workflows.dispatch.BATCH). Was 25 until session 7.
ROUND = 200


def worker(
    url: str,
    standin: str,
    redis_url: str | None,
    threads: int,
    ready: Any,
    batched: bool = True,
    concurrent: bool = False,
) -> dict[str, Any]:
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
            report = dispatch_due(
                sessions, client, now=NOW, limit=ROUND, worker=name, prefetch=batched, concurrent=concurrent
            )
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
    if args.threads is None:  # dispatchers scale by processes: threads queue for the GIL (README)
        args.threads = 1
    if args.processes is None:  # several processes only with a limiter they share
        # 4 on this 2-core box (session 7, 50 x 200): 2 -> 0.54, 3 -> 0.65, 4 -> 0.68, 8 -> 0.50. Fewer
        # leave the cores idle during GHL and database round trips; more cost CPU in switching.
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
            f"{'Redis' if redis_url else 'in-process'}, {args.processes} processes x {args.threads} threads, "
            f"{'per-step reads' if args.per_step else 'batch reads'}, "
            f"{'concurrent leads' if args.concurrent else 'sequential'})"
        )
        standin_proc = [
            p for p in psutil.Process().children(recursive=True) if "ghl-standin" in " ".join(p.cmdline())
        ]
        spawn = multiprocessing.get_context("spawn")
        with spawn.Manager() as manager, ProcessPoolExecutor(args.processes, mp_context=spawn) as pool:
            ready = manager.Barrier(args.processes + 1)
            futures = [
                pool.submit(
                    worker, url, standin, redis_url, args.threads, ready, not args.per_step, args.concurrent
                )
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
    # The issue asks for a rate; the ratios above credit each location's first window "at once",
    # a burst of LIMIT requests per location that only a receiver with ~10x the allowed rate gets.
    print(
        f"mean request rate {len(log) / span:.1f} req/s = {len(log) / span / allowed:.3f} of the allowed "
        f"{allowed:.0f} req/s (first to last request; can exceed 1 on short runs through the first burst)"
    )
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
        help="dispatcher processes (with Redis: 8; else 1: one limiter)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="dispatcher threads per process (default 1; 8 was the default until 2026-11-25)",
    )
    parser.add_argument(
        "--database-url", help="store URL (default: a fresh PostgreSQL database on 127.0.0.1)"
    )
    parser.add_argument("--redis-url", help="shared rate limiter (default: HUB_REDIS_URL)")
    parser.add_argument(
        "--concurrent",
        action="store_true",
        help="opt-in: a batch's leads side by side in one thread (dispatch_due(concurrent=True)); "
        "default: the production path, batch reads and one enrollment at a time per thread",
    )
    parser.add_argument(
        "--per-step",
        action="store_true",
        help="the previous dispatcher, as the same-box baseline: every fact read one step at a time, "
        "one enrollment at a time per thread (dispatch_due(prefetch=False, concurrent=False))",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rate(args, Path(tmp))


if __name__ == "__main__":
    main()

"""Drain one location's unprocessed events in micro-batches, each its own transaction."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.events.drain_lease import DrainLease
from hub.events.processor import BatchResult, ProcessingHooks, process_pending
from hub.store.event_log import unprocessed_events


@dataclass
class DrainReport:
    """What one drain did, summed over its micro-batches."""

    location_id: str
    batches: int = 0
    processed: int = 0
    errors: int = 0
    activity_written: int = 0
    out_of_time: bool = False  # a lingering drain stopped at `max_s` with events still arriving
    counts_by_type: Counter[str] = field(default_factory=Counter)
    unknown_types: Counter[str] = field(default_factory=Counter)

    def add(self, result: BatchResult) -> None:
        self.batches += 1
        self.processed += result.processed
        self.errors += len(result.errors)
        self.activity_written += result.activity_written
        self.counts_by_type.update(result.counts_by_type)
        self.unknown_types.update(result.unknown_types)


def drain_location(
    sessions: sessionmaker[Session],
    location_id: str,
    *,
    batch_size: int = 500,
    max_batches: int = 20,
    hooks: ProcessingHooks | None = None,
    on_activity: Callable[[str], None] | None = None,
) -> DrainReport:
    """Process batches until the location is drained or `max_batches` ran (then the next kick goes on).

    Each batch commits on its own, so a crash loses at most the batch in flight — and that batch
    is simply processed again, because nothing of it was committed.
    """
    report = DrainReport(location_id)
    for _ in range(max_batches):
        with sessions() as session, session.begin():
            result = process_pending(session, location_id, limit=batch_size, hooks=hooks)
        report.add(result)
        if on_activity is not None and result.activity_written:
            on_activity(location_id)
        if result.processed < batch_size:
            break
    return report


def has_unprocessed(sessions: sessionmaker[Session], location_id: str) -> bool:
    with sessions() as session:
        return bool(unprocessed_events(session, location_id, limit=1))


def drain_and_linger(
    sessions: sessionmaker[Session],
    location_id: str,
    lease: DrainLease,
    *,
    linger_s: float,
    poll_s: float,
    max_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    **drain_options: Any,
) -> DrainReport | None:
    """Drain, then keep polling for new events until none came for `linger_s`.

    At `max_s` the run stops with `out_of_time` set, and the caller starts a successor run.

    Returns None when another drain holds the location's lease: it is lingering and will pick up
    whatever this kick was for. While a drain lingers, the API skips kicks for the location
    (api/processing.py), so a steady stream of webhooks costs one task run, not one per tick.
    After releasing the lease it looks once more: an event committed in that instant is drained
    by this run (or by whoever took the lease), never left waiting for the next sweep.
    """
    if not lease.acquire(location_id):
        return None
    report = DrainReport(location_id)
    started = clock()
    try:
        while True:
            idle_since = clock()
            while True:
                batch = drain_location(sessions, location_id, **drain_options)
                _merge(report, batch)
                if clock() - started >= max_s:
                    # Hand back to a fresh run rather than one task run that never ends: Prefect
                    # shows each run's counts, and a run that lives forever shows nothing.
                    report.out_of_time = True
                    lease.release(location_id)
                    return report
                if batch.processed:
                    idle_since = clock()
                elif clock() - idle_since >= linger_s:
                    break
                else:
                    sleep(poll_s)
                if not lease.renew(location_id):  # expired and taken over: the new holder drains
                    return report
            lease.release(location_id)
            if not has_unprocessed(sessions, location_id) or not lease.acquire(location_id):
                return report
    except BaseException:
        lease.release(location_id)
        raise


def _merge(total: DrainReport, part: DrainReport) -> None:
    total.batches += part.batches
    total.processed += part.processed
    total.errors += part.errors
    total.activity_written += part.activity_written
    total.counts_by_type.update(part.counts_by_type)
    total.unknown_types.update(part.unknown_types)

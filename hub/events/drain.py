"""Drain one location's unprocessed events in micro-batches, each its own transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from hub.events.processor import BatchResult, ProcessingHooks, process_pending


@dataclass
class DrainReport:
    """What one drain did, summed over its micro-batches."""

    location_id: str
    batches: int = 0
    processed: int = 0
    errors: int = 0
    activity_written: int = 0
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

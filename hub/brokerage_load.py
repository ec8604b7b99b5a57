"""Load recorded deliveries straight into the event log and process them (no HTTP).

For bulk imports and tests; the demo and production take the HTTP path. Each delivery is keyed
exactly as the receiver keys it, so loading the same file twice stores nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from hub.events.drain import drain_location
from hub.events.envelope import marketplace_delivery, workflow_delivery
from hub.store.event_log import RawDelivery, append_events


class RecordedDelivery(Protocol):
    @property
    def route(self) -> str: ...
    @property
    def location_id(self) -> str: ...
    @property
    def body(self) -> bytes: ...


def load_and_process(
    sessions: sessionmaker[Session], deliveries: Iterable[RecordedDelivery], *, chunk: int = 5000
) -> int:
    """Append every delivery, then drain each location; returns the number of new events."""
    now = datetime.now(UTC)
    inserted = 0
    locations: set[str] = set()
    batch: list[RawDelivery] = []
    for d in deliveries:
        if d.route == "workflow":
            batch.append(workflow_delivery(d.body, location_id=d.location_id, received_at=now))
        else:
            batch.append(marketplace_delivery(d.body, received_at=now))
        locations.add(d.location_id)
        if len(batch) >= chunk:
            with sessions() as session, session.begin():
                inserted += append_events(session, batch)
            batch = []
    if batch:
        with sessions() as session, session.begin():
            inserted += append_events(session, batch)
    for location_id in sorted(locations):
        drain_location(sessions, location_id, max_batches=1_000_000)
    return inserted

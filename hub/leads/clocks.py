"""Per-key clocks: which stamp last wrote each slot of the lead state.

The clocks are not stored; they are recomputed from the event log, which is the source of truth
the lead state is folded from (hub.store.models.contacts). For a batch, only events that could
beat something in the batch matter: applied events (processed without error) of the same contacts
that occurred at or after the batch's oldest event — plus, for contacts with workflow-webhook
fields in the batch, their older Contact* events, which outrank those fields whatever their age.
In-order traffic finds none or a handful; a late delivery finds the few it must not overwrite.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.errors import PayloadError
from hub.events.domain import StampedEvent
from hub.events.normalise import CONTACT_TYPES, normalise
from hub.leads.writes import Key, Stamp, stamp_of, writes_of
from hub.store.models.events import Event

_IN_CHUNK = 500


class Clocks:
    """The newest stamp seen per key; `claim` decides a write and advances the clock."""

    def __init__(self) -> None:
        self._stamps: dict[Key, Stamp] = {}

    def observe(self, key: Key, stamp: Stamp) -> None:
        current = self._stamps.get(key)
        if current is None or stamp > current:
            self._stamps[key] = stamp

    def claim(self, key: Key, stamp: Stamp) -> bool:
        """True (and the clock moves to `stamp`) if `stamp` is newer than the key's last write.
        An equal stamp is the same event again: refused, which makes re-applying a no-op."""
        current = self._stamps.get(key)
        if current is not None and stamp <= current:
            return False
        self._stamps[key] = stamp
        return True


def _observe_rows(clocks: Clocks, session: Session, stmt: sa.Select[Event]) -> None:
    for row in session.scalars(stmt):
        try:
            events = normalise(row)
        except PayloadError:
            continue  # it could not have written anything
        for event in events:
            stamped = StampedEvent(row.id, row.occurred_at, event)
            stamp = stamp_of(stamped)
            for write in writes_of(stamped):
                clocks.observe(write.key, stamp)


def load_clocks(
    session: Session,
    location_id: str,
    contact_ids: Iterable[str],
    since: datetime,
    *,
    workflow_contacts: Iterable[str] = (),
) -> Clocks:
    """Clocks of every key that applied events of `contact_ids` at or after `since` wrote.

    Contact fields from workflow webhooks rank below marketplace Contact* events of any age, so for
    `workflow_contacts` every applied Contact* event counts, however old (a contact has few).
    """
    clocks = Clocks()
    applied = (
        Event.location_id == location_id,
        Event.processed_at.is_not(None),
        Event.process_error.is_(None),
    )
    for chunk in _chunks(contact_ids):
        stmt = sa.select(Event).where(*applied, Event.contact_id.in_(chunk), Event.occurred_at >= since)
        _observe_rows(clocks, session, stmt)
    for chunk in _chunks(workflow_contacts):
        stmt = sa.select(Event).where(
            *applied, Event.contact_id.in_(chunk), Event.type.in_(CONTACT_TYPES), Event.occurred_at < since
        )
        _observe_rows(clocks, session, stmt)
    return clocks


def _chunks(ids: Iterable[str]) -> list[list[str]]:
    ordered = sorted(set(ids))
    return [ordered[start : start + _IN_CHUNK] for start in range(0, len(ordered), _IN_CHUNK)]

"""The send ledger: at most one send per enrollment, step visit and channel (COMPLIANCE.md guard 9).

A row's life:

    (none) --reserve--> reserved --GHL answered--> sent (ghl_message_id)
                          |      --GHL refused (4xx)--> failed         (nothing was sent)
                          |      --timeout / 5xx after the request left--> unknown
                          '--worker died--> found `reserved` at restart --reconcile--> sent | unknown
    deferred / suppressed / failed  --reserve (a later try of the same visit)--> reserved

`reserve` is committed BEFORE the GHL call: the unique key (enrollment, step, channel, attempt)
makes the reservation a lock, so a retry, a duplicate delivery or a second worker finds the row and
does not send again. Only rows whose outcome is known to be "nothing sent" (deferred, suppressed,
failed) can be reserved again; `reserved` and `unknown` are never re-sent blindly, they are
reconciled against GHL's OutboundMessage echo (hub.sending.reconcile).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.store.models import SendLedgerEntry

LedgerChannel = Literal["SMS", "Email", "call_task", "note", "webhook"]
SkipStatus = Literal["deferred", "suppressed", "failed"]
NOTHING_SENT = ("deferred", "suppressed", "failed")
MAYBE_SENT = ("sent", "reserved", "unknown")
_TABLE = cast(sa.Table, SendLedgerEntry.__table__)
_KEY_COLUMNS = ("enrollment_id", "step_id", "channel", "attempt_key")


@dataclass(frozen=True, slots=True)
class LedgerKey:
    """One send slot: an enrollment's `attempt`-th visit of a step, on one channel."""

    enrollment_id: int
    step_id: str
    channel: LedgerChannel
    attempt: str

    def where(self) -> sa.ColumnElement[bool]:
        return sa.and_(
            SendLedgerEntry.enrollment_id == self.enrollment_id,
            SendLedgerEntry.step_id == self.step_id,
            SendLedgerEntry.channel == self.channel,
            SendLedgerEntry.attempt_key == self.attempt,
        )


@dataclass(frozen=True, slots=True)
class Reservation:
    """`granted`: this caller holds the slot and must now call GHL and settle the row.
    Otherwise `status` is the existing row's (sent, reserved or unknown) and nothing may be sent."""

    granted: bool
    entry_id: int
    status: str
    _session: Session = field(repr=False, compare=False)

    @property
    def entry(self) -> SendLedgerEntry:
        """The ledger row, read when asked (the send path needs only its id)."""
        return _fresh_by_id(self._session, self.entry_id)


def find(session: Session, key: LedgerKey) -> SendLedgerEntry | None:
    return session.scalars(sa.select(SendLedgerEntry).where(key.where())).one_or_none()


def maybe_sent_channels(session: Session, enrollment_id: int, step_id: str, attempt: str) -> set[str]:
    """The channels on which this step visit was or may have been sent (sent, reserved, unknown)."""
    return set(
        session.scalars(
            sa.select(SendLedgerEntry.channel).where(
                SendLedgerEntry.enrollment_id == enrollment_id,
                SendLedgerEntry.step_id == step_id,
                SendLedgerEntry.attempt_key == attempt,
                SendLedgerEntry.status.in_(MAYBE_SENT),
            )
        )
    )


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(_TABLE)


# The send path's statements, built once and run with parameters: built per call with inline
# values, SQLAlchemy walked every value for the cache key (bench/README.md, "Workflow dispatch").
_RESERVE = {
    name: dialect.insert(_TABLE).on_conflict_do_nothing(index_elements=_KEY_COLUMNS).returning(_TABLE.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_SETTLE = (
    sa.update(_TABLE)
    .where(_TABLE.c.id == sa.bindparam("_entry_id"))
    .where(_TABLE.c.status.in_(sa.bindparam("_from", expanding=True)))
    .returning(_TABLE.c.id)
)


def reserve(
    session: Session,
    key: LedgerKey,
    *,
    location_id: str,
    contact_id: str,
    summary: dict[str, Any],
    now: datetime,
) -> Reservation:
    """Claim the slot (the caller commits before calling GHL). See the module docstring."""
    values = {
        "enrollment_id": key.enrollment_id,
        "step_id": key.step_id,
        "channel": key.channel,
        "attempt_key": key.attempt,
        "location_id": location_id,
        "contact_id": contact_id,
        "status": "reserved",
        "reserved_at": now,
        "request_summary": summary,
    }
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT DO NOTHING.
    inserted = session.execute(_RESERVE[session.get_bind().dialect.name], values).scalar()
    if inserted is not None:
        return Reservation(True, inserted, "reserved", session)
    retaken = session.execute(
        sa.update(SendLedgerEntry)
        .where(key.where(), SendLedgerEntry.status.in_(NOTHING_SENT))
        .values(status="reserved", reserved_at=now, completed_at=None, reason=None, request_summary=summary)
        .returning(SendLedgerEntry.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    entry = _fresh(session, key)
    return Reservation(retaken is not None, entry.id, entry.status, session)


def record_skip(
    session: Session,
    key: LedgerKey,
    status: SkipStatus,
    reason: str,
    *,
    location_id: str,
    contact_id: str,
    now: datetime,
    summary: dict[str, Any] | None = None,
) -> SendLedgerEntry:
    """Record that nothing was sent for this slot, and why (a deferral, a suppression, a refusal).
    A row that is or may be a send is left alone: its outcome cannot be unknown-ed away."""
    values = {
        "enrollment_id": key.enrollment_id,
        "step_id": key.step_id,
        "channel": key.channel,
        "attempt_key": key.attempt,
        "location_id": location_id,
        "contact_id": contact_id,
        "status": status,
        "reason": reason,
        "reserved_at": now,
        "completed_at": now,
        "request_summary": summary or {},
    }
    session.execute(_insert(session).values(**values).on_conflict_do_nothing(index_elements=_KEY_COLUMNS))
    session.execute(
        sa.update(SendLedgerEntry)
        .where(key.where(), SendLedgerEntry.status.in_(NOTHING_SENT))
        .values(status=status, reason=reason, completed_at=now)
        .execution_options(synchronize_session=False)
    )
    return _fresh(session, key)


def settle(
    session: Session,
    entry_id: int,
    status: Literal["sent", "unknown", "failed", "suppressed", "deferred"],
    *,
    now: datetime,
    reason: str | None = None,
    ghl_message_id: str | None = None,
    from_status: tuple[str, ...] = ("reserved",),
) -> bool:
    """Complete a reserved row (or upgrade an unknown one to sent); False if it was not in
    `from_status` any more (someone else settled it)."""
    values: dict[str, Any] = {"_entry_id": entry_id, "_from": list(from_status), "status": status}
    values["completed_at"] = now
    if reason is not None:
        values["reason"] = reason
    if ghl_message_id is not None:
        values["ghl_message_id"] = ghl_message_id
    # A Core UPDATE: rows read earlier in this session are not refreshed; readers use populate_existing.
    return session.execute(_SETTLE, values).scalar() is not None


def _fresh_by_id(session: Session, entry_id: int) -> SendLedgerEntry:
    stmt = sa.select(SendLedgerEntry).where(SendLedgerEntry.id == entry_id)
    return session.scalars(stmt.execution_options(populate_existing=True)).one()


def _fresh(session: Session, key: LedgerKey) -> SendLedgerEntry:
    stmt = sa.select(SendLedgerEntry).where(key.where()).execution_options(populate_existing=True)
    return session.scalars(stmt).one()

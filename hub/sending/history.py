"""What the guards need to know from the store: the contact, the location, and earlier contact.

Builds the plain-value inputs of hub.compliance.guards from rows: recent sends from the ledger
(caps, first SMS, last STOP wording), the latest human conversation from `messages` (takeover) and
the delivery status GHL reported for the newest texts (carrier failures, guard 8).
An outbound message counts as human unless its `source` says automation or it is one of our own
sends (its id is in the ledger): our own OutboundMessage echo must not pause our own workflow.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.compliance.first_message import OPT_OUT_REPEAT
from hub.compliance.frequency import WINDOW, PastSend
from hub.compliance.guards import ContactSnapshot, LocationSnapshot, SendHistory
from hub.compliance.takeover import AUTOMATION_SOURCES, HumanActivity
from hub.sending.ledger import MAYBE_SENT
from hub.store.models import Contact, Location, Message, SendLedgerEntry

CAPPED_CHANNELS = ("SMS", "Email", "call_task")
DELIVERY_LOOKBACK = 5  # newest outbound texts whose delivery status guard 8 looks at


def contact_snapshot(contact: Contact) -> ContactSnapshot:
    return ContactSnapshot(
        id=contact.id,
        source=contact.source,
        timezone=contact.timezone,
        state=contact.state,
        postal_code=contact.postal_code,
        phone=contact.phone,
        email=contact.email,
        dnd=bool(contact.dnd),
        dnd_channels=dict(contact.dnd_channels or {}),
        sms_opted_out=bool(contact.sms_opted_out),
        sms_opted_out_at=contact.sms_opted_out_at,
        sms_opt_out_evidence=dict(contact.sms_opt_out_evidence) if contact.sms_opt_out_evidence else None,
        consent=dict(contact.consent) if contact.consent else None,
    )


def location_snapshot(location: Location) -> LocationSnapshot:
    return LocationSnapshot(
        id=location.id,
        name=location.name,
        timezone=location.timezone,
        quiet_hours_start=location.quiet_hours_start,
        quiet_hours_end=location.quiet_hours_end,
        postal_address=location.postal_address,
    )


def send_history(
    session: Session, location_id: str, contact_id: str, *, now: datetime, channel: str | None = None
) -> SendHistory:
    """Recent sends (for caps), whether an SMS ever went out, the last STOP wording, the latest
    human conversation, and (for a text, `channel` SMS or None) the newest delivery reports."""
    horizon = now - max(WINDOW, OPT_OUT_REPEAT) - timedelta(days=1)
    rows = session.scalars(
        sa.select(SendLedgerEntry).where(
            SendLedgerEntry.location_id == location_id,
            SendLedgerEntry.contact_id == contact_id,
            SendLedgerEntry.status.in_(MAYBE_SENT),
            SendLedgerEntry.reserved_at >= horizon,
        )
    ).all()
    past = tuple(
        PastSend(row.channel, row.reserved_at)  # type: ignore[arg-type]
        for row in rows
        if row.channel in CAPPED_CHANNELS and row.reserved_at > now - WINDOW
    )
    wording = [
        row.completed_at or row.reserved_at
        for row in rows
        if row.channel == "SMS" and row.status == "sent" and row.request_summary.get("opt_out_wording")
    ]
    sms_before = session.scalar(
        sa.select(sa.literal(True)).where(
            sa.exists().where(
                SendLedgerEntry.location_id == location_id,
                SendLedgerEntry.contact_id == contact_id,
                SendLedgerEntry.channel == "SMS",
                SendLedgerEntry.status == "sent",
            )
        )
    )
    return SendHistory(
        past=past,
        sms_sent_before=bool(sms_before),
        last_opt_out_wording_at=max(wording) if wording else None,
        human=latest_human_activity(session, location_id, contact_id),
        sms_delivery=sms_delivery(session, location_id, contact_id) if channel in ("SMS", None) else (),
    )


def sms_delivery(session: Session, location_id: str, contact_id: str) -> tuple[str | None, ...]:
    """GHL's delivery status of the newest outbound texts to the contact, newest first (guard 8:
    hub.compliance.carrier.undeliverable_streak reads them)."""
    return tuple(
        session.scalars(
            sa.select(Message.status)
            .where(
                Message.location_id == location_id,
                Message.contact_id == contact_id,
                Message.direction == "outbound",
                Message.channel == "SMS",
            )
            .order_by(Message.occurred_at.desc())
            .limit(DELIVERY_LOOKBACK)
        )
    )


def latest_human_activity(session: Session, location_id: str, contact_id: str) -> HumanActivity | None:
    """The newest inbound message, or outbound message a person wrote, for the contact."""
    inbound = session.execute(
        sa.select(Message.occurred_at, Message.channel)
        .where(
            Message.location_id == location_id,
            Message.contact_id == contact_id,
            Message.direction == "inbound",
        )
        .order_by(Message.occurred_at.desc())
        .limit(1)
    ).first()
    # Our own sends to this contact (their echoes are automation, not an agent). Scoped to the
    # contact: the location's whole ledger would make every send cost more as the ledger grows.
    ours = sa.select(SendLedgerEntry.ghl_message_id).where(
        SendLedgerEntry.location_id == location_id,
        SendLedgerEntry.contact_id == contact_id,
        SendLedgerEntry.ghl_message_id.is_not(None),
    )
    agent = session.execute(
        sa.select(Message.occurred_at, Message.channel)
        .where(
            Message.location_id == location_id,
            Message.contact_id == contact_id,
            Message.direction == "outbound",
            sa.or_(Message.source.is_(None), Message.source.not_in(sorted(AUTOMATION_SOURCES))),
            Message.id.not_in(ours),
        )
        .order_by(Message.occurred_at.desc())
        .limit(1)
    ).first()
    found = [HumanActivity(row[0], f"inbound {row[1]} reply") for row in (inbound,) if row is not None]
    found += [HumanActivity(row[0], f"agent message ({row[1]})") for row in (agent,) if row is not None]
    return max(found, key=lambda a: a.at) if found else None


ContactKey = tuple[str, str]  # (location_id, contact_id)


def send_histories(
    session: Session, contacts: Collection[ContactKey], *, now: datetime
) -> dict[ContactKey, SendHistory]:
    """`send_history(..., channel=None)` for many contacts at once: five queries in all instead of
    five per contact (the dispatcher reads a claimed batch's contacts together). Same rules and the
    same results; pass a channel other than SMS through `for_channel`."""
    wanted = set(contacts)
    if not wanted:
        return {}
    locations = sorted({loc for loc, _ in wanted})
    ids = sorted({contact for _, contact in wanted})

    def scope(model: type[SendLedgerEntry] | type[Message]) -> sa.ColumnElement[bool]:
        # A superset (every pair of the two lists); rows outside `wanted` are dropped below.
        return sa.and_(model.location_id.in_(locations), model.contact_id.in_(ids))

    horizon = now - max(WINDOW, OPT_OUT_REPEAT) - timedelta(days=1)
    rows = session.execute(
        sa.select(
            SendLedgerEntry.location_id,
            SendLedgerEntry.contact_id,
            SendLedgerEntry.channel,
            SendLedgerEntry.status,
            SendLedgerEntry.reserved_at,
            SendLedgerEntry.completed_at,
            SendLedgerEntry.request_summary,
        ).where(
            scope(SendLedgerEntry),
            SendLedgerEntry.status.in_(MAYBE_SENT),
            SendLedgerEntry.reserved_at >= horizon,
        )
    ).all()
    past: dict[ContactKey, list[PastSend]] = {key: [] for key in wanted}
    wording: dict[ContactKey, list[datetime]] = {key: [] for key in wanted}
    for loc, contact, channel, status, reserved_at, completed_at, summary in rows:
        key = (loc, contact)
        if key not in wanted:
            continue
        if channel in CAPPED_CHANNELS and reserved_at > now - WINDOW:
            past[key].append(PastSend(channel, reserved_at))
        if channel == "SMS" and status == "sent" and summary.get("opt_out_wording"):
            wording[key].append(completed_at or reserved_at)
    sms_before = set(
        session.execute(
            sa.select(SendLedgerEntry.location_id, SendLedgerEntry.contact_id)
            .where(scope(SendLedgerEntry), SendLedgerEntry.channel == "SMS", SendLedgerEntry.status == "sent")
            .distinct()
        ).all()
    )
    ours = sa.select(SendLedgerEntry.ghl_message_id).where(
        scope(SendLedgerEntry), SendLedgerEntry.ghl_message_id.is_not(None)
    )
    inbound = _newest(session, scope(Message), Message.direction == "inbound", limit=1)
    agent = _newest(
        session,
        scope(Message),
        Message.direction == "outbound",
        sa.or_(Message.source.is_(None), Message.source.not_in(sorted(AUTOMATION_SOURCES))),
        Message.id.not_in(ours),
        limit=1,
    )
    delivery = _newest(
        session,
        scope(Message),
        Message.direction == "outbound",
        Message.channel == "SMS",
        limit=DELIVERY_LOOKBACK,
    )
    histories: dict[ContactKey, SendHistory] = {}
    for key in wanted:
        found = [HumanActivity(at, f"inbound {channel} reply") for at, channel, _ in inbound.get(key, [])]
        found += [HumanActivity(at, f"agent message ({channel})") for at, channel, _ in agent.get(key, [])]
        histories[key] = SendHistory(
            past=tuple(past[key]),
            sms_sent_before=key in sms_before,
            last_opt_out_wording_at=max(wording[key]) if wording[key] else None,
            human=max(found, key=lambda a: a.at) if found else None,
            sms_delivery=tuple(status for _, _, status in delivery.get(key, [])),
        )
    return histories


def for_channel(history: SendHistory, channel: str | None) -> SendHistory:
    """A history from `send_histories` as `send_history(..., channel=channel)` returns it."""
    return history if channel in ("SMS", None) else replace(history, sms_delivery=())


def _newest(
    session: Session, *where: sa.ColumnElement[bool], limit: int
) -> dict[ContactKey, list[tuple[datetime, str, str | None]]]:
    """Per contact, the `limit` newest messages matching `where` (occurred_at, channel, status)."""
    rank = (
        sa.func.row_number()
        .over(partition_by=(Message.location_id, Message.contact_id), order_by=Message.occurred_at.desc())
        .label("rank")
    )
    ranked = (
        sa.select(
            Message.location_id,
            Message.contact_id,
            Message.occurred_at,
            Message.channel,
            Message.status,
            rank,
        )
        .where(*where)
        .subquery()
    )
    newest: dict[ContactKey, list[tuple[datetime, str, str | None]]] = {}
    for loc, contact, at, channel, status, _ in session.execute(
        sa.select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.rank)
    ):
        newest.setdefault((loc, contact), []).append((at, channel, status))
    return newest

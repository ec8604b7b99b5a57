"""Reading a batch's facts in bulk changes no guard outcome.

The same random population of leads (time zones, stored and fresh DND, STOPs, missing consent or
phone, replies, failed deliveries, earlier texts, two workflows texting one lead in the same batch)
is built twice, in location L1 and L2; L1 is dispatched one fact and one enrollment at a time
(`prefetch=False, concurrent=False`, the reference) and L2 with the batch's bulk read and its leads
run concurrently (the default). Ledger outcomes with their reasons, enrollment states
and what the GHL stand-in received must be identical, lead by lead.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.store.models import Enrollment, Message, SendLedgerEntry
from hub.workflows import dispatch_due, enroll
from hub.workflows.dispatch import DispatchReport
from tests.hub.workflows.builders import (
    CONSENT,
    T0,
    add_lead,
    add_location,
    ghl_contact,
    publish,
    workflow_yaml,
)

FIRST = workflow_yaml("""
    - {id: hello, type: send_sms, body: "Hello {{ contact.first_name }}"}
    - {id: note, type: send_email, subject: "Homes", html: "<p>Hi {{ contact.first_name }}</p>"}
""")
SECOND = workflow_yaml(
    """
    - {id: ping, type: send_sms, body: "Still looking, {{ contact.first_name }}?"}
""",
    workflow_id="wf2",
    enrollment="frequency_caps: {SMS: 1}",
)
ZONES = ["America/Chicago", "Asia/Tokyo", "America/New_York", None]


def population(rng: random.Random, size: int) -> list[dict[str, Any]]:
    leads = []
    for n in range(size):
        leads.append(
            {
                "id": f"C{n:03d}",
                "timezone": rng.choice(ZONES),
                "phone": rng.choice(["+15125550143", "+13055550100", None])
                if rng.random() < 0.3
                else "+15125550143",
                "dnd": rng.random() < 0.08,
                "dnd_channels": {"SMS": "active"} if rng.random() < 0.08 else {},
                "opted_out": rng.random() < 0.08,
                "consent": rng.random() > 0.1,
                "ghl_dnd_sms": rng.random() < 0.1,
                "replied": rng.random() < 0.1,
                "failed_deliveries": rng.choice([0, 0, 0, 3]),
                "texted_earlier": rng.random() < 0.2,
                "both_workflows": rng.random() < 0.4,
            }
        )
    return leads


def build(session: Session, standin: StandinHandle, location_id: str, leads: list[dict[str, Any]]) -> None:
    add_location(session, location_id)
    ghl = []
    for lead in leads:
        contact = add_lead(
            session,
            location_id,
            lead["id"],
            timezone=lead["timezone"],
            phone=lead["phone"],
            dnd=lead["dnd"],
            dnd_channels=lead["dnd_channels"],
            sms_opted_out=lead["opted_out"],
            sms_opted_out_at=T0 - timedelta(days=2) if lead["opted_out"] else None,
            consent=dict(CONSENT) if lead["consent"] else None,
        )
        dnd = {"SMS": {"status": "active" if lead["ghl_dnd_sms"] else "inactive"}}
        ghl.append(ghl_contact(contact, dndSettings=dnd))
        messages = []
        if lead["replied"]:
            messages.append(("in", "inbound", None, T0 - timedelta(minutes=1)))
        for k in range(lead["failed_deliveries"]):
            messages.append((f"f{k}", "outbound", "undelivered", T0 - timedelta(days=1, minutes=k)))
        for suffix, direction, status, at in messages:
            session.add(
                Message(
                    location_id=location_id,
                    id=f"{location_id}-{lead['id']}-{suffix}",
                    contact_id=lead["id"],
                    direction=direction,
                    channel="SMS",
                    status=status,
                    source="api" if direction == "outbound" else None,
                    occurred_at=at,
                )
            )
    standin.admin.seed_contacts(location_id, ghl)
    session.flush()


def enroll_all(session: Session, location_id: str, leads: list[dict[str, Any]]) -> None:
    for lead in leads:
        start = T0 - timedelta(hours=2)
        if lead["texted_earlier"]:  # an earlier enrollment whose text went out an hour ago
            earlier = enroll(
                session,
                location_id=location_id,
                contact_id=lead["id"],
                workflow_id="wf2",
                now=start,
                reason="t",
            )
            assert earlier.enrollment is not None
            earlier.enrollment.status = "completed"
            session.add(
                SendLedgerEntry(
                    enrollment_id=earlier.enrollment.id,
                    step_id="ping",
                    channel="SMS",
                    attempt_key="1",
                    location_id=location_id,
                    contact_id=lead["id"],
                    status="sent",
                    reserved_at=T0 - timedelta(hours=1),
                    completed_at=T0 - timedelta(hours=1),
                    request_summary={"type": "SMS", "opt_out_wording": True},
                )
            )
            session.flush()
        enroll(
            session, location_id=location_id, contact_id=lead["id"], workflow_id="wf", now=start, reason="t"
        )
        if lead["both_workflows"] and not lead["texted_earlier"]:
            enroll(
                session,
                location_id=location_id,
                contact_id=lead["id"],
                workflow_id="wf2",
                now=start,
                reason="t",
            )


def outcomes(session: Session, standin: StandinHandle, location_id: str) -> dict[str, Any]:
    ledger = session.execute(
        sa.select(
            SendLedgerEntry.contact_id,
            Enrollment.workflow_id,
            SendLedgerEntry.step_id,
            SendLedgerEntry.channel,
            SendLedgerEntry.status,
            SendLedgerEntry.reason,
        )
        .join(Enrollment, Enrollment.id == SendLedgerEntry.enrollment_id)
        .where(SendLedgerEntry.location_id == location_id)
    ).all()
    enrollments = session.execute(
        sa.select(
            Enrollment.contact_id,
            Enrollment.workflow_id,
            Enrollment.status,
            Enrollment.current_step_id,
            Enrollment.next_run_at,
            Enrollment.exit_reason,
        ).where(Enrollment.location_id == location_id)
    ).all()
    received = [
        (m["contactId"], m["type"], m.get("message"))
        for m in standin.admin.collection(location_id, "messages")
    ]
    return {
        "ledger": sorted(map(tuple, ledger), key=repr),
        "enrollments": sorted(map(tuple, enrollments), key=repr),
        "received": sorted(received, key=repr),
    }


@pytest.mark.parametrize("concurrent", [False, True], ids=["sequential", "concurrent"])
@pytest.mark.parametrize("seed", [3, 17])
def test_bulk_reads_decide_exactly_like_step_by_step_reads(
    seed: int,
    concurrent: bool,
    make_session: sessionmaker[Session],
    standin: StandinHandle,
    ghl: GHLClient,
) -> None:
    leads = population(random.Random(seed), 24)
    with make_session() as session:
        for location_id in ("L1", "L2"):
            build(session, standin, location_id, leads)
        publish(session, FIRST)
        publish(session, SECOND)
        for location_id in ("L1", "L2"):
            enroll_all(session, location_id, leads)
        session.commit()
    reports: dict[str, DispatchReport] = {}
    for location_id, batched in (("L1", False), ("L2", True)):
        # Small batches, so leads with two enrollments fall both within and across batches.
        reports[location_id] = dispatch_due(
            make_session,
            ghl,
            now=T0,
            location_id=location_id,
            limit=200,
            prefetch=batched,
            concurrent=batched and concurrent,
        )
    assert reports["L1"].errors == reports["L2"].errors == []
    assert reports["L1"].sends == reports["L2"].sends
    with make_session() as session:
        one_by_one, in_bulk = outcomes(session, standin, "L1"), outcomes(session, standin, "L2")
    assert in_bulk == one_by_one
    # Not vacuous: the population exercised sends and several different guards.
    statuses = {row[4] for row in one_by_one["ledger"]}
    reasons = {str(row[5]).split(":")[0] for row in one_by_one["ledger"] if row[5]}
    assert {"sent", "suppressed", "deferred"} <= statuses, statuses
    assert len(reasons) >= 4, reasons

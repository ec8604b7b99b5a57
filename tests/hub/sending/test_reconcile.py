"""Reconciliation: an echo confirms a send; no echo leaves it unknown; nothing is ever resent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hub.sending.ledger import LedgerKey, reserve, settle
from hub.sending.reconcile import body_digest, reconcile
from hub.store.models import Message, SendLedgerEntry
from hub.workflows import enroll
from hub.workflows.enrollment import live_enrollments
from tests.hub.workflows.builders import T0, add_lead, add_location, publish, workflow_yaml

BODY = "Oak Realty: Hi Dana Reply STOP to opt out."


def reserved(session: Session, step: str = "hello") -> SendLedgerEntry:
    enrollment = enroll(
        session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t"
    ).enrollment
    enrollment = enrollment or live_enrollments(session, "L1", "C1")[0]
    key = LedgerKey(enrollment.id, step, "SMS", "1")
    return reserve(
        session, key, location_id="L1", contact_id="C1", summary={"body_sha256": body_digest(BODY)}, now=T0
    ).entry


def setup(session: Session) -> None:
    add_location(session)
    add_lead(session)
    publish(session, workflow_yaml("- {id: hello, type: send_sms, body: hi}"))


def echo(session: Session, message_id: str, body: str = BODY, minutes: int = 1) -> None:
    session.add(
        Message(
            location_id="L1",
            id=message_id,
            contact_id="C1",
            direction="outbound",
            channel="SMS",
            body=body,
            source="api",
            occurred_at=T0 + timedelta(minutes=minutes),
        )
    )
    session.flush()


def test_the_echo_confirms_an_unknown_send(session: Session) -> None:
    setup(session)
    entry = reserved(session)
    settle(session, entry.id, "unknown", now=T0)
    echo(session, "Other", body="something else")
    assert reconcile(session, now=T0 + timedelta(minutes=5)).still_unknown == [entry.id]
    echo(session, "MsgA", minutes=2)
    report = reconcile(session, now=T0 + timedelta(minutes=10))
    assert report.confirmed == [entry.id]
    session.refresh(entry)
    assert (entry.status, entry.ghl_message_id) == ("sent", "MsgA")


def test_an_abandoned_reservation_becomes_unknown_after_the_lease(session: Session) -> None:
    setup(session)
    entry = reserved(session)
    assert (
        reconcile(session, now=T0 + timedelta(minutes=30)).abandoned_reservations == []
    )  # maybe still running
    report = reconcile(session, now=T0 + timedelta(hours=2))
    assert report.abandoned_reservations == [entry.id]
    session.refresh(entry)
    assert entry.status == "unknown" and "not sent again" in (entry.reason or "")


def test_an_echo_already_matched_to_another_send_is_not_reused(session: Session) -> None:
    setup(session)
    first = reserved(session)
    settle(session, first.id, "sent", now=T0, ghl_message_id="MsgA")
    second = reserved(session, step="hello_again")
    settle(session, second.id, "unknown", now=T0)
    echo(session, "MsgA")
    assert reconcile(session, now=T0 + timedelta(minutes=5)).still_unknown == [second.id]

"""Guard 8 end to end: a carrier's opt-out or dead-number report suppresses the contact's SMS like a
STOP, and every later text is skipped with the reason (dispatcher -> GHL stand-in over HTTP; only
GHL's refusal is scripted, in front of the stand-in)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.sending.audit import contact_audit
from hub.settings import GHLSettings
from hub.store.models import Contact, Enrollment, Message, SendLedgerEntry
from hub.workflows import dispatch_due, enroll
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact, publish, workflow_yaml
from tests.hub.workflows.conftest import token_for
from tests.hub.workflows.ghl_faults import CarrierRefusal

FLOW = workflow_yaml(
    """
    - id: hello
      type: send_sms
      body: "Hi {{ contact.first_name }}"
      fallback_email: {subject: "Hello", html: "<p>Hi {{ contact.first_name }}</p>"}
    - {id: pause, type: wait, duration: 1d}
    - {id: again, type: send_sms, body: "Second text"}
    - {id: bye, type: send_email, subject: "Bye", html: "<p>Talk soon</p>"}
    """,
    enrollment="channels: {failover: true}",
)


def start(make_session: sessionmaker[Session], standin: StandinHandle) -> None:
    with make_session() as session:
        add_location(session)
        contact = add_lead(session)
        standin.admin.seed_contacts("L1", [ghl_contact(contact)])
        publish(session, FLOW)
        enroll(session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t")
        session.commit()


def ledger(session: Session) -> list[tuple[str, str, str]]:
    rows = session.scalars(sa.select(SendLedgerEntry).order_by(SendLedgerEntry.id))
    return [(r.step_id, r.channel, r.status) for r in rows]


def test_a_21610_refusal_suppresses_sms_like_a_stop_and_later_texts_are_skipped(
    make_session: sessionmaker[Session], standin: StandinHandle
) -> None:
    start(make_session, standin)
    carrier = CarrierRefusal({"C1"}, "Message failed: 21610 - Attempt to send to unsubscribed recipient")
    settings = GHLSettings(base_url=standin.base_url, max_attempts=2, backoff_max_s=0.01)
    with GHLClient(settings, token_for, transport=carrier, sleep=lambda _s: None) as ghl:
        first = dispatch_due(make_session, ghl, now=T0)
        later = dispatch_due(make_session, ghl, now=T0 + timedelta(days=1))
    assert first.sends == {"suppressed": 1, "sent": 1} and later.sends == {"suppressed": 1, "sent": 1}
    assert carrier.refused == 1  # the second text never reached GHL
    assert [m["type"] for m in standin.admin.collection("L1", "messages")] == ["Email", "Email"]
    with make_session() as session:
        contact = session.get(Contact, ("L1", "C1"))
        assert contact is not None and contact.sms_opted_out
        assert contact.sms_opt_out_evidence is not None
        assert contact.sms_opt_out_evidence["carrier"]["code"] == "21610"
        assert ledger(session) == [
            ("hello", "SMS", "suppressed"),
            ("hello", "Email", "sent"),
            ("again", "SMS", "suppressed"),
            ("bye", "Email", "sent"),
        ]
        again = session.scalars(sa.select(SendLedgerEntry).where(SendLedgerEntry.step_id == "again")).one()
        assert "opt_out" in (again.reason or "") and "carrier error 21610" in (again.reason or "")
        enrollment = session.scalars(sa.select(Enrollment)).one()
        assert enrollment.status == "completed"  # a dead number is not a failed workflow
        kinds = [item.kind for item in contact_audit(session, "L1", "C1")]
    assert kinds.count("sms_suppressed_by_carrier") == 1


def test_two_undelivered_texts_in_a_row_stop_further_texts_one_does_not(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    start(make_session, standin)
    with make_session() as session:
        for minutes, status in ((-60, "undelivered"), (-30, "failed")):
            session.add(
                Message(
                    location_id="L1",
                    id=f"Out{minutes}",
                    contact_id="C1",
                    direction="outbound",
                    channel="SMS",
                    body="earlier text",
                    status=status,
                    source="app",
                    occurred_at=T0 - timedelta(days=2, minutes=minutes),
                )
            )
        session.commit()
    dispatch_due(make_session, ghl, now=T0)
    assert [m["type"] for m in standin.admin.collection("L1", "messages")] == ["Email"]
    with make_session() as session:
        row = session.scalars(sa.select(SendLedgerEntry).where(SendLedgerEntry.channel == "SMS")).one()
        assert row.status == "suppressed" and "reported undelivered/failed" in (row.reason or "")
        # A later delivery report (say an agent's text got through) clears the streak.
        session.add(
            Message(
                location_id="L1",
                id="OutOk",
                contact_id="C1",
                direction="outbound",
                channel="SMS",
                body="agent text",
                status="delivered",
                source="app",
                occurred_at=T0 - timedelta(hours=1),
            )
        )
        session.commit()
    dispatch_due(make_session, ghl, now=T0 + timedelta(days=1))
    assert [m["type"] for m in standin.admin.collection("L1", "messages")] == ["Email", "SMS", "Email"]


def test_a_block_for_an_old_number_lets_the_new_one_be_tried_and_records_its_own(
    make_session: sessionmaker[Session], standin: StandinHandle
) -> None:
    start(make_session, standin)
    with make_session() as session:
        contact = session.get(Contact, ("L1", "C1"))
        assert contact is not None
        contact.sms_opted_out, contact.sms_opted_out_at = True, T0 - timedelta(days=30)
        old = {
            "kind": "undeliverable",
            "code": "30006",
            "rule": "carrier error 30006",
            "phone": "+15125550100",
        }
        contact.sms_opt_out_evidence = {"rule": old["rule"], "carrier": old}
        session.commit()
    carrier = CarrierRefusal({"C1"}, "Twilio error 21610: Attempt to send to unsubscribed recipient")
    settings = GHLSettings(base_url=standin.base_url, max_attempts=2, backoff_max_s=0.01)
    with GHLClient(settings, token_for, transport=carrier, sleep=lambda _s: None) as ghl:
        dispatch_due(make_session, ghl, now=T0)
    assert carrier.refused == 1  # the contact's current number was tried
    with make_session() as session:
        contact = session.get(Contact, ("L1", "C1"))
        assert contact is not None and contact.sms_opt_out_evidence is not None
        carrier_record = contact.sms_opt_out_evidence["carrier"]
        assert (carrier_record["code"], carrier_record["phone"]) == ("21610", "+15125550143")

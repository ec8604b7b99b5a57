"""The dispatcher end to end against the GHL stand-in over real HTTP: what the stand-in received is
the truth of what was sent."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.sending.audit import contact_audit
from hub.settings import GHLSettings
from hub.store.models import Contact, Enrollment, Message, SendLedgerEntry
from hub.workflows import dispatch_due, enroll
from hub.workflows.enrollment import publish_workflow
from hub.workflows.loader import load_workflow
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact, publish, workflow_yaml
from tests.hub.workflows.conftest import token_for
from tests.hub.workflows.ghl_faults import FaultyGHL, WorkerKilled

TEMPLATES = Path(__file__).resolve().parents[3] / "workflow_templates"
TWO_TEXTS = workflow_yaml("""
    - {id: hello, type: send_sms, body: "Hello {{ contact.first_name }}"}
    - {id: pause, type: wait, duration: 1h}
    - {id: again, type: send_sms, body: "Second text"}
""")


def sends(standin: StandinHandle) -> list[dict[str, Any]]:
    return [
        r
        for r in standin.admin.requests()
        if r["method"] == "POST" and r["path"] == "/conversations/messages"
    ]


def ledger(session: Session) -> list[tuple[str, str, str]]:
    rows = session.scalars(sa.select(SendLedgerEntry).order_by(SendLedgerEntry.id))
    return [(r.step_id, r.channel, r.status) for r in rows]


def start(make_session: sessionmaker[Session], standin: StandinHandle, yaml_text: str, **lead: Any) -> None:
    ghl_overrides = lead.pop("ghl", {})
    with make_session() as session:
        add_location(session)
        contact = add_lead(session, **lead)
        standin.admin.seed_contacts("L1", [ghl_contact(contact, **ghl_overrides)])
        publish(session, yaml_text)
        enroll(
            session,
            location_id="L1",
            contact_id=contact.id,
            workflow_id=yaml_text.split()[1],
            now=T0,
            reason="t",
        )
        session.commit()


def test_speed_to_lead_template(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    loaded = load_workflow(TEMPLATES / "new_buyer_speed_to_lead.yaml")
    with make_session() as session:
        add_location(session)
        contact = add_lead(session)
        standin.admin.seed_contacts("L1", [ghl_contact(contact)])
        publish_workflow(session, loaded, now=T0)
        enroll(
            session, location_id="L1", contact_id="C1", workflow_id=loaded.definition.id, now=T0, reason="t"
        )
        session.commit()
    report = dispatch_due(make_session, ghl, now=T0)
    assert report.sends == {"sent": 2}
    log = [(r["method"], r["path"]) for r in standin.admin.requests()]
    assert log == [
        ("GET", "/contacts/C1"),
        ("POST", "/conversations/messages"),
        ("POST", "/contacts/C1/tasks"),
        ("POST", "/contacts/C1/tags"),
    ]
    [text] = standin.admin.collection("L1", "messages")
    assert (
        text["message"].startswith("Hi Dana, it's the team with Oak Realty")
        and "Reply STOP" in text["message"]
    )
    [task] = standin.admin.collection("L1", "tasks")
    assert task["dueDate"].startswith("2026-09-10T17:05")


def test_quiet_hours_defer_to_8_am_in_the_leads_zone(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    start(make_session, standin, TWO_TEXTS, timezone="America/Los_Angeles")
    la = ZoneInfo("America/Los_Angeles")
    early = datetime(2026, 9, 11, 5, 0, tzinfo=la)  # 07:00 in Chicago, where the location is
    report = dispatch_due(make_session, ghl, now=early)
    assert report.sends == {"deferred": 1} and sends(standin) == []
    with make_session() as session:
        enrollment = session.scalars(sa.select(Enrollment)).one()
        assert enrollment.next_run_at == datetime(2026, 9, 11, 8, 0, tzinfo=la)
        [row] = session.scalars(sa.select(SendLedgerEntry)).all()
        assert row.status == "deferred" and "quiet_hours" in (row.reason or "")
    assert dispatch_due(make_session, ghl, now=datetime(2026, 9, 11, 7, 59, tzinfo=la)).claimed == 0
    dispatch_due(make_session, ghl, now=datetime(2026, 9, 11, 8, 0, tzinfo=la))
    assert len(sends(standin)) == 1
    with make_session() as session:
        kinds = [item.kind for item in contact_audit(session, "L1", "C1")]
    assert "workflow_send_deferred" in kinds and "workflow_send" in kinds


def test_ghl_dnd_is_checked_right_before_sending(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    # Our store has not heard of the DND yet (the webhook is late); GHL has it.
    start(make_session, standin, TWO_TEXTS, ghl={"dndSettings": {"SMS": {"status": "active"}}})
    report = dispatch_due(make_session, ghl, now=T0)
    assert sends(standin) == []
    assert report.sends == {"suppressed": 1}
    with make_session() as session:
        [row] = session.scalars(sa.select(SendLedgerEntry)).all()
        assert row.status == "suppressed" and "fresh check" in (row.reason or "")


TEXT_OR_EMAIL = workflow_yaml(
    """
    - id: hello
      type: send_sms
      body: "Hi"
      fallback_email: {subject: "Hello", html: "<p>Hi {{ contact.first_name }}</p>"}
""",
    enrollment="channels: {failover: true}",
)


def test_failover_to_email_when_sms_is_impossible(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    start(make_session, standin, TEXT_OR_EMAIL, phone=None)
    dispatch_due(make_session, ghl, now=T0)
    [email] = standin.admin.collection("L1", "messages")
    assert email["type"] == "Email" and "Unsubscribe" in email["html"]
    with make_session() as session:
        assert ledger(session) == [("hello", "SMS", "suppressed"), ("hello", "Email", "sent")]


def test_a_step_that_failed_over_is_not_sent_again_on_its_first_channel(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    """Found by test_property: SMS blocked by DND, the email goes out and the worker dies before
    recording it; DND is lifted; the step's re-run must not text the lead (one delivery per step)."""
    start(make_session, standin, TEXT_OR_EMAIL, dnd_channels={"SMS": "active"})
    doomed = GHLClient(GHLSettings(base_url=standin.base_url), token_for, transport=FaultyGHL(kill=1))
    with pytest.raises(WorkerKilled):
        dispatch_due(make_session, doomed, now=T0, worker="doomed")
    with make_session() as session:
        assert ledger(session) == [("hello", "SMS", "suppressed"), ("hello", "Email", "reserved")]
        enrollment = session.scalars(sa.select(Enrollment)).one()
        session.execute(sa.update(Contact).values(dnd_channels={}))
        session.commit()
    report = dispatch_due(make_session, ghl, now=T0 + timedelta(minutes=6))  # the lease has run out
    assert report.claimed == 1 and report.sends == {"duplicate": 1}
    assert [m["type"] for m in standin.admin.collection("L1", "messages")] == ["Email"]
    with make_session() as session:
        assert ledger(session) == [("hello", "SMS", "suppressed"), ("hello", "Email", "unknown")]
        assert session.get(Enrollment, enrollment.id).status == "completed"


def test_a_reply_the_processor_has_not_reported_yet_still_stops_the_text(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    start(make_session, standin, TWO_TEXTS)
    with make_session() as session:
        session.add(
            Message(
                location_id="L1",
                id="IN1",
                contact_id="C1",
                direction="inbound",
                channel="SMS",
                body="call me",
                occurred_at=T0 + timedelta(minutes=1),
            )
        )
        session.commit()
    dispatch_due(make_session, ghl, now=T0 + timedelta(minutes=2))
    assert sends(standin) == []
    with make_session() as session:
        enrollment = session.scalars(sa.select(Enrollment)).one()
        assert enrollment.status == "on_hold" and "inbound SMS reply" in (enrollment.exit_reason or "")


def test_a_lost_answer_is_recorded_unknown_never_resent_then_confirmed_by_the_echo(
    make_session: sessionmaker[Session], standin: StandinHandle
) -> None:
    start(make_session, standin, TWO_TEXTS)
    lossy = GHLClient(
        GHLSettings(base_url=standin.base_url, max_attempts=2, backoff_max_s=0.01),
        token_for,
        transport=FaultyGHL(lose=1),
        sleep=lambda _s: None,
    )
    report = dispatch_due(make_session, lossy, now=T0)
    assert report.sends == {"unknown": 1}
    assert len(standin.admin.collection("L1", "messages")) == 1  # GHL did send it
    dispatch_due(make_session, lossy, now=T0 + timedelta(minutes=5))  # nothing is due; nothing resent
    assert len(sends(standin)) == 1
    # GHL's OutboundMessage echo arrives and the processor stores it: the row is confirmed.
    [sent] = standin.admin.collection("L1", "messages")
    with make_session() as session:
        session.add(
            Message(
                location_id="L1",
                id=sent["id"],
                contact_id="C1",
                direction="outbound",
                channel="SMS",
                body=sent["message"],
                source="api",
                occurred_at=T0 + timedelta(seconds=1),
            )
        )
        session.commit()
    report = dispatch_due(make_session, lossy, now=T0 + timedelta(minutes=6))
    assert report.reconciled.confirmed != []
    with make_session() as session:
        row = session.scalars(sa.select(SendLedgerEntry).where(SendLedgerEntry.step_id == "hello")).one()
        assert (row.status, row.ghl_message_id) == ("sent", sent["id"])


def test_a_worker_killed_after_ghl_sent_is_reconciled_not_resent(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    start(make_session, standin, TWO_TEXTS)
    doomed = GHLClient(GHLSettings(base_url=standin.base_url), token_for, transport=FaultyGHL(kill=1))
    with pytest.raises(WorkerKilled):
        dispatch_due(make_session, doomed, now=T0, worker="doomed")
    with make_session() as session:
        assert ledger(session) == [("hello", "SMS", "reserved")]
    # Another worker, before the dead one's lease ran out: the enrollment is not its to take.
    assert dispatch_due(make_session, ghl, now=T0 + timedelta(minutes=1)).claimed == 0
    report = dispatch_due(make_session, ghl, now=T0 + timedelta(minutes=6))  # lease (5 min) expired
    assert report.claimed == 1
    assert len(sends(standin)) == 1  # not sent again
    with make_session() as session:
        assert ledger(session) == [("hello", "SMS", "unknown")]
        enrollment = session.scalars(sa.select(Enrollment)).one()
        assert enrollment.current_step_id == "pause"


def test_two_workers_at_once_send_each_step_once(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    with make_session() as session:
        add_location(session)
        leads = [add_lead(session, contact_id=f"C{i:02d}") for i in range(12)]
        standin.admin.seed_contacts("L1", [ghl_contact(lead) for lead in leads])
        publish(session, TWO_TEXTS)
        for lead in leads:
            enroll(session, location_id="L1", contact_id=lead.id, workflow_id="wf", now=T0, reason="t")
        session.commit()
    reports: list[Any] = []
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        barrier.wait()
        reports.append(dispatch_due(make_session, ghl, now=T0, worker=name, limit=12))

    threads = [threading.Thread(target=work, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r.claimed for r in reports) == 12
    contacts = [m["contactId"] for m in standin.admin.collection("L1", "messages")]
    assert sorted(contacts) == [f"C{i:02d}" for i in range(12)]


class Receiver(BaseHTTPRequestHandler):
    answers: ClassVar[list[int]] = []
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(Receiver.answers.pop(0) if Receiver.answers else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.answers, Receiver.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def webhook_flow(url: str) -> str:
    return workflow_yaml(f"""
        - id: tell_crm
          type: webhook
          url: {url}
          secret: crm
          body: {{lead: "{{{{ contact.name }}}}"}}
        - {{id: tag_it, type: add_tag, tags: [synced]}}
    """)


def test_webhook_steps_are_signed_and_sent_once(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient, receiver: str
) -> None:
    start(make_session, standin, webhook_flow(receiver))
    secret = SecretStr("s3cret-for-L1")
    with httpx.Client(timeout=2) as http:
        dispatch_due(make_session, ghl, now=T0, http=http, webhook_secrets=lambda loc, name: secret)
        dispatch_due(
            make_session,
            ghl,
            now=T0 + timedelta(minutes=1),
            http=http,
            webhook_secrets=lambda loc, name: secret,
        )
    [(headers, body)] = Receiver.received
    expected = hmac.new(b"s3cret-for-L1", headers["X-Hub-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-Hub-Signature-256"] == "sha256=" + expected.hexdigest()
    assert json.loads(body)["data"] == {"lead": "Dana Ruiz"}
    assert "s3cret" not in body.decode()


def test_a_refused_webhook_is_a_visible_dead_letter(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient, receiver: str
) -> None:
    start(make_session, standin, webhook_flow(receiver))
    Receiver.answers = [400]
    with httpx.Client(timeout=2) as http:
        report = dispatch_due(
            make_session, ghl, now=T0, http=http, webhook_secrets=lambda loc, name: SecretStr("k")
        )
    assert report.statuses == {"failed": 1}
    with make_session() as session:
        enrollment = session.scalars(sa.select(Enrollment)).one()
        assert enrollment.status == "failed" and "HTTP 400" in (enrollment.exit_reason or "")
        assert ledger(session) == [("tell_crm", "webhook", "failed")]
        assert "workflow_failed" in [i.kind for i in contact_audit(session, "L1", "C1")]

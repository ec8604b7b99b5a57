"""One guarded send against a scripted GHL (httpx.MockTransport): every GHL answer maps to a ledger
state, and nothing is sent without a fresh DND check."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import httpx
from pydantic import SecretStr
from sqlalchemy.orm import Session

from hub.compliance.guards import SmsContent, WorkflowLimits
from hub.compliance.policy import parse_policy
from hub.ghl.client import GHLClient
from hub.sending.sender import SendOutcome, SendRequest, send
from hub.settings import GHLSettings
from hub.store.models import Contact, Location, SendLedgerEntry
from hub.workflows import enroll
from hub.workflows.enrollment import live_enrollments
from tests.hub.workflows.builders import T0, add_lead, add_location, publish, workflow_yaml

CONTACT = {
    "contact": {
        "id": "C1",
        "phone": "+15125550143",
        "email": "d@example.com",
        "dndSettings": {"SMS": {"status": "inactive"}},
    }
}
SENT = {"conversationId": "Cv1", "messageId": "Ms1"}


class ScriptedGHL:
    """Answers GET /contacts and POST /conversations/messages as told; records every request."""

    def __init__(self, contact: httpx.Response, send_answer: httpx.Response) -> None:
        self.answers = {"GET": contact, "POST": send_answer}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers[request.method]

    def client(self) -> GHLClient:
        settings = GHLSettings(base_url="https://ghl.test", max_attempts=2, backoff_max_s=0.01)
        return GHLClient(
            settings, lambda _l: SecretStr("tok"), transport=httpx.MockTransport(self), sleep=lambda _s: None
        )

    def posts(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST"]


def run(session: Session, ghl: ScriptedGHL) -> tuple[SendOutcome, Callable[[], SendLedgerEntry]]:
    location = session.get(Location, "L1") or add_location(session)
    contact = session.get(Contact, ("L1", "C1")) or add_lead(session)
    if not session.query(SendLedgerEntry).count():
        publish(session, workflow_yaml("- {id: hello, type: send_sms, body: hi}"))
    enrollment = enroll(
        session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t"
    ).enrollment
    enrollment = enrollment or live_enrollments(session, "L1", "C1")[0]
    request = SendRequest(
        enrollment=enrollment,
        step_id="hello",
        attempt="1",
        channel="SMS",
        content=SmsContent("Hi Dana"),
        limits=WorkflowLimits(),
        since=T0,
    )
    outcome = send(
        session,
        ghl.client(),
        request,
        contact=contact,
        location=location,
        policy=parse_policy("L1", location.compliance),
        now=T0,
    )
    return outcome, lambda: session.query(SendLedgerEntry).one()


def test_a_refusal_is_a_failed_row_with_ghls_reason(session: Session) -> None:
    refusal = httpx.Response(400, json={"statusCode": 400, "message": "Invalid fromNumber"})
    ghl = ScriptedGHL(httpx.Response(200, json=CONTACT), refusal)
    outcome, row = run(session, ghl)
    assert outcome.status == "failed" and outcome.failover_ok
    assert row().status == "failed" and "Invalid fromNumber" in (row().reason or "")


def test_a_persistent_429_defers_the_send_and_nothing_was_sent(session: Session) -> None:
    limited = httpx.Response(
        429,
        json={"statusCode": 429, "message": "Too many"},
        headers={"X-RateLimit-Interval-Milliseconds": "10"},
    )
    ghl = ScriptedGHL(httpx.Response(200, json=CONTACT), limited)
    outcome, row = run(session, ghl)
    assert outcome.status == "deferred" and outcome.transient
    assert outcome.until is not None and outcome.until >= T0 + timedelta(minutes=2)
    assert row().status == "deferred"


def test_without_a_fresh_dnd_answer_nothing_is_sent(session: Session) -> None:
    ghl = ScriptedGHL(
        httpx.Response(503, json={"statusCode": 503, "message": "down"}), httpx.Response(200, json=SENT)
    )
    outcome, row = run(session, ghl)
    assert outcome.status == "deferred" and ghl.posts() == []
    assert "could not re-check DND" in (row().reason or "")


def test_a_contact_gone_from_ghl_is_suppressed(session: Session) -> None:
    ghl = ScriptedGHL(
        httpx.Response(404, json={"statusCode": 404, "message": "Contact not found"}),
        httpx.Response(200, json=SENT),
    )
    outcome, _ = run(session, ghl)
    assert outcome.status == "suppressed" and outcome.contact_gone and ghl.posts() == []


def test_a_sent_slot_is_not_sent_again(session: Session) -> None:
    ghl = ScriptedGHL(httpx.Response(200, json=CONTACT), httpx.Response(200, json=SENT))
    first, row = run(session, ghl)
    assert first.status == "sent" and row().ghl_message_id == "Ms1"
    assert json.loads(ghl.posts()[0].content)["message"] == "Oak Realty: Hi Dana Reply STOP to opt out."
    again, _ = run(session, ghl)
    assert again.status == "duplicate" and len(ghl.posts()) == 1
    assert "Hi Dana" not in json.dumps(row().request_summary)  # the ledger keeps no message text

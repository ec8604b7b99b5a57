"""A claimed batch's leads wait for GHL side by side in one thread, and nothing else changes.

GHL is a fake transport whose answers take 50 ms (awaited on the async path, slept on the sync one):
with `concurrent=True`
(the default) several leads' requests are in flight at once; a lead's own enrollments still run one
after the other; every lead is texted exactly once per enrollment, each after its own fresh DND
check and its committed ledger reservation. `concurrent=False` is the sequential reference.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.rate_limit import InProcessRateLimiter
from hub.ghl.standin import StandinHandle
from hub.settings import GHLSettings
from hub.store.models import SendLedgerEntry
from hub.workflows import dispatch_due, enroll
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact, publish, workflow_yaml
from tests.hub.workflows.conftest import token_for

ONE_TEXT = workflow_yaml("""
    - {id: hello, type: send_sms, body: "Hello {{ contact.first_name }}"}
""")
OTHER_TEXT = workflow_yaml(
    """
    - {id: ping, type: send_sms, body: "Still looking?"}
""",
    workflow_id="wf2",
)
LEADS = [f"C{n}" for n in range(1, 7)]


@dataclass
class SlowGHL(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Answers like GHL, 50 ms later; records what was in flight and which sends found a committed
    ledger reservation (read through its own connection, as GHL acting on the request would)."""

    contacts: dict[str, dict[str, object]]
    make_session: sessionmaker[Session]
    in_flight: Counter[str] = field(default_factory=Counter)
    most_in_flight: int = 0
    most_per_lead: int = 0
    sends: Counter[str] = field(default_factory=Counter)
    unreserved_sends: int = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._start(request)
        try:
            await asyncio.sleep(0.05)
            return self._answer(request)
        finally:
            self._end(request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._start(request)
        try:
            time.sleep(0.05)
            return self._answer(request)
        finally:
            self._end(request)

    @staticmethod
    def _contact_id(request: httpx.Request) -> str:
        if request.method == "POST":
            return str(json.loads(request.content)["contactId"])
        return request.url.path.rsplit("/", 1)[-1]

    def _start(self, request: httpx.Request) -> None:
        contact_id = self._contact_id(request)
        self.in_flight[contact_id] += 1
        self.most_in_flight = max(self.most_in_flight, sum(self.in_flight.values()))
        self.most_per_lead = max(self.most_per_lead, self.in_flight[contact_id])

    def _end(self, request: httpx.Request) -> None:
        self.in_flight[self._contact_id(request)] -= 1

    def _answer(self, request: httpx.Request) -> httpx.Response:
        contact_id = self._contact_id(request)
        if request.method == "GET":
            return httpx.Response(200, json={"contact": self.contacts[contact_id]})
        self.sends[contact_id] += 1
        if not self._reserved(contact_id):
            self.unreserved_sends += 1
        n = sum(self.sends.values())
        return httpx.Response(200, json={"conversationId": f"cv{n}", "messageId": f"m{n}"})

    def _reserved(self, contact_id: str) -> bool:
        with self.make_session() as session:
            rows = session.scalars(
                sa.select(SendLedgerEntry.status).where(SendLedgerEntry.contact_id == contact_id)
            ).all()
        return "reserved" in rows


def population(make_session: sessionmaker[Session]) -> dict[str, dict[str, object]]:
    contacts = {}
    with make_session() as session:
        add_location(session)
        for contact_id in LEADS:
            contacts[contact_id] = ghl_contact(add_lead(session, contact_id=contact_id))
        publish(session, ONE_TEXT)
        publish(session, OTHER_TEXT)
        for contact_id in LEADS:
            enroll(session, location_id="L1", contact_id=contact_id, workflow_id="wf", now=T0, reason="t")
        # C1 is in both workflows: its two texts must never be in flight together.
        enroll(session, location_id="L1", contact_id="C1", workflow_id="wf2", now=T0, reason="t")
        session.commit()
    return contacts


@pytest.mark.parametrize("concurrent", [True, False])
def test_a_batchs_leads_wait_for_ghl_side_by_side(
    concurrent: bool, make_session: sessionmaker[Session]
) -> None:
    ghl = SlowGHL(population(make_session), make_session)
    settings = GHLSettings(base_url="https://ghl.test", max_attempts=1)
    with GHLClient(settings, lambda _l: SecretStr("tok"), transport=ghl) as client:
        report = dispatch_due(make_session, client, now=T0, location_id="L1", concurrent=concurrent)

    assert report.errors == []
    assert report.sends == {"sent": len(LEADS) + 1}
    assert ghl.sends == Counter({**{c: 1 for c in LEADS}, "C1": 2})
    assert ghl.unreserved_sends == 0
    assert ghl.most_per_lead == 1
    if concurrent:
        assert ghl.most_in_flight >= 3, ghl.most_in_flight
    else:
        assert ghl.most_in_flight == 1
    with make_session() as session:
        statuses = session.scalars(sa.select(SendLedgerEntry.status)).all()
    assert sorted(statuses) == ["sent"] * (len(LEADS) + 1)


def test_concurrent_leads_keep_to_the_rate_limit_at_the_stand_in(
    make_session: sessionmaker[Session], standin: StandinHandle
) -> None:
    # Over real HTTP the concurrent path takes each slot when the request leaves (httpcore's trace
    # hook): what arrives at GHL in any window must still fit the limiter's budget.
    with make_session() as session:
        add_location(session)
        contacts = [add_lead(session, contact_id=contact_id) for contact_id in LEADS]
        standin.admin.seed_contacts("L1", [ghl_contact(contact) for contact in contacts])
        publish(session, ONE_TEXT)
        for contact_id in LEADS:
            enroll(session, location_id="L1", contact_id=contact_id, workflow_id="wf", now=T0, reason="t")
        session.commit()
    settings = GHLSettings(base_url=standin.base_url, timeout_s=5.0, max_attempts=1)
    limiter = InProcessRateLimiter(4, 1.0)
    with GHLClient(settings, token_for, limiter=limiter) as client:
        report = dispatch_due(make_session, client, now=T0, location_id="L1")

    assert report.sends == {"sent": len(LEADS)}
    arrivals = sorted(r["at"] for r in standin.admin.requests("L1"))
    assert len(arrivals) == 2 * len(LEADS)
    # 12 requests at 4 per second: the window must have held them back (not vacuous) ...
    assert arrivals[-1] - arrivals[0] >= 2.0 - 0.1
    # ... and no 1-second window saw more than 4, less 0.2 s for the stand-in's logging jitter on a
    # loaded box (unpaced, all 12 arrive within a fraction of a second).
    most = max(sum(1 for t in arrivals if start <= t < start + 0.8) for start in arrivals)
    assert most <= 4, most

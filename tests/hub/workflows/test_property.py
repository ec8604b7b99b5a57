"""The compliance property (COMPLIANCE.md, last paragraph): over many simulated situations (random
lead time zones, DND flips, STOPs, replies, late, duplicate and out-of-order deliveries, a worker
killed between GHL's answer and the ledger update, GHL answers lost in transit) the number of guard
violations is ZERO:

* no text or call task in quiet hours in the lead's TRUE zone (8 p.m. for a lead known to be in
  Florida, by state, postal code or area code);
* no message while GHL has DND on for its channel; no text at or after a STOP;
* no automated message after we know the lead replied;
* no SMS without consent; no step delivered twice;
and, so that it cannot hold vacuously, every lead nothing happened to gets its first message.

GHL is the one fake: an in-memory GHL behind httpx.MockTransport that knows the true DND state at
every instant and records every request. The store is a real SQLite file per example.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.orm import Session

from hub.ghl.client import GHLClient
from hub.settings import GHLSettings
from hub.store.engine import make_engine, session_factory
from hub.store.models import Contact, Location, Message
from hub.workflows import WorkflowEvent, dispatch_due, handle_events, parse_workflow, publish_workflow
from tests.hub.workflows.ghl_faults import WorkerKilled

# (true zone, state, phone with that state's area code, postal code in that state)
PROFILES = [
    ("America/New_York", "NY", "+12125550100", "10001"),
    ("America/Chicago", "IL", "+13125550100", "60601"),
    ("America/Denver", "CO", "+13035550100", "80202"),
    ("America/Los_Angeles", "CA", "+14155550100", "94105"),
    ("America/New_York", "FL", "+13055550100", "33101"),  # Florida: 8 a.m.-8 p.m., 3 per 24 h
    ("America/Phoenix", "AZ", "+16025550100", "85004"),  # no DST
    ("Pacific/Honolulu", "HI", "+18085550100", "96813"),
]
NEUTRAL_PHONE = "+15555550100"  # 555 is no state's area code: the number reveals nothing
WORKFLOW = """
id: sim
name: Simulated follow-up
triggers: [{event: ContactCreate}]
enrollment: {channels: {failover: true}}
steps:
  - id: s1
    type: send_sms
    body: "[s1] Hi {{ contact.first_name }}"
    fallback_email: {subject: "[s1] Hi", html: "<p>Hi</p>"}
  - {id: w1, type: wait, duration: 2h}
  - {id: t1, type: create_call_task, title: "[t1] call {{ contact.first_name }}", due_in: 30m}
  - {id: e1, type: send_email, subject: "[e1] Homes for you", html: "<p>Homes</p>"}
  - {id: w2, type: wait, until_time: "07:30"}
  - {id: s2, type: send_sms, body: "[s2] Still looking?"}
"""
MARKER = re.compile(r"\[(\w+)\]")


def marker(text: str) -> str:
    found = MARKER.search(text)
    assert found is not None, text
    return found.group(1)


@dataclass
class SimGHL:
    """GHL as the simulation sees it: the truth about DND, and everything it was asked to do."""

    clock: datetime
    dnd: dict[tuple[str, str], bool] = field(default_factory=dict)  # (contact, channel) -> on
    stops: dict[str, datetime] = field(default_factory=dict)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    kill_next_send: bool = False
    lose_next_send: bool = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        contact_id = path.split("/")[2] if path.startswith("/contacts/") else ""
        if request.method == "GET":
            statuses = {
                ch: {"status": "active" if self.dnd.get((contact_id, ch)) else "inactive"}
                for ch in ("SMS", "Email")
            }
            body = {
                "id": contact_id,
                "phone": NEUTRAL_PHONE,
                "email": "x@example.com",
                "dndSettings": statuses,
            }
            return httpx.Response(200, json={"contact": body})
        data = json.loads(request.content or b"{}")
        if path == "/conversations/messages":
            return self._send(request, data)
        if path.endswith("/tasks"):
            due = datetime.fromisoformat(data["dueDate"].replace("Z", "+00:00"))
            self.attempts.append(
                {
                    "at": self.clock,
                    "contact": contact_id,
                    "channel": "call_task",
                    "accepted": True,
                    "marker": marker(data["title"]),
                    "due": due,
                }
            )
            task = {"id": f"Tk{len(self.attempts)}", "title": data["title"], "dueDate": data["dueDate"]}
            return httpx.Response(201, json={"task": task})
        return httpx.Response(200, json={"tags": []})

    def _send(self, request: httpx.Request, data: dict[str, Any]) -> httpx.Response:
        channel = "SMS" if data["type"] == "SMS" else "Email"
        contact_id = data["contactId"]
        under_dnd = self.dnd.get((contact_id, channel), False)
        attempt = {
            "at": self.clock,
            "contact": contact_id,
            "channel": channel,
            "dnd": under_dnd,
            "marker": marker(data.get("message") or data["subject"]),
        }
        self.attempts.append(attempt)
        if under_dnd:  # GHL refuses it, but asking was already the violation
            return httpx.Response(400, json={"statusCode": 400, "message": f"DND is active for {channel}"})
        attempt["accepted"] = True
        if self.kill_next_send:
            self.kill_next_send = False
            raise WorkerKilled("the worker died after GHL sent")
        if self.lose_next_send:
            self.lose_next_send = False
            raise httpx.ReadTimeout("GHL's answer was lost", request=request)
        return httpx.Response(200, json={"conversationId": "Cv1", "messageId": f"Ms{len(self.attempts)}"})


lead_strategy = st.fixed_dictionaries(
    {
        "profile": st.integers(0, len(PROFILES) - 1),
        "reveal": st.sampled_from(["timezone", "state", "postal", "phone"]),
        "consent": st.booleans(),
    }
)
event_strategy = st.fixed_dictionaries(
    {
        "minute": st.integers(0, 3 * 24 * 60),
        "kind": st.sampled_from(["sms_dnd_on", "sms_dnd_off", "email_dnd_on", "stop", "reply"]),
        "lead": st.integers(0, 4),
        "delay": st.integers(0, 180),  # minutes until our processor has it; 0 = at once
        "duplicate": st.booleans(),
    }
)
dispatch_strategy = st.fixed_dictionaries(
    {"minute": st.integers(0, 3 * 24 * 60), "fault": st.sampled_from([None, None, None, "kill", "lose"])}
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start_minute=st.integers(0, 9 * 24 * 60),
    leads=st.lists(lead_strategy, min_size=1, max_size=5),
    events=st.lists(event_strategy, max_size=10),
    dispatches=st.lists(dispatch_strategy, min_size=1, max_size=12),
)
def test_no_guard_is_ever_violated(
    sqlite_template: Path,
    start_minute: int,
    leads: list[dict[str, Any]],
    events: list[dict[str, Any]],
    dispatches: list[dict[str, Any]],
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="hub-sim-"))
    try:
        shutil.copyfile(sqlite_template, folder / "hub.db")
        engine = make_engine(f"sqlite:///{folder / 'hub.db'}")
        try:
            simulate(session_factory(engine), start_minute, leads, events, dispatches)
        finally:
            engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def simulate(
    make_session: Callable[[], Session],
    start_minute: int,
    leads: list[dict[str, Any]],
    events: list[dict[str, Any]],
    dispatches: list[dict[str, Any]],
) -> None:
    # Starts between 2 and 11 March 2026: the runs cross the 8 March DST switch.
    t0 = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=start_minute)
    ghl = SimGHL(t0)
    client = GHLClient(
        GHLSettings(base_url="https://ghl.test", max_attempts=1),
        lambda _l: SecretStr("t"),
        transport=httpx.MockTransport(ghl),
        sleep=lambda _s: None,
    )
    ids = [f"C{i}" for i in range(len(leads))]
    with make_session() as session:
        session.add(
            Location(
                id="L1",
                name="Oak Realty",
                timezone="America/Chicago",
                postal_address="1 Main St",
                compliance={"unsubscribe_url": "https://hub.example/u/{contact_id}"},
            )
        )
        session.flush()
        for contact_id, lead in zip(ids, leads, strict=True):
            session.add(make_contact(contact_id, lead))
        publish_workflow(session, parse_workflow(WORKFLOW, "sim.yaml"), now=t0)
        created = [WorkflowEvent("ContactCreate", c, t0) for c in ids]
        handle_events(session, "L1", created + created[::-1], now=t0)  # duplicated, reordered deliveries
        session.commit()

    # One timeline: GHL-side changes at event time, our processing `delay` later, dispatcher runs.
    timeline: list[tuple[datetime, int, str, dict[str, Any]]] = []
    for event in events:
        if event["lead"] < len(ids):
            at = t0 + timedelta(minutes=event["minute"])
            timeline += [(at, 0, "ghl", event), (at + timedelta(minutes=event["delay"]), 1, "store", event)]
    timeline += [(t0 + timedelta(minutes=run["minute"]), 2, "dispatch", run) for run in dispatches]
    end = t0 + timedelta(days=3, minutes=1)
    timeline += [(end + timedelta(hours=h), 2, "dispatch", {"fault": None}) for h in range(0, 72, 6)]
    replies_known: dict[str, datetime] = {}
    touched: set[str] = set()
    for at, _, action, item in sorted(timeline, key=lambda entry: (entry[0], entry[1])):
        ghl.clock = at
        if action == "ghl":
            touched.add(ids[item["lead"]])
            change_ghl(ghl, ids[item["lead"]], item["kind"], at)
        elif action == "store":
            happened = at - timedelta(minutes=item["delay"])
            process(make_session, ids[item["lead"]], item, at, happened, replies_known)
        else:
            ghl.kill_next_send, ghl.lose_next_send = item["fault"] == "kill", item["fault"] == "lose"
            with contextlib.suppress(WorkerKilled):  # the process died; its claims and reservations stay
                dispatch_due(make_session, client, now=at)
    check(ghl, leads, ids, replies_known, touched)


def make_contact(contact_id: str, lead: dict[str, Any]) -> Contact:
    zone, state, phone, postal = PROFILES[lead["profile"]]
    reveal = lead["reveal"]
    consent = {"source": "form", "at": "2026-01-01T00:00:00Z", "wording": "I agree to texts"}
    return Contact(
        location_id="L1",
        id=contact_id,
        first_name="Lee",
        email=f"{contact_id}@example.com",
        phone=phone if reveal == "phone" else NEUTRAL_PHONE,
        timezone=zone if reveal == "timezone" else None,
        state=state if reveal == "state" else None,
        postal_code=postal if reveal == "postal" else None,
        consent=consent if lead["consent"] else None,
    )


def change_ghl(ghl: SimGHL, contact_id: str, kind: str, at: datetime) -> None:
    if kind == "stop":  # GHL sets SMS DND the moment the lead texts STOP (ghl-api.md §4.3)
        ghl.stops.setdefault(contact_id, at)
        ghl.dnd[(contact_id, "SMS")] = True
    elif kind != "reply":
        ghl.dnd[(contact_id, "Email" if kind.startswith("email") else "SMS")] = kind.endswith("_on")


def process(
    make_session: Callable[[], Session],
    contact_id: str,
    event: dict[str, Any],
    at: datetime,
    happened: datetime,
    replies: dict[str, datetime],
) -> None:
    """What the lead-state processor does when the (possibly late) delivery reaches us."""
    kind = event["kind"]
    with make_session() as session:
        contact = session.get(Contact, ("L1", contact_id))
        assert contact is not None
        if kind in ("sms_dnd_on", "sms_dnd_off", "email_dnd_on"):
            channel = "Email" if kind.startswith("email") else "SMS"
            status = "active" if kind.endswith("_on") else "inactive"
            contact.dnd_channels = {**contact.dnd_channels, channel: status}
            batch = [WorkflowEvent("ContactDndUpdate", contact_id, happened, {"channels": {channel: status}})]
        elif kind == "stop":
            contact.sms_opted_out, contact.sms_opted_out_at = True, happened
            batch = [WorkflowEvent("SmsOptedOut", contact_id, happened, {"body": "STOP"})]
        else:
            message_id = f"in-{contact_id}-{int(happened.timestamp())}"
            if session.get(Message, ("L1", message_id)) is None:
                session.add(
                    Message(
                        location_id="L1",
                        id=message_id,
                        contact_id=contact_id,
                        direction="inbound",
                        channel="SMS",
                        body="yes",
                        occurred_at=happened,
                    )
                )
            replies[contact_id] = min(replies.get(contact_id, at), at)
            batch = [WorkflowEvent("InboundMessage", contact_id, happened, {"channel": "SMS"})]
        handle_events(session, "L1", batch * (2 if event["duplicate"] else 1), now=at)
        session.commit()


def inside_hours(at: datetime, zone: str, florida: bool) -> bool:
    return time(8) <= at.astimezone(ZoneInfo(zone)).time() < (time(20) if florida else time(21))


def check(
    ghl: SimGHL, leads: list[dict[str, Any]], ids: list[str], replies: dict[str, datetime], touched: set[str]
) -> None:
    violations: list[str] = []
    for attempt in ghl.attempts:
        contact, channel, at = attempt["contact"], attempt["channel"], attempt["at"]
        lead = leads[ids.index(contact)]
        zone, state, *_ = PROFILES[lead["profile"]]
        # The Florida rule binds once the record says Florida (state, postal code or area code).
        florida = state == "FL" and lead["reveal"] != "timezone"
        if channel in ("SMS", "call_task") and not inside_hours(at, zone, florida):
            violations.append(f"{channel} to {contact} at {at.astimezone(ZoneInfo(zone))} (quiet hours)")
        if channel == "call_task" and not inside_hours(attempt["due"], zone, florida):
            violations.append(f"call task for {contact} due {attempt['due'].astimezone(ZoneInfo(zone))}")
        if attempt.get("dnd"):
            violations.append(f"{channel} to {contact} at {at} while GHL had DND on")
        if channel == "SMS" and contact in ghl.stops and at >= ghl.stops[contact]:
            violations.append(f"SMS to {contact} at {at} after STOP at {ghl.stops[contact]}")
        if channel in ("SMS", "Email") and contact in replies and at > replies[contact]:
            violations.append(
                f"{channel} to {contact} at {at} after their reply was known ({replies[contact]})"
            )
        if channel == "SMS" and not lead["consent"]:
            violations.append(f"SMS to {contact} without consent")
    delivered = Counter((a["contact"], a["marker"]) for a in ghl.attempts if a.get("accepted"))
    violations += [f"step {step} delivered {n} times to {c}" for (c, step), n in delivered.items() if n > 1]
    assert violations == []
    for contact in ids:
        if contact not in touched:
            # Never dropped: a lead nothing happened to got its first message (a text, or the email
            # fallback when there is no consent to text).
            assert delivered[(contact, "s1")] == 1, f"{contact} never got its first message"

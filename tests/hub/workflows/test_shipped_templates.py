"""Every shipped template, end to end against the GHL stand-in over real HTTP: its trigger enrolls a
realistic lead, the dispatcher runs it on a moving clock, and what the stand-in received is checked
step by step (the stand-in's own record is the truth of what was sent)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.store.models import Enrollment, SendLedgerEntry
from hub.workflows import WorkflowEvent, dispatch_due, handle_events, load_workflow, publish_workflow
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact

TEMPLATES = Path(__file__).resolve().parents[3] / "workflow_templates"
CHICAGO = ZoneInfo("America/Chicago")
# The shipped set this test owns (listing_alert.yaml is tested with the listing alerts).
SHIPPED = (
    "new_buyer_speed_to_lead",
    "seller_lead_nurture",
    "showing_follow_up",
    "long_term_nurture",
    "re_engagement",
    "open_house_followup",
)


def setup(make_session: sessionmaker[Session], standin: StandinHandle, **lead: Any) -> None:
    with make_session() as session:
        add_location(session)
        contact = add_lead(session, **lead)
        standin.admin.seed_contacts("L1", [ghl_contact(contact)])
        for name in SHIPPED:
            publish_workflow(session, load_workflow(TEMPLATES / f"{name}.yaml"), now=T0)
        session.commit()


def happen(make_session: sessionmaker[Session], event: WorkflowEvent) -> list[str]:
    """Deliver one event as the processor would; the workflows it enrolled the lead in."""
    with make_session() as session:
        outcome = handle_events(session, "L1", [event], now=event.at)
        session.commit()
        return [r.enrollment.workflow_id for r in outcome.enrolled if r.enrollment is not None]


def run_until(
    make_session: sessionmaker[Session],
    ghl: GHLClient,
    end: datetime,
    events: Sequence[WorkflowEvent] = (),
) -> None:
    """Dispatch at every due time (and deliver `events` at theirs) until nothing is due before `end`."""
    pending = sorted(events, key=lambda e: e.at)
    for _ in range(100):
        with make_session() as session:
            due = session.scalar(
                sa.select(sa.func.min(Enrollment.next_run_at)).where(
                    Enrollment.status.in_(("active", "waiting"))
                )
            )
        if pending and (due is None or pending[0].at <= due):
            happen(make_session, pending.pop(0))
            continue
        if due is None or due > end:
            return
        dispatch_due(make_session, ghl, now=due)
    raise AssertionError("the workflow did not settle in 100 dispatcher runs")


def sent(standin: StandinHandle) -> list[tuple[str, str]]:
    """(type, text or subject) of every message the stand-in received, in order."""
    return [
        (m["type"], m.get("message") or m.get("subject") or "")
        for m in standin.admin.collection("L1", "messages")
    ]


def sent_at(make_session: sessionmaker[Session]) -> list[datetime]:
    """When (engine clock, Chicago time) each message the ledger records as sent went out."""
    with make_session() as session:
        rows = session.scalars(
            sa.select(SendLedgerEntry.completed_at)
            .where(SendLedgerEntry.status == "sent", SendLedgerEntry.channel.in_(("SMS", "Email")))
            .order_by(SendLedgerEntry.id)
        )
        return [local(at) for at in rows if at is not None]


def status(make_session: sessionmaker[Session], workflow_id: str) -> str:
    with make_session() as session:
        return session.scalars(
            sa.select(Enrollment.status).where(Enrollment.workflow_id == workflow_id)
        ).one()


def local(moment: datetime) -> datetime:
    return moment.astimezone(CHICAGO)


def test_new_buyer_speed_to_lead(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, source="Zillow", tags=[])
    assert happen(make_session, WorkflowEvent("ContactCreate", "C1", T0, {"source": "Zillow"})) == [
        "new_buyer_speed_to_lead"
    ]
    run_until(make_session, ghl, T0 + timedelta(days=3))
    assert [kind for kind, _ in sent(standin)] == ["SMS", "Email", "SMS"]
    assert sent(standin)[2][1].startswith("Hi Dana, just checking in")
    assert len(standin.admin.collection("L1", "tasks")) == 1
    assert status(make_session, "new_buyer_speed_to_lead") == "completed"


def test_seller_lead_nurture_and_its_goal(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, tags=["seller"])
    assert happen(make_session, WorkflowEvent("ContactCreate", "C1", T0, {"tags": ["seller"]})) == [
        "seller_lead_nurture"
    ]
    booked = WorkflowEvent(
        "AppointmentCreate", "C1", T0 + timedelta(days=3), {"title": "Listing appointment"}
    )
    run_until(make_session, ghl, T0 + timedelta(days=30), [booked])
    assert [kind for kind, _ in sent(standin)] == ["SMS", "Email"]  # valuation text, market email
    assert all(at.weekday() != 6 and 9 <= at.hour < 19 for at in sent_at(make_session))  # send window
    [note] = standin.admin.collection("L1", "notes")
    assert "booked a listing appointment" in note["body"]
    assert status(make_session, "seller_lead_nurture") == "completed"


def test_seller_lead_nurture_without_the_goal_sends_the_tips(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, tags=["seller"])
    happen(make_session, WorkflowEvent("ContactCreate", "C1", T0, {"tags": ["seller"]}))
    run_until(make_session, ghl, T0 + timedelta(days=30))
    assert [subject for _, subject in sent(standin)][1:] == [
        "What homes like yours are selling for",
        "Five small things that help a home sell",
    ]
    assert status(make_session, "seller_lead_nurture") == "completed"


def test_showing_follow_up(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin)
    showed = WorkflowEvent("AppointmentUpdate", "C1", T0, {"status": "showed", "title": "Showing 12 Oak St"})
    assert happen(make_session, showed) == ["showing_follow_up"]
    run_until(make_session, ghl, T0 + timedelta(days=5))
    [(kind, text), (kind2, subject)] = sent(standin)
    assert kind == "SMS" and "thanks for coming to the showing" in text
    assert (kind2, subject) == ("Email", "Homes similar to the one you saw")
    assert len(standin.admin.collection("L1", "tasks")) == 1
    contact = next(c for c in standin.admin.collection("L1", "contacts") if c["id"] == "C1")
    assert "showing-done" in contact["tags"]
    assert status(make_session, "showing_follow_up") == "completed"


def test_long_term_nurture_sends_a_monthly_email_midweek(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, tags=["nurture"])
    tagged = WorkflowEvent("ContactTagUpdate", "C1", T0, {"tags": ["nurture"], "added": ["nurture"]})
    assert happen(make_session, tagged) == ["long_term_nurture"]
    run_until(make_session, ghl, T0 + timedelta(days=65))
    assert [subject for _, subject in sent(standin)] == ["Your monthly market update"] * 2
    times = sent_at(make_session)
    assert len(times) == 2 and times[0] >= local(T0 + timedelta(days=30))
    assert all(at.strftime("%a") in ("Tue", "Wed", "Thu") and 9 <= at.hour < 17 for at in times)
    with make_session() as session:
        enrollment = session.scalars(sa.select(Enrollment)).one()
        assert (enrollment.status, enrollment.current_step_id) == ("active", "monthly_wait")  # month 3


def test_re_engagement_ends_cold_without_renewed_interest(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin)
    high = WorkflowEvent(
        "TierChanged", "C1", T0, {"model": "churn", "tier": "high", "previous_tier": "medium"}
    )
    assert happen(make_session, high) == ["re_engagement"]
    run_until(make_session, ghl, T0 + timedelta(days=15))
    [(kind, _), (kind2, subject)] = sent(standin)
    assert (kind, kind2, subject) == ("SMS", "Email", "The market since we last talked")
    contact = next(c for c in standin.admin.collection("L1", "contacts") if c["id"] == "C1")
    assert "cold" in contact["tags"]
    with make_session() as session:
        arm = session.scalars(sa.select(Enrollment.variants)).one()
    assert arm["opener"] in ("question", "new_listings")


@pytest.mark.parametrize("books_a_showing", [False, True], ids=["no-showing", "books-a-showing"])
def test_open_house_followup(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient, books_a_showing: bool
) -> None:
    setup(make_session, standin, source="Open House", tags=["open-house"])
    created = WorkflowEvent("ContactCreate", "C1", T0, {"source": "Open House", "tags": ["open-house"]})
    assert happen(make_session, created) == ["open_house_followup"]
    booked = WorkflowEvent("AppointmentCreate", "C1", T0 + timedelta(days=4), {"title": "Private showing"})
    run_until(make_session, ghl, T0 + timedelta(days=20), [booked] if books_a_showing else [])
    texts = sent(standin)
    assert texts[0][0] == "SMS" and "thanks for stopping by the open house" in texts[0][1]
    assert texts[1] == ("Email", "The home you toured, and a few like it")
    assert texts[2][0] == "SMS" and "private showing" in texts[2][1]
    assert len(standin.admin.collection("L1", "tasks")) == 1
    if books_a_showing:
        assert len(texts) == 3  # no check-in after the goal
        [note] = standin.admin.collection("L1", "notes")
        assert "booked a showing after the open house" in note["body"]
    else:
        assert texts[3] == ("Email", "Still looking?") and len(texts) == 4
        assert standin.admin.collection("L1", "notes") == []
    assert status(make_session, "open_house_followup") == "completed"

"""The send_listing_alert step and the shipped listing_alert template, end to end against the GHL
stand-in: what the stand-in received is the truth of what was sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.listings.alerts import sent_listing_ids
from hub.listings.importer import import_listings
from hub.sending.audit import contact_audit
from hub.settings import GHLSettings
from hub.store.models import Contact, Enrollment, ListingAlert, ListingAlertItem, ListingInteraction
from hub.workflows import WorkflowEvent, dispatch_due, handle_events, publish_workflow
from hub.workflows.loader import load_workflow
from tests.hub.listings.builders import add_listing, add_match
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact, publish, workflow_yaml
from tests.hub.workflows.conftest import token_for
from tests.hub.workflows.ghl_faults import FaultyGHL, WorkerKilled

TEMPLATE = Path(__file__).resolve().parents[3] / "workflow_templates" / "listing_alert.yaml"
CHICAGO = ZoneInfo("America/Chicago")


def setup(
    make_session: sessionmaker[Session],
    standin: StandinHandle,
    listings: int,
    *,
    workflow: str | None = None,
    ghl: dict[str, Any] | None = None,
    **lead: Any,
) -> None:
    with make_session() as session:
        add_location(session)
        contact = add_lead(session, **lead)
        standin.admin.seed_contacts("L1", [ghl_contact(contact, **(ghl or {}))])
        for n in range(1, listings + 1):
            add_listing(session, f"H{n}", address=f"{n} Oak St", list_price=400_000.0 + n * 1_000)
            add_match(session, "C1", f"H{n}", n)
        if workflow is None:
            publish_workflow(session, load_workflow(TEMPLATE), now=T0)
        else:
            publish(session, workflow)
        session.commit()


def new_matches(make_session: sessionmaker[Session], at: datetime, contact_id: str = "C1") -> int:
    """What match_listings reports for a lead with listings new to them."""
    event = WorkflowEvent("NewListingMatches", contact_id, at, {"count": 1, "top_listing_id": "H1"})
    with make_session() as session:
        outcome = handle_events(session, "L1", [event], now=at)
        session.commit()
        return len([e for e in outcome.enrolled if e.enrollment is not None])


def texts(standin: StandinHandle) -> list[str]:
    return [m["message"] for m in standin.admin.collection("L1", "messages") if m["type"] == "SMS"]


def alerted(make_session: sessionmaker[Session]) -> list[str]:
    with make_session() as session:
        return sent_listing_ids(session, "L1", "C1")


def test_the_template_alerts_new_matches_never_twice_and_at_most_twice_a_week(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, listings=8)
    assert new_matches(make_session, T0) == 1
    assert dispatch_due(make_session, ghl, now=T0).sends == {"sent": 1}
    [first] = texts(standin)
    assert first.startswith(
        "Oak Realty: Hi Dana, new homes that fit your search:\n1) 1 Oak St, Austin - $401,000, 3 bd/2 ba"
    )
    assert "2) 2 Oak St" in first and "3) 3 Oak St" in first and "4 Oak St" not in first
    assert "Reply STOP" in first  # the send path added guard 5's wording to the first text
    assert alerted(make_session) == ["H1", "H2", "H3"]

    day2 = T0 + timedelta(days=1, minutes=1)  # after the template's one-day re-entry cooldown
    assert new_matches(make_session, day2) == 1
    dispatch_due(make_session, ghl, now=day2)
    assert len(texts(standin)) == 2 and "1) 4 Oak St" in texts(standin)[1]
    assert alerted(make_session) == ["H1", "H2", "H3", "H4", "H5", "H6"]

    day3 = day2 + timedelta(days=1, minutes=1)
    assert new_matches(make_session, day3) == 1
    report = dispatch_due(make_session, ghl, now=day3)
    assert len(texts(standin)) == 2 and report.sends == {}  # the weekly cap: two in 7 days
    with make_session() as session:
        reasons = [
            i.detail.get("reason") for i in contact_audit(session, "L1", "C1") if i.kind == "workflow_step"
        ]
        assert "weekly cap: 2 listing alert(s) in the last 7 days (max_per_week 2)" in reasons
        statuses = session.scalars(sa.select(Enrollment.status).order_by(Enrollment.id)).all()
        assert statuses == ["completed", "completed", "completed"]

    week_later = T0 + timedelta(days=7, minutes=2)
    assert new_matches(make_session, week_later) == 1
    dispatch_due(make_session, ghl, now=week_later)
    assert len(texts(standin)) == 3 and "1) 7 Oak St" in texts(standin)[2] and "8 Oak St" in texts(standin)[2]
    assert alerted(make_session) == [f"H{n}" for n in range(1, 9)]


def test_listings_that_left_active_or_were_rejected_are_never_alerted(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, listings=4)
    with make_session() as session:
        import_listings(
            session, "L1", b"ListingKey,StandardStatus,ListPrice\nH1,Pending,401000\nH3,Closed,1\n"
        )
        session.add(
            ListingInteraction(
                location_id="L1", contact_id="C1", listing_id="H2", kind="not_interested", at=T0
            )
        )
        session.commit()
    new_matches(make_session, T0)
    dispatch_due(make_session, ghl, now=T0)
    [text] = texts(standin)
    assert "1) 4 Oak St" in text and "2)" not in text
    assert alerted(make_session) == ["H4"]


def test_a_deferred_alert_sends_what_it_chose_minus_what_sold_meanwhile(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, listings=4)
    night = datetime(2026, 9, 10, 22, 0, tzinfo=CHICAGO)
    new_matches(make_session, night)
    assert dispatch_due(make_session, ghl, now=night).sends == {"deferred": 1}
    assert texts(standin) == [] and alerted(make_session) == ["H1", "H2", "H3"]  # held, not sent
    with make_session() as session:
        assert session.scalars(sa.select(ListingAlert.status)).all() == ["reserved"]
        import_listings(session, "L1", b"ListingKey,StandardStatus,ListPrice\nH2,Pending,402000\n")
        session.commit()
    morning = datetime(2026, 9, 11, 9, 0, tzinfo=CHICAGO)  # the template's send window opens
    assert dispatch_due(make_session, ghl, now=morning).sends == {"sent": 1}
    [text] = texts(standin)
    assert "1) 1 Oak St" in text and "2) 3 Oak St" in text and "2 Oak St," not in text
    assert alerted(make_session) == ["H1", "H3"]
    with make_session() as session:
        alert = session.scalars(sa.select(ListingAlert)).one()
        assert (alert.status, alert.channel, alert.sent_at) == ("sent", "SMS", morning)


def test_email_cards_when_texting_is_blocked_and_nothing_held_when_no_channel_works(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, listings=2, ghl={"dndSettings": {"SMS": {"status": "active"}}})
    with make_session() as session:
        add_listing(session, "X1", address="<b>9</b> Elm & Co", list_price=1.0)
        add_match(session, "C1", "X1", 0)
        session.commit()
    new_matches(make_session, T0)
    dispatch_due(make_session, ghl, now=T0)
    [email] = standin.admin.collection("L1", "messages")
    assert email["type"] == "Email" and email["subject"] == "3 new homes that match your search"
    assert "&lt;b&gt;9&lt;/b&gt; Elm &amp; Co" in email["html"] and "<b>9</b>" not in email["html"]
    assert "reason for H1" in email["html"] and "Unsubscribe" in email["html"]
    assert alerted(make_session) == ["X1", "H1", "H2"]


def test_a_suppressed_alert_frees_its_listings(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, listings=2, ghl={"dnd": True}, email=None)
    new_matches(make_session, T0)
    assert dispatch_due(make_session, ghl, now=T0).sends == {"suppressed": 1}
    assert standin.admin.collection("L1", "messages") == []
    with make_session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ListingAlertItem)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(ListingAlert)) == 0


def test_a_worker_killed_after_ghl_sent_neither_resends_nor_realerts(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, listings=6)
    new_matches(make_session, T0)
    doomed = GHLClient(GHLSettings(base_url=standin.base_url), token_for, transport=FaultyGHL(kill=1))
    with pytest.raises(WorkerKilled):
        dispatch_due(make_session, doomed, now=T0, worker="doomed")
    assert len(texts(standin)) == 1
    report = dispatch_due(make_session, ghl, now=T0 + timedelta(minutes=6))  # the dead worker's lease ran out
    assert report.claimed == 1 and len(texts(standin)) == 1
    with make_session() as session:
        alert = session.scalars(sa.select(ListingAlert)).one()
        assert alert.status in ("sent", "unknown")
    later = T0 + timedelta(days=1, minutes=10)
    new_matches(make_session, later)
    dispatch_due(make_session, ghl, now=later)
    assert "1) 4 Oak St" in texts(standin)[1]
    assert alerted(make_session) == ["H1", "H2", "H3", "H4", "H5", "H6"]


def test_an_alert_that_failed_over_to_email_is_not_texted_after_a_crash(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    """SMS blocked by DND, the e-mail goes out and the worker dies before recording it; DND is
    lifted; the alert's re-run must not text the lead too (one delivery per step visit)."""
    setup(make_session, standin, listings=2, ghl={"dndSettings": {"SMS": {"status": "active"}}})
    new_matches(make_session, T0)
    doomed = GHLClient(GHLSettings(base_url=standin.base_url), token_for, transport=FaultyGHL(kill=1))
    with pytest.raises(WorkerKilled):
        dispatch_due(make_session, doomed, now=T0, worker="doomed")
    with make_session() as session:
        contact = session.scalars(sa.select(Contact)).one()
        standin.admin.seed_contacts("L1", [ghl_contact(contact)])  # DND lifted at GHL
    report = dispatch_due(make_session, ghl, now=T0 + timedelta(minutes=6))  # the lease has run out
    assert report.claimed == 1 and report.sends == {"duplicate": 1}
    assert [m["type"] for m in standin.admin.collection("L1", "messages")] == ["Email"]
    assert alerted(make_session) == ["H1", "H2"]


def test_step_settings_and_nothing_new(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    workflow = workflow_yaml(
        """
        - id: alert
          type: send_listing_alert
          max_listings: 1
          min_score: 0.985
          listing_url: "https://oak.example/homes/{listing_id}?src=alert"
        """,
        triggers="- {event: NewListingMatches}",
        enrollment="re_entry: {allowed: true}",
    )
    setup(make_session, standin, listings=3, workflow=workflow)
    new_matches(make_session, T0)
    dispatch_due(make_session, ghl, now=T0)
    [text] = texts(standin)
    assert text.startswith("Oak Realty: New homes that match what you're looking for:\n1) 1 Oak St")
    assert "https://oak.example/homes/H1?src=alert" in text and "2)" not in text
    new_matches(make_session, T0 + timedelta(hours=1))
    dispatch_due(make_session, ghl, now=T0 + timedelta(hours=1))
    # H2 scores 0.98 (< min_score) and H3 0.97: nothing new worth sending.
    assert len(texts(standin)) == 1
    with make_session() as session:
        reasons = [
            i.detail.get("reason") for i in contact_audit(session, "L1", "C1") if i.kind == "workflow_step"
        ]
        assert "no new matching listings to alert" in reasons


def test_an_alert_held_by_an_enrollment_that_ended_is_released(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, listings=3)
    night = datetime(2026, 9, 10, 22, 0, tzinfo=CHICAGO)
    new_matches(make_session, night)
    assert dispatch_due(make_session, ghl, now=night).sends == {"deferred": 1}
    reply = WorkflowEvent(
        "InboundMessage", "C1", night + timedelta(minutes=5), {"channel": "SMS", "body": "hi"}
    )
    with make_session() as session:
        handle_events(session, "L1", [reply], now=night + timedelta(minutes=5))  # stop_on_reply: exit
        session.commit()
        assert session.scalars(sa.select(Enrollment.status)).all() == ["exited"]
    assert alerted(make_session) == ["H1", "H2", "H3"]  # still held by the unsent alert
    next_day = night + timedelta(days=1, hours=12)
    new_matches(make_session, next_day)
    dispatch_due(make_session, ghl, now=next_day)
    # The orphan neither kept its listings nor used up the weekly cap.
    [text] = texts(standin)
    assert "1) 1 Oak St" in text and "3) 3 Oak St" in text
    with make_session() as session:
        assert session.scalars(sa.select(ListingAlert.status)).all() == ["sent"]

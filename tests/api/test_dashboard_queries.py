"""hub.dashboard's aggregations on real rows, on SQLite and PostgreSQL.

The funnel's rows are made by the real processor from GHL payloads; the other panels' rows are
written the way the workflow engine, the send path and the scorer write them.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.dashboard import (
    backlog_by_location,
    funnel,
    intake_summary,
    lead_rows,
    lead_stages,
    recent_activity,
    speed_to_lead,
    tier_counts,
    workflow_performance,
)
from hub.events.envelope import marketplace_delivery
from hub.events.processor import process_pending
from hub.simulator import SimulationConfig, simulate
from hub.store.activity_log import append_activity
from hub.store.event_log import append_events
from hub.store.models import Contact, Enrollment, Event, Message, Opportunity, Score, SendLedgerEntry
from tests.hub.leads import payloads as p
from tests.hub.leads.payloads import at, log_event
from tests.hub.store.builders import add_contact, add_location
from tests.hub.workflows.builders import publish, workflow_yaml

OTHER = "LocOther99"
T0 = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def db(session: Session) -> Session:
    add_location(session, p.LOC)
    add_location(session, OTHER)
    return session


def _process(db: Session, location_id: str = p.LOC) -> None:
    while process_pending(db, location_id).processed:
        pass
    db.flush()


def _message(db: Session, contact_id: str, direction: str, at: datetime, location_id: str = p.LOC) -> None:
    db.add(
        Message(
            location_id=location_id,
            id=f"m-{contact_id}-{direction}-{at.timestamp():.0f}",
            contact_id=contact_id,
            direction=direction,
            channel="SMS",
            body="hello",
            occurred_at=at,
        )
    )
    db.flush()


# -- funnel ----------------------------------------------------------------------------------------


def test_funnel_counts_each_lead_at_the_furthest_stage_it_reached(db: Session) -> None:
    for n in range(1, 8):
        log_event(db, p.contact(contact_id=f"C{n}", email=f"c{n}@example.com"), at(0))
    log_event(db, p.message("Saw your listing", inbound=False, contact_id="C2", message_id="m2"), at(5))
    log_event(db, p.message("Hi!", inbound=False, contact_id="C3", message_id="m3o"), at(5))
    log_event(db, p.message("Yes please", contact_id="C3", message_id="m3i"), at(6))
    # C4 wrote first and booked a showing: counted as contacted and replied too.
    log_event(db, p.message("Can I see 12 Oak St?", contact_id="C4", message_id="m4"), at(7))
    log_event(db, p.appointment(contact_id="C4", appointment_id="A4"), at(8))
    log_event(db, p.opportunity(status="won", contact_id="C5", opportunity_id="O5"), at(9))
    log_event(db, p.appointment(status="cancelled", contact_id="C6", appointment_id="A6"), at(9))
    log_event(db, p.contact("ContactDelete", contact_id="C7"), at(10))
    _process(db)
    # Another location's won deal must not leak into this funnel.
    add_contact(db, OTHER, "X1")
    db.add(Opportunity(location_id=OTHER, id="OX", contact_id="X1", status="won"))
    db.flush()

    stages = lead_stages(db, p.LOC)
    assert stages == {
        "C1": "new",
        "C2": "contacted",
        "C3": "replied",
        "C4": "showing",
        "C5": "won",
        "C6": "new",
    }
    result = {s.stage: (s.leads, s.share_of_new, s.share_of_previous) for s in funnel(db, p.LOC).stages}
    assert result == {
        "new": (6, 1.0, None),
        "contacted": (4, 4 / 6, 4 / 6),
        "replied": (3, 3 / 6, 3 / 4),
        "showing": (2, 2 / 6, 2 / 3),
        "won": (1, 1 / 6, 1 / 2),
    }


def test_an_empty_location_has_an_empty_funnel_without_rates(db: Session) -> None:
    stages = funnel(db, p.LOC).stages
    assert [(s.stage, s.leads, s.share_of_new) for s in stages] == [
        ("new", 0, None),
        ("contacted", 0, None),
        ("replied", 0, None),
        ("showing", 0, None),
        ("won", 0, None),
    ]


# -- speed to lead ---------------------------------------------------------------------------------


def test_speed_to_lead_measures_creation_to_first_touch(db: Session) -> None:
    minutes = {"S1": 3, "S2": 3.5, "S3": 20, "S4": 120, "S5": 2000}
    for contact_id, wait in minutes.items():
        add_contact(db, p.LOC, contact_id, date_added=T0)
        _message(db, contact_id, "outbound", T0 + timedelta(minutes=wait))
        # A later touch and an inbound message never move the first touch.
        _message(db, contact_id, "outbound", T0 + timedelta(minutes=wait + 30))
    _message(db, "S1", "inbound", T0 + timedelta(minutes=1))
    add_contact(db, p.LOC, "Early", date_added=T0)  # touched before GHL's dateAdded: 0 minutes
    _message(db, "Early", "outbound", T0 - timedelta(minutes=10))
    add_contact(db, p.LOC, "Waiting", date_added=T0)
    add_contact(db, p.LOC, "NoDate", date_added=None)
    _message(db, "NoDate", "outbound", T0)
    add_contact(db, OTHER, "S1", date_added=T0)
    _message(db, "S1", "outbound", T0 + timedelta(days=9), location_id=OTHER)

    speed = speed_to_lead(db, p.LOC)
    assert {b.label: b.leads for b in speed.buckets} == {
        "< 5 min": 3,  # Early (0), S1 (3), S2 (3.5)
        "5-15 min": 0,
        "15-60 min": 1,
        "1-4 h": 1,
        "4-24 h": 0,
        "> 24 h": 1,
    }
    assert (speed.measured, speed.not_contacted, speed.no_creation_time) == (6, 1, 1)
    # Nearest rank over [0, 3, 3.5, 20, 120, 2000].
    assert (speed.median_minutes, speed.p90_minutes) == (3.5, 2000)


def test_a_send_the_ledger_records_is_a_touch_before_its_echo_arrives(db: Session) -> None:
    publish(db, workflow_yaml("- {id: hello, type: send_sms, body: Hi}", workflow_id="wf"))
    add_contact(db, p.LOC, "L1", date_added=T0)
    enrollment = _enroll(db, "L1", "wf", started_at=T0)
    _ledger(db, enrollment, "sent", completed_at=T0 + timedelta(minutes=2))
    _ledger(db, enrollment, "suppressed", step_id="later", completed_at=T0 + timedelta(minutes=1))
    speed = speed_to_lead(db, p.LOC)
    assert (speed.measured, speed.median_minutes) == (1, 2.0)


# -- workflows -------------------------------------------------------------------------------------

SPLIT = workflow_yaml(
    """
    - id: opener
      type: ab_split
      variants:
        - {name: short, weight: 50, next: short_text}
        - {name: long, weight: 50, next: long_text}
    - {id: short_text, type: send_sms, body: "Short hello", next: end}
    - {id: long_text, type: send_sms, body: "A much longer hello"}
    """,
    workflow_id="reengage",
)


def _enroll(
    db: Session,
    contact_id: str,
    workflow_id: str,
    *,
    started_at: datetime = T0,
    status: str = "active",
    variants: dict[str, str] | None = None,
    location_id: str = p.LOC,
) -> Enrollment:
    enrollment = Enrollment(
        location_id=location_id,
        contact_id=contact_id,
        workflow_id=workflow_id,
        workflow_version=1,
        status=status,
        variants=variants or {},
        started_at=started_at,
    )
    db.add(enrollment)
    db.flush()
    return enrollment


def _ledger(db: Session, enrollment: Enrollment, status: str, **fields: Any) -> None:
    values: dict[str, Any] = {"step_id": "hello", "channel": "SMS", "reserved_at": T0, **fields}
    db.add(
        SendLedgerEntry(
            enrollment_id=enrollment.id,
            location_id=enrollment.location_id,
            contact_id=enrollment.contact_id,
            status=status,
            **values,
        )
    )
    db.flush()


def test_workflow_performance_counts_enrollments_sends_replies_and_arms(db: Session) -> None:
    publish(db, SPLIT)
    publish(db, workflow_yaml("- {id: hello, type: send_sms, body: Hi}", workflow_id="welcome"))
    for n in range(1, 6):
        add_contact(db, p.LOC, f"W{n}")
    arms = {"W1": "short", "W2": "short", "W3": "long", "W4": "long"}
    statuses = {"W1": "completed", "W2": "exited", "W3": "waiting", "W4": "failed"}
    enrollments = {
        contact_id: _enroll(db, contact_id, "reengage", status=statuses[contact_id], variants={"opener": arm})
        for contact_id, arm in arms.items()
    }
    for contact_id in ("W1", "W2", "W3"):
        _ledger(db, enrollments[contact_id], "sent", step_id=f"{arms[contact_id]}_text")
    _ledger(db, enrollments["W4"], "failed", step_id="long_text")
    _ledger(db, enrollments["W4"], "suppressed", step_id="long_text", attempt_key="2")
    _message(db, "W1", "inbound", T0 + timedelta(hours=2))  # replied after enrolling
    _message(db, "W3", "inbound", T0 - timedelta(days=1))  # before enrolling: not a reply to it
    _message(db, "W3", "inbound", T0 + timedelta(days=1))  # ...but this one is
    _message(db, "W2", "inbound", T0 - timedelta(minutes=1))  # before only: no reply
    welcome = _enroll(db, "W5", "welcome", status="active")
    _ledger(db, welcome, "deferred")
    # Another location's enrollment of the same workflow stays out.
    add_contact(db, OTHER, "W1")
    _enroll(db, "W1", "reengage", location_id=OTHER, variants={"opener": "short"})

    first, second = workflow_performance(db, p.LOC)
    assert (first.workflow_id, first.name, second.workflow_id) == ("reengage", "Test reengage", "welcome")
    assert (first.enrolled, first.live, first.completed, first.exited, first.failed) == (4, 1, 1, 1, 1)
    assert first.sends == {
        "reserved": 0,
        "sent": 3,
        "failed": 1,
        "suppressed": 1,
        "deferred": 0,
        "unknown": 0,
    }
    assert (first.replied, first.reply_rate) == (2, 0.5)
    assert [(a.step_id, a.arm, a.enrolled, a.sent, a.replied, a.reply_rate) for a in first.arms] == [
        ("opener", "long", 2, 1, 1, 0.5),
        ("opener", "short", 2, 2, 1, 0.5),
    ]
    assert (second.enrolled, second.live, second.sends["deferred"], second.arms) == (1, 1, 1, [])


# -- scores ----------------------------------------------------------------------------------------


def _score(
    db: Session,
    contact_id: str,
    kind: str,
    probability: float,
    tier: str,
    *,
    location_id: str = p.LOC,
    scored_at: datetime = T0,
    reasons: list[dict[str, Any]] | None = None,
) -> None:
    db.add(
        Score(
            location_id=location_id,
            contact_id=contact_id,
            kind=kind,
            model_version=f"{kind}-7d-v1",
            probability=probability,
            tier=tier,
            reasons=reasons or [],
            scored_at=scored_at,
        )
    )
    db.flush()


def test_tier_counts_use_each_leads_newest_score_and_order_by_probability(db: Session) -> None:
    for contact_id in ("A", "B", "C", "D"):
        add_contact(db, p.LOC, contact_id)
    _score(db, "A", "churn", 0.9, "critical", scored_at=T0)
    _score(db, "A", "churn", 0.2, "low", scored_at=T0 + timedelta(days=1))  # newest wins
    _score(db, "B", "churn", 0.65, "high")
    _score(db, "C", "churn", 0.7, "high")
    _score(db, "D", "churn", 0.85, "critical")
    _score(db, "D", "conversion", 0.5, "hot")
    add_contact(db, OTHER, "Z")
    _score(db, "Z", "churn", 0.95, "critical", location_id=OTHER)

    churn = tier_counts(db, p.LOC, "churn")
    assert [(t.tier, t.leads, t.min_probability, t.max_probability) for t in churn] == [
        ("critical", 1, 0.85, 0.85),
        ("high", 2, 0.65, 0.7),
        ("low", 1, 0.2, 0.2),
    ]
    assert [(t.tier, t.leads) for t in tier_counts(db, p.LOC, "conversion")] == [("hot", 1)]


def test_lead_rows_put_the_hottest_scored_leads_first_with_their_reasons(db: Session) -> None:
    add_contact(db, p.LOC, "Old", name="Olga Old", date_added=T0 - timedelta(days=3))
    add_contact(db, p.LOC, "New", name="Ned New", date_added=T0)
    add_contact(db, p.LOC, "Hot", name="Hattie Hot", date_added=T0 - timedelta(days=9), sms_opted_out=True)
    add_contact(db, p.LOC, "Warm", name="Walt Warm", date_added=T0)
    add_contact(db, p.LOC, "Gone", name="Gone", deleted=True)
    reasons = [{"feature": f"f{i}", "text": f"reason {i}", "impact": 1.0 - i / 10} for i in range(5)]
    _score(db, "Hot", "conversion", 0.61, "hot", reasons=reasons)
    _score(db, "Hot", "churn", 0.1, "low")
    _score(db, "Warm", "conversion", 0.2, "warm")
    _message(db, "Warm", "outbound", T0 + timedelta(minutes=1))

    table = lead_rows(db, p.LOC)
    assert table.total == 4
    assert [row.contact_id for row in table.rows] == ["Hot", "Warm", "New", "Old"]
    hot = table.rows[0]
    assert hot.conversion is not None and hot.churn is not None
    assert (hot.name, hot.conversion.probability, hot.conversion.tier, hot.churn.tier) == (
        "Hattie Hot",
        0.61,
        "hot",
        "low",
    )
    assert hot.conversion.reasons == ["reason 0", "reason 1", "reason 2"]
    assert (hot.sms_opted_out, hot.stage, table.rows[1].stage) == (True, "new", "contacted")
    assert table.rows[2].conversion is None
    assert [row.contact_id for row in lead_rows(db, p.LOC, limit=2).rows] == ["Hot", "Warm"]
    assert lead_rows(db, OTHER).total == 0


# -- intake and the feed ---------------------------------------------------------------------------


def test_intake_summary_and_backlog_age_by_location(db: Session) -> None:
    now = datetime.now(UTC)
    log_event(db, p.contact(contact_id="I1"), at(0), key="k-old")
    log_event(db, p.contact(contact_id="I2"), at(1), key="k-new")
    log_event(db, p.contact(contact_id="I3"), at(1), key="k-done")
    log_event(db, p.contact(contact_id="I4"), at(1), key="k-stale")
    log_event(db, p.contact(contact_id="X"), at(1), key="k-other", location_id=OTHER)
    received = {
        "k-old": now - timedelta(minutes=10),
        "k-new": now - timedelta(minutes=1),
        "k-done": now - timedelta(hours=2),
        "k-stale": now - timedelta(days=2),
        "k-other": now - timedelta(hours=1),
    }
    for key, moment in received.items():
        db.execute(sa.update(Event).where(Event.delivery_key == key).values(received_at=moment))
    db.execute(sa.update(Event).where(Event.delivery_key.in_(["k-done", "k-stale"])).values(processed_at=now))
    db.flush()

    summary = intake_summary(db, p.LOC, now=now)
    assert (summary.received_last_24h, summary.unprocessed) == (3, 2)
    assert summary.processing_lag_seconds == pytest.approx(600, abs=1)
    assert summary.last_received_at == received["k-new"]
    backlogs = {b.location_id: (b.unprocessed, b.lag_seconds(now)) for b in backlog_by_location(db)}
    assert backlogs == {p.LOC: (2, pytest.approx(600, abs=1)), OTHER: (1, pytest.approx(3600, abs=1))}

    db.execute(sa.update(Event).values(processed_at=now))
    assert intake_summary(db, p.LOC, now=now).processing_lag_seconds == 0.0
    assert backlog_by_location(db) == []


def test_recent_activity_is_the_newest_items_oldest_first_of_one_location(db: Session) -> None:
    ids = [append_activity(db, p.LOC, "lead_updated", {"n": n}, contact_id="C1").id for n in range(5)]
    append_activity(db, OTHER, "lead_updated", {"secret": "other location"}, contact_id="C1")
    items = recent_activity(db, p.LOC, limit=3)
    assert [item.id for item in items] == ids[2:]
    assert [item.payload["n"] for item in items] == [2, 3, 4]


# -- a simulated brokerage -------------------------------------------------------------------------


def test_panels_agree_with_each_other_on_a_processed_brokerage(session: Session) -> None:
    sim = simulate(SimulationConfig(leads=25, days=8, seed=5, locations=1))
    location_id = sim.world.locations[0].id
    add_location(session, location_id)
    deliveries = [
        marketplace_delivery(d.body, received_at=datetime.now(UTC))
        for d in sim.deliveries
        if d.route == "ghl"
    ]
    append_events(session, deliveries)
    _process(session, location_id)

    contacts = session.scalar(
        sa.select(sa.func.count()).where(Contact.location_id == location_id, Contact.deleted.is_(False))
    )
    stages = funnel(session, location_id).stages
    leads = [s.leads for s in stages]
    assert leads[0] == contacts and contacts > 10
    assert leads == sorted(leads, reverse=True), "a later stage can never hold more leads"
    assert leads[1] > 0 and leads[2] > 0, "the simulated brokerage texts its leads and some reply"
    assert Counter(lead_stages(session, location_id).values())["new"] == leads[0] - leads[1]
    speed = speed_to_lead(session, location_id)
    assert speed.measured + speed.not_contacted + speed.no_creation_time == contacts
    assert sum(b.leads for b in speed.buckets) == speed.measured
    assert lead_rows(session, location_id).total == contacts

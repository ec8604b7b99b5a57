"""Triggers: event + condition, counts over the log, score and tier changes, cooldowns, schedules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hub.store.models import Enrollment, Listing, ListingInteraction, Message, Score
from hub.workflows import (
    WorkflowEvent,
    evaluate_schedules,
    evaluate_triggers,
    handle_events,
    start_enrollments,
)
from tests.hub.workflows.builders import T0, add_lead, add_location, publish, workflow_yaml

HELLO = "- {id: hello, type: send_sms, body: hi}"


def setup(session: Session, triggers: str, **lead: Any) -> None:
    add_location(session)
    add_lead(session, **lead)
    publish(session, workflow_yaml(HELLO, triggers=triggers))


def test_an_event_with_a_condition(session: Session) -> None:
    setup(session, "- {event: ContactCreate, if: \"has_tag('buyer') and event.source == 'Zillow'\"}")
    zillow = WorkflowEvent("ContactCreate", "C1", T0, {"source": "Zillow"})
    facebook = WorkflowEvent("ContactCreate", "C1", T0, {"source": "Facebook"})
    assert evaluate_triggers(session, "L1", [facebook], now=T0) == []
    [request] = evaluate_triggers(session, "L1", [zillow, zillow], now=T0)  # duplicates collapse
    assert (request.workflow_id, request.contact_id) == ("wf", "C1")
    [result] = start_enrollments(session, [request], now=T0)
    assert result.enrollment is not None
    assert result.enrollment.context["trigger"] == {"type": "ContactCreate", "source": "Zillow"}


def test_workflows_only_run_in_their_locations(session: Session) -> None:
    add_location(session)
    add_lead(session)
    publish(
        session,
        workflow_yaml(HELLO, triggers="- {event: ContactCreate}").replace("name:", "locations: [L9]\nname:"),
    )
    assert evaluate_triggers(session, "L1", [WorkflowEvent("ContactCreate", "C1", T0)], now=T0) == []


def test_three_property_views_within_a_day(session: Session) -> None:
    setup(session, "- {event: ListingInteraction, if: \"event.kind == 'view'\", at_least: 3, within: 24h}")
    session.add(Listing(location_id="L1", id="MLS1", status="Active"))
    for hours_ago in (30, 5):  # one too old, one recent
        session.add(
            ListingInteraction(
                location_id="L1",
                contact_id="C1",
                listing_id="MLS1",
                kind="view",
                at=T0 - timedelta(hours=hours_ago),
            )
        )
    session.add(ListingInteraction(location_id="L1", contact_id="C1", listing_id="MLS1", kind="save", at=T0))
    session.add(ListingInteraction(location_id="L1", contact_id="C1", listing_id="MLS1", kind="view", at=T0))
    session.flush()
    view = WorkflowEvent("ListingInteraction", "C1", T0, {"kind": "view", "listing_id": "MLS1"})
    assert evaluate_triggers(session, "L1", [view], now=T0) == []  # 2 views in 24 h (the save does not count)
    later = T0 + timedelta(hours=1)
    session.add(
        ListingInteraction(location_id="L1", contact_id="C1", listing_id="MLS1", kind="view", at=later)
    )
    session.flush()
    assert (
        len(
            evaluate_triggers(
                session, "L1", [WorkflowEvent("ListingInteraction", "C1", later, {"kind": "view"})], now=later
            )
        )
        == 1
    )


def add_score(session: Session, kind: str, probability: float, tier: str, minutes: int) -> None:
    session.add(
        Score(
            location_id="L1",
            contact_id="C1",
            kind=kind,
            model_version="m1",
            probability=probability,
            tier=tier,
            scored_at=T0 + timedelta(minutes=minutes),
        )
    )
    session.flush()


def test_a_score_crossing_upward_fires_once(session: Session) -> None:
    setup(session, "- {event: ScoreChanged, crossed_above: 0.7}")
    add_score(session, "conversion", 0.5, "warm", 0)
    add_score(session, "conversion", 0.75, "hot", 10)
    crossing = WorkflowEvent("ScoreChanged", "C1", T0 + timedelta(minutes=10), {"probability": 0.75})
    assert len(evaluate_triggers(session, "L1", [crossing], now=T0)) == 1
    add_score(session, "conversion", 0.8, "hot", 20)  # still above: not a new crossing
    still = WorkflowEvent("ScoreChanged", "C1", T0 + timedelta(minutes=20), {"probability": 0.8})
    assert evaluate_triggers(session, "L1", [still], now=T0) == []
    other_model = WorkflowEvent(
        "ScoreChanged", "C1", T0, {"model": "churn", "probability": 0.9, "previous": 0.1}
    )
    assert evaluate_triggers(session, "L1", [other_model], now=T0) == []


def test_churn_tier_became_high(session: Session) -> None:
    setup(session, "- {event: TierChanged, model: churn, became: high}")
    add_score(session, "churn", 0.4, "medium", 0)
    add_score(session, "churn", 0.8, "high", 10)
    change = WorkflowEvent("TierChanged", "C1", T0, {"model": "churn", "tier": "high"})
    assert len(evaluate_triggers(session, "L1", [change], now=T0)) == 1
    unchanged = WorkflowEvent(
        "TierChanged", "C1", T0, {"model": "churn", "tier": "high", "previous_tier": "high"}
    )
    assert evaluate_triggers(session, "L1", [unchanged], now=T0) == []


def test_cooldown(session: Session) -> None:
    setup(session, "- {event: ContactTagUpdate, cooldown: 30d}")
    session.add(
        Enrollment(
            location_id="L1",
            contact_id="C1",
            workflow_id="wf",
            workflow_version=1,
            status="exited",
            started_at=T0 - timedelta(days=3),
            variants={},
            context={},
        )
    )
    session.flush()
    tag = WorkflowEvent("ContactTagUpdate", "C1", T0, {"tags": ["x"]})
    assert evaluate_triggers(session, "L1", [tag], now=T0) == []
    assert len(evaluate_triggers(session, "L1", [tag], now=T0 + timedelta(days=31))) == 1


def test_no_inbound_reply_for_14_days(session: Session) -> None:
    setup(session, "- {event: NoInboundReply, no_inbound_for: 14d}", date_added=T0 - timedelta(days=60))
    add_lead(session, contact_id="C_recent", date_added=T0 - timedelta(days=60))
    add_lead(session, contact_id="C_new", date_added=T0 - timedelta(days=2))
    add_lead(session, contact_id="C_never", date_added=T0 - timedelta(days=30))
    for contact_id, days in (("C1", 20), ("C_recent", 3)):
        session.add(
            Message(
                location_id="L1",
                id=f"M-{contact_id}",
                contact_id=contact_id,
                direction="inbound",
                channel="SMS",
                occurred_at=T0 - timedelta(days=days),
            )
        )
    session.flush()
    requests = evaluate_schedules(session, "L1", now=T0)
    assert sorted(r.contact_id for r in requests) == ["C1", "C_never"]


@dataclass(frozen=True)
class Change:
    """Shaped like hub.leads.changes.Change (what the lead-state processor reports)."""

    kind: str
    contact_id: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def test_handle_events_reacts_then_triggers(session: Session) -> None:
    add_location(session)
    add_lead(session)
    publish(session, workflow_yaml(HELLO, workflow_id="first", triggers="- {event: ContactCreate}"))
    publish(session, workflow_yaml(HELLO, workflow_id="replied", triggers="- {event: InboundMessage}"))
    created = handle_events(session, "L1", [Change("lead_created", "C1", T0)], now=T0)
    [first] = [r.enrollment for r in created.enrolled]
    assert first is not None and first.workflow_id == "first"
    reply = Change("message_received", "C1", T0 + timedelta(minutes=5), {"channel": "SMS", "body": "hi"})
    outcome = handle_events(session, "L1", [reply], now=T0 + timedelta(minutes=5))
    assert outcome.reactions.exited == [first.id]
    assert [r.enrollment.workflow_id for r in outcome.enrolled if r.enrollment] == ["replied"]

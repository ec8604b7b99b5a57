"""Running enrollments react to events: exits, goal jumps, waits, human takeover, STOP."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hub.store.models import Enrollment
from hub.workflows import WorkflowEvent, enroll, react_to_events
from tests.hub.workflows.builders import T0, add_lead, add_location, publish, workflow_yaml

STEPS = """
    - {id: hello, type: send_sms, body: hi}
    - id: wait_reply
      type: wait
      for_event: {event: ListingInteraction, if: "event.kind == 'save'"}
      timeout: 2d
      on_event: saved
      on_timeout: nudge
    - {id: nudge, type: send_sms, body: "still there?", next: end}
    - {id: saved, type: notify_agent, message: saved a listing, next: end}
    - {id: booked, type: goal, event: AppointmentCreate, on_reach: end}
    - {id: congrats, type: add_tag, tags: [booked]}
"""


def start(session: Session, enrollment_yaml: str = "") -> Enrollment:
    add_location(session)
    add_lead(session)
    publish(session, workflow_yaml(STEPS, enrollment=enrollment_yaml))
    enrollment = enroll(
        session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t"
    ).enrollment
    assert enrollment is not None
    return enrollment


def event(event_type: str, minutes: int = 30, **data: object) -> WorkflowEvent:
    return WorkflowEvent(event_type, "C1", T0 + timedelta(minutes=minutes), data)


def test_a_reply_exits_by_default(session: Session) -> None:
    enrollment = start(session)
    report = react_to_events(session, "L1", [event("InboundMessage", channel="SMS", body="yes!")], now=T0)
    assert report.exited == [enrollment.id]
    assert enrollment.status == "exited" and "the lead replied" in (enrollment.exit_reason or "")


def test_a_reply_can_hold_instead(session: Session) -> None:
    enrollment = start(session, "stop_on_reply: hold")
    react_to_events(session, "L1", [event("InboundMessage", channel="SMS")], now=T0)
    assert enrollment.status == "on_hold"


def test_an_agents_manual_message_holds_but_our_own_echo_does_not(session: Session) -> None:
    enrollment = start(session)
    react_to_events(session, "L1", [event("OutboundMessage", source="api", channel="SMS")], now=T0)
    assert enrollment.status == "active"
    react_to_events(session, "L1", [event("OutboundMessage", source="app", channel="SMS")], now=T0)
    assert enrollment.status == "on_hold"


def test_stop_exits_every_enrollment(session: Session) -> None:
    enrollment = start(session, "stop_on_reply: hold")
    react_to_events(session, "L1", [event("SmsOptedOut", body="STOP")], now=T0)
    assert enrollment.status == "exited" and "STOP" in (enrollment.exit_reason or "")


def test_exit_on_rules(session: Session) -> None:
    enrollment = start(
        session, "exit_on:\n  - {event: OpportunityStatusUpdate, if: \"event.status == 'won'\"}"
    )
    react_to_events(session, "L1", [event("OpportunityStatusUpdate", status="lost")], now=T0)
    assert enrollment.status == "active"
    react_to_events(session, "L1", [event("OpportunityStatusUpdate", status="won")], now=T0)
    assert enrollment.status == "exited"


def test_a_wait_for_event_resumes_on_its_event_only(session: Session) -> None:
    enrollment = start(session)
    enrollment.current_step_id = "wait_reply"
    enrollment.status = "waiting"
    enrollment.context = {
        **enrollment.context,
        "wait": {"step": "wait_reply", "kind": "event", "until": None},
    }
    react_to_events(session, "L1", [event("ListingInteraction", kind="view")], now=T0)
    assert enrollment.current_step_id == "wait_reply"
    react_to_events(session, "L1", [event("ListingInteraction", kind="save")], now=T0)
    assert (enrollment.current_step_id, enrollment.status) == ("saved", "active")
    assert "wait" not in enrollment.context


def test_a_goal_jumps_once_from_anywhere_and_beats_the_appointment_exit(session: Session) -> None:
    enrollment = start(session)
    booked = event("AppointmentCreate", status="confirmed")
    report = react_to_events(session, "L1", [booked, booked], now=T0)  # a duplicate delivery
    assert report.jumped == [enrollment.id]
    assert enrollment.current_step_id == "booked" and enrollment.context["visits"]["booked"] == 1
    assert enrollment.context["goals_reached"] == ["booked"]


def test_events_from_before_the_enrollment_are_ignored(session: Session) -> None:
    enrollment = start(session)
    late_delivery = event("InboundMessage", minutes=-60, channel="SMS")  # happened before it started
    react_to_events(session, "L1", [late_delivery], now=T0 + timedelta(hours=1))
    assert enrollment.status == "active"

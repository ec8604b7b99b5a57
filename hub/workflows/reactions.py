"""How running enrollments react to what happens to their lead: exits, goal jumps, waits, takeover.

For each event, every live enrollment of the contact that had started when the event happened (an
event at the very instant it started counts: when in doubt, stop) reacts, in this order (the first
that applies wins):
  1. SmsOptedOut                       -> exit (COMPLIANCE.md guard 3: STOP exits every enrollment)
  2. an `enrollment.exit_on` match     -> exit
  3. the current step waits for it     -> continue at the wait's `on_event` step
  4. a goal step's event               -> jump to the goal (once per goal)
  5. a reply / an agent's message / a booked appointment -> exit or hold, per the workflow's
     stop_on_reply / on_agent_message / on_appointment (guard 7; there is no "keep going")
Events older than the enrollment's start are ignored, and each reaction is idempotent, so duplicate
and out-of-order deliveries cannot jump a lead twice or revive a finished enrollment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.store.models import Contact, Enrollment
from hub.workflows.conditions import ConditionError, evaluate
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.enrollment import finish, hold, live_enrollments, pinned_definition
from hub.workflows.events import ChangeLike, WorkflowEvent, as_events
from hub.workflows.facts import lead_facts
from hub.workflows.runner import enter
from hub.workflows.steps import EventMatch, Goal, Wait


@dataclass(slots=True)
class Reactions:
    exited: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    resumed: list[int] = field(default_factory=list)  # waits that got their event
    jumped: list[int] = field(default_factory=list)  # goal jumps
    errors: list[str] = field(default_factory=list)


def react_to_events(
    session: Session, location_id: str, events: Iterable[WorkflowEvent | ChangeLike], *, now: datetime
) -> Reactions:
    """Apply a batch of events to the location's live enrollments (module docstring). Flushes;
    the caller commits."""
    report = Reactions()
    facts_cache: dict[str, dict[str, Any]] = {}
    for event in sorted(as_events(events), key=lambda e: e.at):
        for enrollment in live_enrollments(session, location_id, event.contact_id):
            if event.at < enrollment.started_at:
                continue
            definition = pinned_definition(session, enrollment)

            def facts(contact_id: str = event.contact_id) -> dict[str, Any]:
                if contact_id not in facts_cache:
                    contact = session.get(Contact, (location_id, contact_id))
                    facts_cache[contact_id] = lead_facts(session, contact, now=now) if contact else {}
                return facts_cache[contact_id]

            try:
                _react(session, enrollment, definition, event, facts, report, now)
            except ConditionError as exc:
                report.errors.append(f"enrollment {enrollment.id}: {exc}")
    session.flush()
    return report


def matches(match: EventMatch | Goal, event: WorkflowEvent, facts: Any) -> bool:
    """The event is of the match's type and its condition (if any) holds."""
    if match.event != event.type:
        return False
    return match.if_ is None or evaluate(match.if_, facts(), event.fields())


def _react(
    session: Session,
    enrollment: Enrollment,
    definition: WorkflowDefinition,
    event: WorkflowEvent,
    facts: Any,
    report: Reactions,
    now: datetime,
) -> None:
    settings = definition.enrollment
    if event.type == "SmsOptedOut":
        finish(session, enrollment, "exited", "the lead opted out of SMS (STOP)", now=now)
        report.exited.append(enrollment.id)
        return
    if any(matches(rule, event, facts) for rule in settings.exit_on):
        finish(
            session,
            enrollment,
            "exited",
            f"exit rule: {event.type} at {event.at:%Y-%m-%d %H:%M} UTC",
            now=now,
        )
        report.exited.append(enrollment.id)
        return
    if enrollment.status != "on_hold":
        if _resume_wait(enrollment, definition, event, facts, now):
            report.resumed.append(enrollment.id)
            return
        if _jump_to_goal(enrollment, definition, event, facts, now):
            report.jumped.append(enrollment.id)
            return
    reaction = None
    if event.is_reply:
        reaction, why = settings.stop_on_reply, "the lead replied"
    elif event.is_agent_message:
        reaction, why = settings.on_agent_message, "an agent messaged the lead"
    elif event.type == "AppointmentCreate":
        reaction, why = settings.on_appointment, "an appointment was booked"
    if reaction == "exit":
        finish(
            session, enrollment, "exited", f"{why} ({event.type} at {event.at:%Y-%m-%d %H:%M} UTC)", now=now
        )
        report.exited.append(enrollment.id)
    elif reaction == "hold" and enrollment.status != "on_hold":
        hold(session, enrollment, f"{why} ({event.type} at {event.at:%Y-%m-%d %H:%M} UTC)", now=now)
        report.held.append(enrollment.id)


def _resume_wait(
    enrollment: Enrollment, definition: WorkflowDefinition, event: WorkflowEvent, facts: Any, now: datetime
) -> bool:
    wait = enrollment.context.get("wait")
    if not isinstance(wait, dict) or wait.get("kind") != "event":
        return False
    step_id = str(wait.get("step"))
    if not definition.has_step(step_id):
        return False
    step = definition.step(step_id)
    if not isinstance(step, Wait) or step.for_event is None or not matches(step.for_event, event, facts):
        return False
    enter(enrollment, step.on_event or definition.following(step.id), now=now)
    return True


def _jump_to_goal(
    enrollment: Enrollment, definition: WorkflowDefinition, event: WorkflowEvent, facts: Any, now: datetime
) -> bool:
    reached = list(enrollment.context.get("goals_reached", []))
    for goal in definition.goals():
        if goal.id in reached or not matches(goal, event, facts):
            continue
        enrollment.context = {**enrollment.context, "goals_reached": [*reached, goal.id]}
        enter(enrollment, goal.id, now=now)
        return True
    return False

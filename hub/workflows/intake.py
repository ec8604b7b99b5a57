"""What the event processor calls after folding a batch into the lead state.

    outcome = handle_events(session, location_id, changes, now=now)

Order matters: running enrollments react first (exits, goal jumps, waits, takeover), then triggers
start new enrollments; an event that exits a lead from one workflow can still start another.
Flushes; the caller commits with the rest of its batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hub.workflows.enrollment import EnrollResult
from hub.workflows.events import ChangeLike, WorkflowEvent, as_events
from hub.workflows.reactions import Reactions, react_to_events
from hub.workflows.triggers import EnrollmentRequest, evaluate_triggers, start_enrollments


@dataclass(frozen=True, slots=True)
class EventOutcome:
    reactions: Reactions
    requests: Sequence[EnrollmentRequest]
    enrolled: Sequence[EnrollResult]


def handle_events(
    session: Session, location_id: str, events: Iterable[WorkflowEvent | ChangeLike], *, now: datetime
) -> EventOutcome:
    """React, then trigger, for one location's batch of events or lead-state changes."""
    batch = as_events(events)
    reactions = react_to_events(session, location_id, batch, now=now)
    requests = evaluate_triggers(session, location_id, batch, now=now)
    enrolled = start_enrollments(session, requests, now=now)
    session.flush()
    return EventOutcome(reactions, requests, enrolled)

"""Which leads to enroll: triggers over events, counts in the event log, scores, and schedules.

    requests = evaluate_triggers(session, location_id, events, now=now)   # events or lead changes
    requests += evaluate_schedules(session, location_id, now=now)         # NoInboundReply, hourly
    results = start_enrollments(session, requests, now=now)

A trigger fires for an event of its type whose condition holds, and, when it says so, only when
the lead has `at_least` such events `within` the window (counted in the store: listing interactions
of the same kind, or event-log rows of the same type), when a score crossed a threshold upward or
downward, or when a tier became a value. Its cooldown, and the workflow's re-entry rules (applied by
`enroll`), stop it from enrolling the same lead again too soon.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.sending.audit import record
from hub.store.models import Contact, Enrollment, Event, ListingInteraction, Message, Score, Workflow
from hub.workflows.conditions import ConditionError, evaluate
from hub.workflows.definition import Trigger, WorkflowDefinition
from hub.workflows.enrollment import EnrollResult, definition_of, enroll
from hub.workflows.events import ChangeLike, WorkflowEvent, as_events
from hub.workflows.facts import lead_facts


@dataclass(frozen=True, slots=True)
class EnrollmentRequest:
    location_id: str
    contact_id: str
    workflow_id: str
    trigger_index: int
    reason: str
    data: dict[str, Any]


def active_definitions(session: Session, location_id: str) -> list[WorkflowDefinition]:
    rows = session.scalars(sa.select(Workflow).where(Workflow.active.is_(True)).order_by(Workflow.id)).all()
    return [d for d in (definition_of(row) for row in rows) if d.applies_to(location_id)]


def evaluate_triggers(
    session: Session, location_id: str, events: Iterable[WorkflowEvent | ChangeLike], *, now: datetime
) -> list[EnrollmentRequest]:
    """Enrollment requests for a batch of events (one per workflow and contact at most)."""
    workflows = active_definitions(session, location_id)
    requests: dict[tuple[str, str], EnrollmentRequest] = {}
    facts_cache: dict[str, dict[str, Any]] = {}
    for event in sorted(as_events(events), key=lambda e: e.at):
        for workflow in workflows:
            if (workflow.id, event.contact_id) in requests:
                continue
            for index, trigger in enumerate(workflow.triggers):
                if trigger.event != event.type:
                    continue
                try:
                    fired = _fires(session, location_id, workflow.id, trigger, event, facts_cache, now)
                except ConditionError as exc:
                    fired = False
                    _note_error(session, location_id, event.contact_id, workflow.id, str(exc), now)
                if fired:
                    data = {"type": event.type, **{k: v for k, v in event.fields().items() if v is not None}}
                    requests[(workflow.id, event.contact_id)] = EnrollmentRequest(
                        location_id,
                        event.contact_id,
                        workflow.id,
                        index,
                        f"trigger {index} ({event.type}) at {event.at:%Y-%m-%d %H:%M} UTC",
                        _jsonable(data),
                    )
                    break
    return list(requests.values())


def _fires(
    session: Session,
    location_id: str,
    workflow_id: str,
    trigger: Trigger,
    event: WorkflowEvent,
    facts_cache: dict[str, dict[str, Any]],
    now: datetime,
) -> bool:
    data = event.data
    if trigger.event in ("ScoreChanged", "TierChanged"):
        if (data.get("model") or "conversion") != trigger.model:
            return False
        previous = _previous_score(session, location_id, event.contact_id, trigger.model)
        before_p = data.get("previous", previous.probability if previous else None)
        before_t = data.get("previous_tier", previous.tier if previous else None)
        now_p = data.get("probability")
        if trigger.crossed_above is not None and not (
            now_p is not None
            and now_p >= trigger.crossed_above
            and (before_p is None or before_p < trigger.crossed_above)
        ):
            return False
        if trigger.crossed_below is not None and not (
            now_p is not None
            and now_p <= trigger.crossed_below
            and before_p is not None
            and before_p > trigger.crossed_below
        ):
            return False
        if trigger.became is not None and not (
            data.get("tier") == trigger.became and before_t != trigger.became
        ):
            return False
    if trigger.if_ is not None:
        if event.contact_id not in facts_cache:
            contact = session.get(Contact, (location_id, event.contact_id))
            facts_cache[event.contact_id] = lead_facts(session, contact, now=now) if contact else {}
        if not evaluate(trigger.if_, facts_cache[event.contact_id], event.fields()):
            return False
    counted = trigger.at_least is not None and trigger.within is not None
    if counted and _count(session, location_id, event, trigger.within) < (trigger.at_least or 0):
        return False
    if trigger.cooldown is not None:
        last = session.scalar(
            sa.select(sa.func.max(Enrollment.started_at)).where(
                Enrollment.location_id == location_id,
                Enrollment.contact_id == event.contact_id,
                Enrollment.workflow_id == workflow_id,
            )
        )
        if last is not None and now - last < trigger.cooldown:
            return False
    return True


def _previous_score(session: Session, location_id: str, contact_id: str, kind: str) -> Score | None:
    """The score before the latest one (the latest is the change being reported)."""
    rows = session.scalars(
        sa.select(Score)
        .where(Score.location_id == location_id, Score.contact_id == contact_id, Score.kind == kind)
        .order_by(Score.scored_at.desc(), Score.id.desc())
        .limit(2)
    ).all()
    return rows[1] if len(rows) == 2 else None


def _count(session: Session, location_id: str, event: WorkflowEvent, within: Any) -> int:
    start = event.at - within
    if event.type == "ListingInteraction":
        stmt = sa.select(sa.func.count()).where(
            ListingInteraction.location_id == location_id,
            ListingInteraction.contact_id == event.contact_id,
            ListingInteraction.at > start,
            ListingInteraction.at <= event.at,
        )
        if event.data.get("kind"):
            stmt = stmt.where(ListingInteraction.kind == event.data["kind"])
        return int(session.scalar(stmt) or 0)
    stmt = sa.select(sa.func.count()).where(
        Event.location_id == location_id,
        Event.contact_id == event.contact_id,
        Event.type == event.type,
        Event.occurred_at > start,
        Event.occurred_at <= event.at,
    )
    return int(session.scalar(stmt) or 0)


def evaluate_schedules(session: Session, location_id: str, *, now: datetime) -> list[EnrollmentRequest]:
    """NoInboundReply triggers: leads who have not written for `no_inbound_for` (or ever, since
    they were added that long ago)."""
    requests: list[EnrollmentRequest] = []
    last_inbound = (
        sa.select(Message.contact_id, sa.func.max(Message.occurred_at).label("last"))
        .where(Message.location_id == location_id, Message.direction == "inbound")
        .group_by(Message.contact_id)
        .subquery()
    )
    for workflow in active_definitions(session, location_id):
        for index, trigger in enumerate(workflow.triggers):
            if trigger.event != "NoInboundReply" or trigger.no_inbound_for is None:
                continue
            cutoff = now - trigger.no_inbound_for
            contacts = session.scalars(
                sa.select(Contact)
                .outerjoin(last_inbound, last_inbound.c.contact_id == Contact.id)
                .where(
                    Contact.location_id == location_id,
                    Contact.deleted.is_(False),
                    sa.or_(
                        last_inbound.c.last < cutoff,
                        sa.and_(last_inbound.c.last.is_(None), Contact.date_added < cutoff),
                    ),
                )
            ).all()
            for contact in contacts:
                if trigger.if_ and not _safe_condition(session, contact, trigger.if_, now):
                    continue
                requests.append(
                    EnrollmentRequest(
                        location_id,
                        contact.id,
                        workflow.id,
                        index,
                        f"no inbound reply for {trigger.no_inbound_for}",
                        {"type": "NoInboundReply"},
                    )
                )
    return requests


def _safe_condition(session: Session, contact: Contact, expression: str, now: datetime) -> bool:
    try:
        return evaluate(expression, lead_facts(session, contact, now=now))
    except ConditionError as exc:
        _note_error(session, contact.location_id, contact.id, "", str(exc), now)
        return False


def start_enrollments(
    session: Session, requests: Iterable[EnrollmentRequest], *, now: datetime
) -> list[EnrollResult]:
    """Enroll each requested lead (re-entry rules apply); flushes, the caller commits."""
    return [
        enroll(
            session,
            location_id=r.location_id,
            contact_id=r.contact_id,
            workflow_id=r.workflow_id,
            now=now,
            reason=r.reason,
            trigger=r.data,
        )
        for r in requests
    ]


def _note_error(
    session: Session, location_id: str, contact_id: str, workflow_id: str, error: str, now: datetime
) -> None:
    record(
        session,
        location_id,
        contact_id,
        "workflow_enrollment_skipped",
        now=now,
        workflow_id=workflow_id,
        reason=f"trigger condition failed: {error}",
    )


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()}

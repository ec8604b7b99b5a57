"""A dry run in progress (hub.workflows.simulate): its private store, the GHL recorder, and the
timeline it writes down as the engine goes.

Entries come from the audit trail the engine writes (`collect`), plus a `waiting` entry where the
enrollment settles on a wait or goal step (`note_wait`): a real run audits no such moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.store.models import Activity, Enrollment
from hub.store.models.workflows import LIVE_ENROLLMENT_STATUSES
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.dry_run_ghl import DryRunGHL
from hub.workflows.steps import Goal, Wait
from hub.workflows.timeline import TimelineEntry, entry_for, fmt


@dataclass
class SimRun:
    sessions: sessionmaker[Session]
    ghl: DryRunGHL
    location_id: str
    contact_id: str
    definition: WorkflowDefinition
    zone: ZoneInfo
    entries: list[TimelineEntry] = field(default_factory=list)
    last_activity: int = 0
    last_wait: tuple[str, str] | None = None
    inputs: int = 0

    def live_enrollments(self) -> sa.ColumnElement[bool]:
        """The run's lead's enrollments that are still going (not completed, exited or failed)."""
        return sa.and_(
            Enrollment.location_id == self.location_id,
            Enrollment.contact_id == self.contact_id,
            Enrollment.status.in_(LIVE_ENROLLMENT_STATUSES),
        )


def collect(run: SimRun) -> None:
    """Turn the audit items written since the last look into timeline entries."""
    with run.sessions() as session:
        items = session.scalars(
            sa.select(Activity).where(Activity.id > run.last_activity).order_by(Activity.id)
        ).all()
    calls = {call.answer_id: call for call in run.ghl.calls if call.answer_id}
    for item in items:
        run.last_activity = item.id
        entry = entry_for(item.kind, dict(item.payload), calls, run.zone)
        if entry is not None:
            run.entries.append(entry)


def note_wait(run: SimRun, now: datetime) -> None:
    """A `waiting` entry when the enrollment settles on a wait or goal step (sends say their own)."""
    with run.sessions() as session:
        enrollment = session.scalars(
            sa.select(Enrollment).where(run.live_enrollments(), Enrollment.workflow_id == run.definition.id)
        ).first()
        if enrollment is None or not enrollment.current_step_id:
            return
        pending = enrollment.context.get("wait")
        step_id = enrollment.current_step_id
        if not isinstance(pending, dict) or pending.get("step") != step_id:
            return
        key = (step_id, str(pending.get("until")))
        if key == run.last_wait:
            return
        run.last_wait = key
        until = datetime.fromisoformat(pending["until"]) if pending.get("until") else None
        step = run.definition.step(step_id)
        if isinstance(step, Wait) and step.for_event is not None:
            after = step.on_timeout or run.definition.following(step_id)
            summary = f"waiting for {step.for_event.event} until {fmt(until, run.zone)} (else {after})"
        elif isinstance(step, Goal):
            summary = f"waiting for the goal event {step.event}"
        else:
            summary = f"waiting until {fmt(until, run.zone)}"
        run.entries.append(TimelineEntry(now, "waiting", summary, step_id=step_id, until=until))

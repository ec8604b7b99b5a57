"""Workflow versions and enrollments in the store: publish, enroll, exit, hold, resume.

Versions are immutable. Publishing changed YAML creates version N+1 and makes it the one new
enrollments start on; every enrollment stays PINNED to the version it started with, so editing a
live workflow never changes what an in-flight lead gets (market.md complaint 5). Moving in-flight
leads to a new version is an explicit, audited operation (hub.workflows.migration).

An enrollment's `context` holds: `visits` (how many times it entered each step: the send ledger's
attempt key, so a loop may send again but a retry never does), `trigger` (the event that started
it), `wait` (the pending wait), `goals_reached`, `retries` and `takeover_cleared_at`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.errors import WorkflowError
from hub.sending.audit import record
from hub.store.models import Contact, Enrollment, Workflow
from hub.store.models.workflows import LIVE_ENROLLMENT_STATUSES
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.loader import LoadedWorkflow

_DEFINITIONS: dict[tuple[str, int, str], WorkflowDefinition] = {}


def publish_workflow(session: Session, loaded: LoadedWorkflow, *, now: datetime) -> Workflow:
    """Store a workflow version (a no-op when the YAML is unchanged) and make it the active one."""
    definition = loaded.definition
    latest = latest_version(session, definition.id)
    if latest is not None and latest.checksum == loaded.checksum:
        return latest
    version = latest.version + 1 if latest is not None else 1
    if definition.version is not None:
        if latest is not None and definition.version <= latest.version:
            raise WorkflowError(
                f"workflow {definition.id!r} version {definition.version} is already stored with other "
                f"content; set `version: {latest.version + 1}` (or remove `version` to number it "
                "automatically)"
            )
        version = definition.version
    session.execute(sa.update(Workflow).where(Workflow.id == definition.id).values(active=False))
    row = Workflow(
        id=definition.id,
        version=version,
        definition=definition.to_json(),
        source_yaml=loaded.source_yaml,
        checksum=loaded.checksum,
        active=True,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def latest_version(session: Session, workflow_id: str) -> Workflow | None:
    return session.scalars(
        sa.select(Workflow).where(Workflow.id == workflow_id).order_by(Workflow.version.desc()).limit(1)
    ).first()


def active_version(session: Session, workflow_id: str) -> Workflow | None:
    return session.scalars(
        sa.select(Workflow).where(Workflow.id == workflow_id, Workflow.active.is_(True)).limit(1)
    ).first()


def deactivate_workflow(session: Session, workflow_id: str) -> None:
    """No new enrollments; in-flight ones finish on their pinned version."""
    session.execute(sa.update(Workflow).where(Workflow.id == workflow_id).values(active=False))


def definition_of(row: Workflow) -> WorkflowDefinition:
    """The parsed definition of a stored version (cached: versions never change)."""
    key = (row.id, row.version, row.checksum)
    if key not in _DEFINITIONS:
        _DEFINITIONS[key] = WorkflowDefinition.model_validate(row.definition)
    return _DEFINITIONS[key]


def pinned_definition(session: Session, enrollment: Enrollment) -> WorkflowDefinition:
    row = session.get(Workflow, (enrollment.workflow_id, enrollment.workflow_version))
    if row is None:
        raise WorkflowError(
            f"enrollment {enrollment.id} is pinned to {enrollment.workflow_id} "
            f"v{enrollment.workflow_version}, which is not in the store"
        )
    return definition_of(row)


@dataclass(frozen=True, slots=True)
class EnrollResult:
    enrollment: Enrollment | None
    skipped: str | None = None


def live_enrollments(session: Session, location_id: str, contact_id: str) -> list[Enrollment]:
    return list(
        session.scalars(
            sa.select(Enrollment)
            .where(
                Enrollment.location_id == location_id,
                Enrollment.contact_id == contact_id,
                Enrollment.status.in_(LIVE_ENROLLMENT_STATUSES),
            )
            .order_by(Enrollment.id)
        )
    )


def enroll(
    session: Session,
    *,
    location_id: str,
    contact_id: str,
    workflow_id: str,
    now: datetime,
    reason: str,
    trigger: dict[str, Any] | None = None,
) -> EnrollResult:
    """Start `workflow_id`'s active version for a contact, unless its re-entry rules say no."""
    row = active_version(session, workflow_id)
    if row is None:
        return _skip(session, location_id, contact_id, workflow_id, "the workflow has no active version", now)
    definition = definition_of(row)
    if not definition.applies_to(location_id):
        return _skip(session, location_id, contact_id, workflow_id, "the workflow does not run here", now)
    if session.get(Contact, (location_id, contact_id)) is None:
        return EnrollResult(None, f"contact {contact_id} is not in the store")
    previous = session.scalars(
        sa.select(Enrollment)
        .where(
            Enrollment.location_id == location_id,
            Enrollment.contact_id == contact_id,
            Enrollment.workflow_id == workflow_id,
        )
        .order_by(Enrollment.started_at.desc())
    ).all()
    live = [e for e in previous if e.status in LIVE_ENROLLMENT_STATUSES]
    re_entry = definition.enrollment.re_entry
    why = None
    if live:
        why = f"already enrolled (enrollment {live[0].id})"
    elif previous and not re_entry.allowed:
        why = "went through this workflow before and re-entry is not allowed"
    elif previous and re_entry.cooldown and now - previous[0].started_at < re_entry.cooldown:
        why = f"re-entry cooldown: last started {previous[0].started_at:%Y-%m-%d %H:%M} UTC"
    if why is not None:
        return _skip(session, location_id, contact_id, workflow_id, why, now)
    first = definition.steps[0].id
    values = {
        "location_id": location_id,
        "contact_id": contact_id,
        "workflow_id": workflow_id,
        "workflow_version": row.version,
        "status": "active",
        "current_step_id": first,
        "next_run_at": now,
        "variants": {},
        "started_at": now,
        "context": {"visits": {first: 1}, "trigger": trigger or {}},
    }
    # ON CONFLICT on the partial unique index: another processor may enroll the same contact at the
    # same moment (duplicate deliveries); one insert wins, the other is a visible skip.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Enrollment.__table__)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["location_id", "contact_id", "workflow_id"],
            # Literal SQL, not bound parameters: PostgreSQL must match it to the partial index's
            # predicate, which it cannot do for a server-side prepared statement's placeholders.
            index_where=sa.text(f"status IN {LIVE_ENROLLMENT_STATUSES!r}"),
        )
        .returning(Enrollment.__table__.c.id)
    )
    new_id = session.execute(statement).scalar()
    if new_id is None:
        return _skip(session, location_id, contact_id, workflow_id, "already enrolled (concurrently)", now)
    enrollment = session.get(Enrollment, new_id)
    assert enrollment is not None
    record(
        session,
        location_id,
        contact_id,
        "workflow_enrolled",
        now=now,
        enrollment_id=enrollment.id,
        workflow_id=workflow_id,
        workflow_version=row.version,
        reason=reason,
    )
    return EnrollResult(enrollment)


def _skip(
    session: Session, location_id: str, contact_id: str, workflow_id: str, why: str, now: datetime
) -> EnrollResult:
    record(
        session,
        location_id,
        contact_id,
        "workflow_enrollment_skipped",
        now=now,
        workflow_id=workflow_id,
        reason=why,
    )
    return EnrollResult(None, why)


def finish(session: Session, enrollment: Enrollment, status: str, reason: str, *, now: datetime) -> None:
    """End an enrollment (completed / exited / failed) with its reason, and audit it."""
    if enrollment.status not in LIVE_ENROLLMENT_STATUSES:
        return
    enrollment.status, enrollment.exit_reason, enrollment.ended_at = status, reason, now
    enrollment.next_run_at, enrollment.claimed_by, enrollment.claim_expires_at = None, None, None
    record(
        session,
        enrollment.location_id,
        enrollment.contact_id,
        f"workflow_{status}",
        now=now,
        enrollment_id=enrollment.id,
        workflow_id=enrollment.workflow_id,
        step_id=enrollment.current_step_id,
        reason=reason,
    )


def hold(session: Session, enrollment: Enrollment, reason: str, *, now: datetime) -> None:
    """Put an enrollment on hold for an agent (guard 7); only `resume_enrollment` restarts it."""
    if enrollment.status not in ("active", "waiting"):
        return
    enrollment.status, enrollment.next_run_at, enrollment.exit_reason = "on_hold", None, reason
    record(
        session,
        enrollment.location_id,
        enrollment.contact_id,
        "workflow_on_hold",
        now=now,
        enrollment_id=enrollment.id,
        workflow_id=enrollment.workflow_id,
        reason=reason,
    )


def resume_enrollment(session: Session, enrollment_id: int, *, now: datetime, by: str) -> Enrollment:
    """An agent hands the lead back to automation: it continues where it stopped, and the takeover
    guard counts human messages only from now on."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.status != "on_hold":
        state = "does not exist" if enrollment is None else f"is {enrollment.status}"
        raise WorkflowError(f"enrollment {enrollment_id} {state}; only an on-hold enrollment can be resumed")
    enrollment.status, enrollment.next_run_at, enrollment.exit_reason = "active", now, None
    enrollment.context = {**enrollment.context, "takeover_cleared_at": now.isoformat()}
    record(
        session,
        enrollment.location_id,
        enrollment.contact_id,
        "workflow_resumed",
        now=now,
        enrollment_id=enrollment.id,
        by=by,
    )
    return enrollment

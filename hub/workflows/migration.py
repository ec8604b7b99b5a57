"""Moving in-flight enrollments to a newer workflow version: opt-in, explicit, never a silent skip.

The rule (docs/workflows.md, "Editing a live workflow"):
1. By default nothing moves: enrollments finish on the version they started with.
2. A migration names the versions and maps EVERY step an enrollment to migrate is currently at to
   a step of the new version (`step_map`); a missing or dangling mapping, or a send of uncertain
   outcome at the current step, refuses the whole migration and changes nothing.
3. A migrated lead continues AT the mapped step; steps of the new version that come before it are
   not run for that lead. They are listed per enrollment in the report and in the audit trail, so
   "the new first text never reached existing leads" is visible, not a surprise.
4. A pending wait keeps its timer; visit counts move with the step, so the send ledger still
   recognises a step that was already sent.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.errors import WorkflowError
from hub.sending.audit import record
from hub.store.models import Enrollment, SendLedgerEntry, Workflow
from hub.store.models.workflows import LIVE_ENROLLMENT_STATUSES
from hub.workflows.enrollment import definition_of
from hub.workflows.steps import END


@dataclass(frozen=True, slots=True)
class MigratedEnrollment:
    enrollment_id: int
    from_step: str | None
    to_step: str
    not_run: tuple[str, ...]  # steps of the new version before `to_step` this lead will not get


@dataclass(slots=True)
class MigrationReport:
    workflow_id: str
    from_version: int
    to_version: int
    migrated: list[MigratedEnrollment] = field(default_factory=list)


def migrate_enrollments(
    session: Session,
    workflow_id: str,
    *,
    from_version: int,
    to_version: int,
    step_map: Mapping[str, str],
    now: datetime,
    enrollment_ids: Collection[int] | None = None,
) -> MigrationReport:
    """Move the live enrollments of `from_version` (or just `enrollment_ids`) to `to_version`."""
    target_row = session.get(Workflow, (workflow_id, to_version))
    if target_row is None:
        raise WorkflowError(f"workflow {workflow_id!r} has no version {to_version}; publish it first")
    target = definition_of(target_row)
    stmt = sa.select(Enrollment).where(
        Enrollment.workflow_id == workflow_id,
        Enrollment.workflow_version == from_version,
        Enrollment.status.in_(LIVE_ENROLLMENT_STATUSES),
    )
    if enrollment_ids is not None:
        stmt = stmt.where(Enrollment.id.in_(list(enrollment_ids)))
    enrollments = list(session.scalars(stmt.order_by(Enrollment.id)))
    problems = _problems(session, enrollments, step_map, target.has_step)
    if problems:
        raise WorkflowError(
            f"migration of {workflow_id} v{from_version} -> v{to_version} refused, nothing changed:\n  "
            + "\n  ".join(problems)
        )
    order = [step.id for step in target.steps]
    report = MigrationReport(workflow_id, from_version, to_version)
    for enrollment in enrollments:
        current = enrollment.current_step_id or ""
        mapped = step_map[current]
        not_run = tuple(order[: order.index(mapped)]) if mapped != END else ()
        context = dict(enrollment.context)
        visits = dict(context.get("visits", {}))
        if current in visits:
            visits[mapped] = visits.pop(current)
        context["visits"] = visits
        wait = context.get("wait")
        if isinstance(wait, dict) and wait.get("step") == current:
            context["wait"] = {**wait, "step": mapped}
        enrollment.workflow_version, enrollment.current_step_id, enrollment.context = (
            to_version,
            mapped,
            context,
        )
        report.migrated.append(MigratedEnrollment(enrollment.id, current, mapped, not_run))
        record(
            session,
            enrollment.location_id,
            enrollment.contact_id,
            "workflow_migrated",
            now=now,
            enrollment_id=enrollment.id,
            workflow_id=workflow_id,
            from_version=from_version,
            to_version=to_version,
            from_step=current,
            to_step=mapped,
            not_run=list(not_run),
        )
    session.flush()
    return report


def _problems(
    session: Session,
    enrollments: list[Enrollment],
    step_map: Mapping[str, str],
    has_step: Callable[[str], bool],
) -> list[str]:
    problems: list[str] = []
    for enrollment in enrollments:
        current = enrollment.current_step_id or ""
        mapped = step_map.get(current)
        if mapped is None:
            problems.append(f"enrollment {enrollment.id} is at step {current!r}, which step_map does not map")
        elif mapped != END and not has_step(mapped):
            problems.append(f"step_map sends {current!r} to {mapped!r}, which the new version does not have")
        visit = str(enrollment.context.get("visits", {}).get(current, 1))
        in_flight = session.scalar(
            sa.select(sa.func.count()).where(
                SendLedgerEntry.enrollment_id == enrollment.id,
                SendLedgerEntry.step_id == current,
                SendLedgerEntry.attempt_key == visit,
                SendLedgerEntry.status.in_(("reserved", "unknown")),
            )
        )
        if in_flight:
            problems.append(
                f"enrollment {enrollment.id} has a send of uncertain outcome at {current!r}; "
                "reconcile it first"
            )
    return problems

"""Workflow performance: enrollments, sends by outcome, replies, and each A/B arm's results.

An enrollment "replied" when its lead sent an inbound message at or after the enrollment started.
A/B arms come from `enrollments.variants` (ab_split step id -> arm), which the engine records the
first time a lead passes the split, so an arm's numbers cover exactly the leads that got it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.store.models import Enrollment, Message, SendLedgerEntry, Workflow
from hub.store.models.ledger import SEND_STATUSES
from hub.store.models.workflows import LIVE_ENROLLMENT_STATUSES


class ArmStats(BaseModel):
    step_id: str
    arm: str
    enrolled: int
    sent: int  # ledger entries with status sent
    replied: int
    reply_rate: float | None


class WorkflowStats(BaseModel):
    workflow_id: str
    name: str
    enrolled: int
    live: int  # active, waiting or on hold
    completed: int
    exited: int
    failed: int
    sends: dict[str, int]  # ledger status -> entries, every status present
    replied: int
    reply_rate: float | None
    arms: list[ArmStats]


@dataclass
class _Tally:
    enrolled: int = 0
    sent: int = 0
    replied: int = 0
    statuses: Counter[str] = field(default_factory=Counter)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _names(session: Session, workflow_ids: set[str]) -> dict[str, str]:
    """The display name of each workflow's newest version."""
    rows = session.execute(
        sa.select(Workflow.id, Workflow.definition)
        .where(Workflow.id.in_(sorted(workflow_ids)))
        .order_by(Workflow.id, Workflow.version)
    )
    return {workflow_id: str(definition.get("name") or workflow_id) for workflow_id, definition in rows}


def workflow_performance(session: Session, location_id: str) -> list[WorkflowStats]:
    """One row per workflow the location's leads were enrolled in, most enrollments first."""
    replied = (
        sa.exists()
        .where(
            Message.location_id == Enrollment.location_id,
            Message.contact_id == Enrollment.contact_id,
            Message.direction == "inbound",
            Message.occurred_at >= Enrollment.started_at,
        )
        .label("replied")
    )
    enrollments = session.execute(
        sa.select(
            Enrollment.id, Enrollment.workflow_id, Enrollment.status, Enrollment.variants, replied
        ).where(Enrollment.location_id == location_id)
    ).all()
    ledger = session.execute(
        sa.select(SendLedgerEntry.enrollment_id, SendLedgerEntry.status, sa.func.count())
        .where(SendLedgerEntry.location_id == location_id)
        .group_by(SendLedgerEntry.enrollment_id, SendLedgerEntry.status)
    ).all()
    sends: dict[int, Counter[str]] = defaultdict(Counter)
    for enrollment_id, status, count in ledger:
        sends[enrollment_id][status] += count

    workflows: dict[str, _Tally] = defaultdict(_Tally)
    workflow_sends: dict[str, Counter[str]] = defaultdict(Counter)
    arms: dict[tuple[str, str, str], _Tally] = defaultdict(_Tally)
    for enrollment_id, workflow_id, status, variants, did_reply in enrollments:
        sent = sends[enrollment_id]["sent"]
        tallies = [workflows[workflow_id]]
        tallies += [arms[(workflow_id, step_id, arm)] for step_id, arm in sorted((variants or {}).items())]
        for tally in tallies:
            tally.enrolled += 1
            tally.sent += sent
            tally.replied += bool(did_reply)
        workflows[workflow_id].statuses[status] += 1
        workflow_sends[workflow_id].update(sends[enrollment_id])

    names = _names(session, set(workflows))
    result = []
    for workflow_id, tally in sorted(workflows.items(), key=lambda item: (-item[1].enrolled, item[0])):
        result.append(
            WorkflowStats(
                workflow_id=workflow_id,
                name=names.get(workflow_id, workflow_id),
                enrolled=tally.enrolled,
                live=sum(tally.statuses[s] for s in LIVE_ENROLLMENT_STATUSES),
                completed=tally.statuses["completed"],
                exited=tally.statuses["exited"],
                failed=tally.statuses["failed"],
                sends={status: workflow_sends[workflow_id][status] for status in SEND_STATUSES},
                replied=tally.replied,
                reply_rate=_rate(tally.replied, tally.enrolled),
                arms=[
                    ArmStats(
                        step_id=step_id,
                        arm=arm,
                        enrolled=arm_tally.enrolled,
                        sent=arm_tally.sent,
                        replied=arm_tally.replied,
                        reply_rate=_rate(arm_tally.replied, arm_tally.enrolled),
                    )
                    for (wf, step_id, arm), arm_tally in sorted(arms.items())
                    if wf == workflow_id
                ],
            )
        )
    return result

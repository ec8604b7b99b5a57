"""Runs one enrollment's due steps: step after step until it waits, ends, or hands over to a human.

Every transition is committed before the next step runs, so a crash loses at most the step in
progress, and the send ledger makes re-running that step safe. Entering a step counts a visit
(`context["visits"]`): the ledger key of a send includes it, so a retry of the same visit never sends
twice while a deliberate loop back to a step may.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hub.compliance.policy import parse_policy
from hub.errors import ConfigError
from hub.sending.audit import record
from hub.store.models import Contact, Enrollment, Location
from hub.workflows.actions import run_enroll, run_exit, run_move_stage, run_notify, run_tags
from hub.workflows.batch_facts import BatchFacts
from hub.workflows.enrollment import finish, hold, pinned_definition
from hub.workflows.execution import EngineDeps, Go, Hold, Sleep, StepContext, Transition
from hub.workflows.flow_control import run_ab_split, run_branch, run_goal, run_wait
from hub.workflows.listing_alert import run_listing_alert
from hub.workflows.messaging import run_call_task, run_message
from hub.workflows.steps import (
    END,
    AbSplit,
    AddTag,
    Branch,
    CreateCallTask,
    Enroll,
    ExitWorkflow,
    Goal,
    MoveStage,
    NotifyAgent,
    RemoveTag,
    SendEmail,
    SendListingAlert,
    SendSms,
    Wait,
    Webhook,
)
from hub.workflows.webhook_call import run_webhook

# Steps one run may take without waiting; more means a loop with no wait in it.
MAX_STEPS_PER_RUN = 50
RETRY_CONFIG = timedelta(minutes=15)
HANDLERS: dict[type[Any], Callable[[StepContext, Any], Transition]] = {
    SendSms: run_message,
    SendEmail: run_message,
    SendListingAlert: run_listing_alert,
    CreateCallTask: run_call_task,
    Wait: run_wait,
    Branch: run_branch,
    Goal: run_goal,
    AbSplit: run_ab_split,
    AddTag: run_tags,
    RemoveTag: run_tags,
    MoveStage: run_move_stage,
    NotifyAgent: run_notify,
    Webhook: run_webhook,
    Enroll: run_enroll,
    ExitWorkflow: run_exit,
}


@dataclass(slots=True)
class RunResult:
    steps: int = 0
    status: str = ""
    path: list[str] = field(default_factory=list)  # step ids run, in order


def enter(enrollment: Enrollment, step_id: str, *, now: datetime) -> None:
    """Make `step_id` the current step (a new visit of it), due now."""
    context = dict(enrollment.context)
    visits = dict(context.get("visits", {}))
    visits[step_id] = int(visits.get(step_id, 0)) + 1
    context["visits"] = visits
    context.pop("wait", None)
    enrollment.context = context
    enrollment.current_step_id, enrollment.next_run_at, enrollment.status = step_id, now, "active"


def run_enrollment(
    session: Session,
    deps: EngineDeps,
    enrollment: Enrollment,
    *,
    now: datetime,
    facts: BatchFacts | None = None,
    release_for: str | None = None,
    commit_last: bool = True,
) -> RunResult:
    """Run `enrollment` (claimed by the caller) until it waits, ends or is held.

    `facts`: the batch's bulk read (the dispatcher's); `release_for`: give that worker's claim back
    in the run's last commit instead of a commit of its own; `commit_last=False`: leave that last
    commit (the final transition, a send's settlement) to the caller."""
    result = RunResult()
    contact = session.get(Contact, (enrollment.location_id, enrollment.contact_id))
    location = session.get(Location, enrollment.location_id)
    if contact is None or contact.deleted or location is None:
        finish(session, enrollment, "exited", "the contact was deleted", now=now)
        session.commit()
        result.status = enrollment.status
        return result
    definition = (facts.definition(enrollment) if facts else None) or pinned_definition(session, enrollment)
    try:
        policy = parse_policy(location.id, location.compliance)
    except ConfigError as exc:
        # A broken location setting stops every send there; keep the lead waiting, visibly.
        enrollment.next_run_at = now + RETRY_CONFIG
        record(
            session,
            location.id,
            contact.id,
            "workflow_step",
            now=now,
            enrollment_id=enrollment.id,
            step_id=enrollment.current_step_id,
            outcome="blocked",
            reason=str(exc),
        )
        session.commit()
        result.status = enrollment.status
        return result
    ctx = StepContext(session, deps, enrollment, definition, contact, location, policy, now, facts)
    for _ in range(MAX_STEPS_PER_RUN):
        step_id = enrollment.current_step_id or END
        if step_id == END:
            finish(session, enrollment, "completed", "reached the end", now=now)
            break
        if not definition.has_step(step_id):
            finish(
                session,
                enrollment,
                "failed",
                f"step {step_id!r} is not in version {enrollment.workflow_version}",
                now=now,
            )
            break
        step = definition.step(step_id)
        transition = HANDLERS[type(step)](ctx, step)
        result.steps += 1
        result.path.append(step_id)
        ctx._facts = None  # tags / stage may have changed
        if not _apply(ctx, step_id, transition):
            break
        session.commit()
    else:
        finish(
            session,
            enrollment,
            "failed",
            f"ran {MAX_STEPS_PER_RUN} steps without waiting: a loop with no wait",
            now=now,
        )
    if release_for is not None and enrollment.claimed_by == release_for:
        enrollment.claimed_by, enrollment.claim_expires_at = None, None
    if commit_last:
        session.commit()
    result.status = enrollment.status
    return result


def _apply(ctx: StepContext, step_id: str, transition: Transition) -> bool:
    """Apply a step's transition; True when the enrollment should run its next step now."""
    enrollment, now, session = ctx.enrollment, ctx.now, ctx.session
    retries = dict(enrollment.context.get("retries", {}))
    if isinstance(transition, Go):
        retries.pop(step_id, None)
        enrollment.context = {**enrollment.context, "retries": retries}
        if transition.step == END:
            finish(session, enrollment, "completed", "reached the end", now=now)
            return False
        enter(enrollment, transition.step, now=now)
        return True
    if isinstance(transition, Sleep):
        if transition.transient:
            retries[step_id] = int(retries.get(step_id, 0)) + 1
            enrollment.context = {**enrollment.context, "retries": retries}
            if retries[step_id] > ctx.deps.max_retries:
                reason = f"step {step_id} failed {retries[step_id]} times in a row: {transition.reason}"
                finish(session, enrollment, "failed", reason, now=now)
                return False
        enrollment.next_run_at = transition.until
        enrollment.status = "waiting" if transition.waiting_for_event else "active"
        return False
    if isinstance(transition, Hold):
        hold(session, enrollment, transition.reason, now=now)
        return False
    finish(session, enrollment, transition.status, transition.reason, now=now)
    return False

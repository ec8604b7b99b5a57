"""CRM steps: add_tag, remove_tag, move_stage, notify_agent, enroll, exit.

Tags and stage moves are idempotent in GHL (replaying them changes nothing), so they are retried
on transient failures. A note (notify_agent) is a create: it goes through the send ledger like a
message, so a retry never posts it twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import sqlalchemy as sa

from hub.errors import GHLError, GHLNotFoundError, GHLOutcomeUnknownError, GHLValidationError
from hub.sending.audit import record
from hub.sending.ledger import LedgerKey, reserve, settle
from hub.store.models import Enrollment, Opportunity, Pipeline, PipelineStage
from hub.store.models.workflows import LIVE_ENROLLMENT_STATUSES
from hub.workflows.enrollment import enroll, finish
from hub.workflows.execution import Finish, Go, Sleep, StepContext, Transition
from hub.workflows.steps import LEAD_AGENT, AddTag, Enroll, ExitWorkflow, MoveStage, NotifyAgent, RemoveTag
from hub.workflows.templates import TemplateRenderError, render

T = TypeVar("T")
RETRY_AFTER = timedelta(minutes=2)


def _ghl(ctx: StepContext, step_id: str, call: Callable[[], T]) -> T | Transition:
    """Run an idempotent GHL call; map its failure to a transition."""
    try:
        return call()
    except GHLNotFoundError as exc:
        return Finish("exited", f"step {step_id}: GHL no longer has the contact or record ({exc})")
    except GHLValidationError as exc:
        return Finish("failed", f"step {step_id}: GHL refused the request: {exc}")
    except GHLError as exc:
        until = ctx.now + RETRY_AFTER
        return Sleep(until, transient=True, reason=f"GHL unavailable ({type(exc).__name__})")


def _done(ctx: StepContext, step_id: str, action: str, **detail: object) -> Go:
    record(
        ctx.session,
        ctx.location.id,
        ctx.contact.id,
        "workflow_step",
        now=ctx.now,
        step_id=step_id,
        enrollment_id=ctx.enrollment.id,
        action=action,
        **detail,
    )
    return Go(ctx.definition.following(step_id))


def run_tags(ctx: StepContext, step: AddTag | RemoveTag) -> Transition:
    adding = isinstance(step, AddTag)
    client, location_id, contact_id = ctx.deps.client, ctx.location.id, ctx.contact.id
    if adding:
        result = _ghl(ctx, step.id, lambda: client.add_tags(location_id, contact_id, step.tags))
    else:
        result = _ghl(ctx, step.id, lambda: client.remove_tags(location_id, contact_id, step.tags))
    if isinstance(result, Go | Sleep | Finish):
        return result
    return _done(ctx, step.id, "add_tag" if adding else "remove_tag", tags=list(step.tags))


def run_move_stage(ctx: StepContext, step: MoveStage) -> Transition:
    session, location_id = ctx.session, ctx.location.id
    pipeline = session.scalars(
        sa.select(Pipeline).where(
            Pipeline.location_id == location_id,
            sa.or_(Pipeline.name == step.pipeline, Pipeline.id == step.pipeline),
        )
    ).first()
    stage = None
    if pipeline is not None:
        stage = session.scalars(
            sa.select(PipelineStage).where(
                PipelineStage.location_id == location_id,
                PipelineStage.pipeline_id == pipeline.id,
                sa.or_(PipelineStage.name == step.stage, PipelineStage.id == step.stage),
            )
        ).first()
    if pipeline is None or stage is None:
        missing = f"pipeline {step.pipeline!r}" if pipeline is None else f"stage {step.stage!r}"
        return Finish("failed", f"step {step.id}: this location has no {missing} (sync pipelines from GHL)")
    opportunity = session.scalars(
        sa.select(Opportunity)
        .where(
            Opportunity.location_id == location_id,
            Opportunity.contact_id == ctx.contact.id,
            Opportunity.pipeline_id == pipeline.id,
            Opportunity.status == "open",
        )
        .order_by(Opportunity.updated_at.desc())
    ).first()
    if opportunity is None:
        return _done(
            ctx, step.id, "move_stage", skipped=f"the lead has no open opportunity in {pipeline.name}"
        )
    opportunity_id = opportunity.id
    result = _ghl(
        ctx,
        step.id,
        lambda: ctx.deps.client.update_opportunity(
            location_id, opportunity_id, pipeline_id=pipeline.id, pipeline_stage_id=stage.id
        ),
    )
    if isinstance(result, Go | Sleep | Finish):
        return result
    return _done(ctx, step.id, "move_stage", opportunity_id=opportunity_id, stage=stage.name)


def run_notify(ctx: StepContext, step: NotifyAgent) -> Transition:
    try:
        message = render(step.message, ctx.variables)
    except TemplateRenderError as exc:
        return Finish("failed", f"step {step.id}: {exc}")
    user = ctx.contact.assigned_user_id if step.user == LEAD_AGENT else step.user
    key = LedgerKey(ctx.enrollment.id, step.id, "note", ctx.visit)
    reservation = reserve(
        ctx.session,
        key,
        location_id=ctx.location.id,
        contact_id=ctx.contact.id,
        summary={"type": "note", "user": user},
        now=ctx.now,
    )
    if not reservation.granted:
        return Go(ctx.definition.following(step.id))
    ctx.session.commit()
    entry_id = reservation.entry_id
    try:
        note = ctx.deps.client.create_note(ctx.location.id, ctx.contact.id, message, user_id=user)
    except GHLOutcomeUnknownError as exc:
        settle(ctx.session, entry_id, "unknown", now=ctx.now, reason=str(exc))
    except GHLError as exc:
        settle(ctx.session, entry_id, "deferred", now=ctx.now, reason=f"{type(exc).__name__}: {exc}")
        ctx.session.commit()
        until = ctx.now + RETRY_AFTER
        return Sleep(until, transient=True, reason="GHL unavailable for the note")
    else:
        settle(ctx.session, entry_id, "sent", now=ctx.now, ghl_message_id=note.id)
    record(
        ctx.session,
        ctx.location.id,
        ctx.contact.id,
        "agent_notified",
        now=ctx.now,
        user_id=user,
        message=message,
        step_id=step.id,
        enrollment_id=ctx.enrollment.id,
    )
    return Go(ctx.definition.following(step.id))


def run_enroll(ctx: StepContext, step: Enroll) -> Transition:
    result = enroll(
        ctx.session,
        location_id=ctx.location.id,
        contact_id=ctx.contact.id,
        workflow_id=step.workflow,
        now=ctx.now,
        reason=f"step {step.id} of {ctx.definition.id}",
    )
    return _done(ctx, step.id, "enroll", workflow=step.workflow, skipped=result.skipped)


def run_exit(ctx: StepContext, step: ExitWorkflow) -> Transition:
    others = ctx.session.scalars(
        sa.select(Enrollment).where(
            Enrollment.location_id == ctx.location.id,
            Enrollment.contact_id == ctx.contact.id,
            Enrollment.workflow_id == step.workflow,
            Enrollment.status.in_(LIVE_ENROLLMENT_STATUSES),
        )
    ).all()
    for other in others:
        finish(ctx.session, other, "exited", f"exited by step {step.id} of {ctx.definition.id}", now=ctx.now)
    return _done(ctx, step.id, "exit", workflow=step.workflow, exited=len(others))

"""The message steps: send_sms, send_email (with channel failover) and create_call_task.

Each renders its templates for the lead and hands the send to hub.sending.sender, which runs the
guards and the ledger. Failover: a step may carry content for the other channel; with
`enrollment.channels.failover` on, a channel-specific block (no phone, SMS DND, STOP, no consent,
GHL refusing the channel) moves on to the other channel. A takeover never fails over: it holds.
"""

from __future__ import annotations

from typing import TypeVar

from hub.compliance.decisions import Channel
from hub.compliance.guards import CallTaskContent, Content, EmailContent, SmsContent
from hub.sending.ledger import LedgerKey, maybe_sent_channels
from hub.sending.sender import SendRequest, send
from hub.workflows.execution import Finish, Go, Hold, Sleep, StepContext, Transition
from hub.workflows.steps import LEAD_AGENT, CreateCallTask, SendEmail, SendSms
from hub.workflows.templates import TemplateRenderError, render

C = TypeVar("C")  # a channel's content (listing alerts always have one)


def run_message(ctx: StepContext, step: SendSms | SendEmail) -> Transition:
    """Send the step's message on its channel (or, failing over, the other one)."""
    options: list[tuple[Channel, Content | None]] = []
    try:
        if isinstance(step, SendSms):
            options.append(("SMS", SmsContent(render(step.body, ctx.variables))))
            if step.fallback_email is not None:
                email = EmailContent(
                    render(step.fallback_email.subject, ctx.variables),
                    render(step.fallback_email.html, ctx.variables, html=True),
                )
                options.append(("Email", email))
        else:
            email = EmailContent(
                render(step.subject, ctx.variables), render(step.html, ctx.variables, html=True)
            )
            options.append(("Email", email))
            if step.fallback_sms is not None:
                options.append(("SMS", SmsContent(render(step.fallback_sms, ctx.variables))))
    except TemplateRenderError as exc:
        return Finish("failed", f"step {step.id}: {exc}")
    channels = ctx.definition.enrollment.channels
    if channels.prefer in ("SMS", "Email"):
        options.sort(key=lambda option: option[0] != channels.prefer)
    if not channels.failover:
        options = options[:1]
    return _try_channels(ctx, step.id, options)


def run_call_task(ctx: StepContext, step: CreateCallTask) -> Transition:
    """Create a call task for the lead's agent, due inside the lead's calling hours."""
    try:
        title = render(step.title, ctx.variables)
        body = render(step.body, ctx.variables) if step.body else None
    except TemplateRenderError as exc:
        return Finish("failed", f"step {step.id}: {exc}")
    assignee = ctx.contact.assigned_user_id if step.assign_to == LEAD_AGENT else step.assign_to
    content = CallTaskContent(title, body, ctx.now + step.due_in)
    return _try_channels(ctx, step.id, [("call_task", content)], assigned_to=assignee)


def _try_channels(
    ctx: StepContext,
    step_id: str,
    options: list[tuple[Channel, Content | None]],
    *,
    assigned_to: str | None = None,
) -> Transition:
    following = ctx.definition.following(step_id)
    if len(options) > 1:
        options = handled_first(ctx, step_id, options)
    for index, (channel, content) in enumerate(options):
        assert content is not None
        request = SendRequest(
            enrollment=ctx.enrollment,
            step_id=step_id,
            attempt=ctx.visit,
            channel=channel,
            content=content,
            limits=ctx.limits(),
            since=ctx.since,
            assigned_to=assigned_to,
        )
        outcome = send(
            ctx.session,
            ctx.deps.client,
            request,
            contact=ctx.contact,
            location=ctx.location,
            policy=ctx.policy,
            now=ctx.now,
            prefetched=ctx.prefetched,
            commit_outcome=False,  # the runner commits it with the step's transition
        )
        ctx.deps.tally[outcome.status] += 1
        more = index + 1 < len(options)
        if outcome.status in ("sent", "unknown", "duplicate"):
            return Go(following)
        if outcome.status == "deferred":
            return Sleep(outcome.until, transient=outcome.transient, reason=outcome.reason)
        if outcome.contact_gone:
            return Finish("exited", f"step {step_id}: {outcome.reason}")
        if outcome.guard == "takeover":
            return Hold(f"step {step_id}: {outcome.reason}")
        if outcome.failover_ok and more:
            ctx.session.commit()  # the next channel's fresh check may let other leads run (dispatch)
            continue
        if outcome.status == "failed":
            return Finish("failed", f"step {step_id} ({channel}): {outcome.reason}")
        return Go(following)  # suppressed: skipped, with its reason in the ledger and the audit
    return Go(following)


def handled_first(
    ctx: StepContext, step_id: str, options: list[tuple[Channel, C]]
) -> list[tuple[Channel, C]]:
    """A step visit delivers at most once, over all its channels: when a run of it already sent or
    may have sent on one channel (a worker died after failing over from a channel that was blocked
    then), that channel goes first, so the send path reports it as done and no other is tried."""
    keys = [LedgerKey(ctx.enrollment.id, step_id, channel, ctx.visit) for channel, _ in options]
    if ctx.prefetched is not None and not any(ctx.prefetched.may_have_slot(key) for key in keys):
        return options  # the batch read no ledger row for this visit (a new one is only ours)
    handled = maybe_sent_channels(ctx.session, ctx.enrollment.id, step_id, ctx.visit)
    return sorted(options, key=lambda option: option[0] not in handled)

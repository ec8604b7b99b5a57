"""The send_listing_alert step: a lead's new top matches, sent through the normal send path.

1. a retry of this step visit reuses the alert it reserved (minus listings gone off-market or
   rejected since, unless the send ledger says the message may already be out);
2. otherwise: weekly cap (alerts to this lead in the last 7 days, any workflow) → best matches
   not alerted before → reserve them (committed before GHL is called);
3. `hub.sending.sender.send` runs every guard and the ledger; its outcome settles the alert:
   sent / unknown / duplicate → recorded as alerted; deferred → kept for the retry;
   suppressed / failed → released (nothing was sent, the listings stay available).
"""

from __future__ import annotations

from hub.compliance.decisions import Channel
from hub.compliance.guards import Content, EmailContent, SmsContent
from hub.listings import alert_content
from hub.listings.alerts import (
    AlertListing,
    alert_candidates,
    alert_listings,
    alerts_in_window,
    ledger_says_sent,
    lock_contact,
    pending_alert,
    prune_alert,
    release_alert,
    reserve_alert,
    settle_alert,
    settle_orphans,
)
from hub.sending.audit import record
from hub.sending.ledger import LedgerKey, find
from hub.sending.sender import SendRequest, send
from hub.store.models import ListingAlert
from hub.workflows.execution import Finish, Go, Hold, Sleep, StepContext, Transition
from hub.workflows.messaging import handled_first
from hub.workflows.steps import SendListingAlert
from hub.workflows.templates import TemplateRenderError, render


def run_listing_alert(ctx: StepContext, step: SendListingAlert) -> Transition:
    session, location_id, contact_id = ctx.session, ctx.location.id, ctx.contact.id
    lock_contact(session, location_id, contact_id)
    settle_orphans(session, location_id, contact_id)
    alert = pending_alert(session, ctx.enrollment.id, step.id, ctx.visit)
    if alert is not None and alert.status != "reserved":
        return Go(ctx.definition.following(step.id))  # this visit's alert already went out
    if alert is not None and not ledger_says_sent(session, alert) and prune_alert(session, alert) == 0:
        release_alert(session, alert)
        return _skipped(ctx, step, "the listings chosen for this alert are no longer available")
    if alert is None:
        used = alerts_in_window(session, location_id, contact_id, now=ctx.now)
        if used >= step.max_per_week:
            return _skipped(
                ctx,
                step,
                f"weekly cap: {used} listing alert(s) in the last 7 days (max_per_week {step.max_per_week})",
            )
        picks = alert_candidates(
            session, location_id, contact_id, limit=step.max_listings, min_score=step.min_score
        )
        if not picks:
            return _skipped(ctx, step, "no new matching listings to alert")
        alert = reserve_alert(
            session,
            location_id=location_id,
            contact_id=contact_id,
            enrollment_id=ctx.enrollment.id,
            step_id=step.id,
            attempt=ctx.visit,
            picks=picks,
            now=ctx.now,
        )
        if alert is None:
            return _skipped(ctx, step, "another alert took these listings at the same moment")
    session.commit()  # the reservation is durable before anything can reach GHL
    try:
        options = _contents(ctx, step, alert_listings(session, alert))
    except TemplateRenderError as exc:
        release_alert(session, alert)
        return Finish("failed", f"step {step.id}: {exc}")
    return _send(ctx, step, alert, options)


def _contents(
    ctx: StepContext, step: SendListingAlert, listings: list[AlertListing]
) -> list[tuple[Channel, Content]]:
    intro = render(step.intro, ctx.variables) if step.intro else alert_content.DEFAULT_INTRO
    sms = SmsContent(alert_content.sms_body(listings, intro=intro, listing_url=step.listing_url))
    email = EmailContent(
        alert_content.email_subject(listings),
        alert_content.email_html(listings, intro=intro, listing_url=step.listing_url),
    )
    options: list[tuple[Channel, Content]] = [("SMS", sms), ("Email", email)]
    channels = ctx.definition.enrollment.channels
    first = channels.prefer if channels.prefer in ("SMS", "Email") else step.channel
    options.sort(key=lambda option: option[0] != first)
    return options if channels.failover else options[:1]


def _send(
    ctx: StepContext, step: SendListingAlert, alert: ListingAlert, options: list[tuple[Channel, Content]]
) -> Transition:
    session, following = ctx.session, ctx.definition.following(step.id)
    if len(options) > 1:  # a visit delivers at most once over all its channels (messaging.py)
        options = handled_first(ctx, step.id, options)
    for index, (channel, content) in enumerate(options):
        request = SendRequest(
            enrollment=ctx.enrollment,
            step_id=step.id,
            attempt=ctx.visit,
            channel=channel,
            content=content,
            limits=ctx.limits(),
            since=ctx.since,
        )
        outcome = send(
            session,
            ctx.deps.client,
            request,
            contact=ctx.contact,
            location=ctx.location,
            policy=ctx.policy,
            now=ctx.now,
        )
        ctx.deps.tally[outcome.status] += 1
        if outcome.status in ("sent", "unknown", "duplicate"):
            entry = find(session, LedgerKey(ctx.enrollment.id, step.id, channel, ctx.visit))
            status = (
                "unknown" if outcome.status == "unknown" or (entry and entry.status == "unknown") else "sent"
            )
            settle_alert(session, alert, status, channel=channel, now=ctx.now)
            listing_ids = [item.listing_id for item in alert_listings(session, alert)]
            _record(ctx, step, outcome="alerted", channel=channel, status=status, listing_ids=listing_ids)
            session.commit()
            return Go(following)
        if outcome.status == "deferred":
            return Sleep(outcome.until, transient=outcome.transient, reason=outcome.reason)
        more = index + 1 < len(options)
        if outcome.failover_ok and more and not outcome.contact_gone and outcome.guard != "takeover":
            continue
        release_alert(session, alert)
        session.commit()
        if outcome.contact_gone:
            return Finish("exited", f"step {step.id}: {outcome.reason}")
        if outcome.guard == "takeover":
            return Hold(f"step {step.id}: {outcome.reason}")
        if outcome.status == "failed":
            return Finish("failed", f"step {step.id} ({channel}): {outcome.reason}")
        return Go(following)  # suppressed: the reason is in the ledger and the audit trail
    return Go(following)


def _skipped(ctx: StepContext, step: SendListingAlert, reason: str) -> Go:
    _record(ctx, step, outcome="skipped", reason=reason)
    ctx.session.commit()
    return Go(ctx.definition.following(step.id))


def _record(ctx: StepContext, step: SendListingAlert, **detail: object) -> None:
    # A "workflow_step" item, so the alert decision shows in the contact's audit trail (guard 10).
    record(
        ctx.session,
        ctx.location.id,
        ctx.contact.id,
        "workflow_step",
        now=ctx.now,
        enrollment_id=ctx.enrollment.id,
        workflow_id=ctx.enrollment.workflow_id,
        step_id=step.id,
        action="send_listing_alert",
        **detail,
    )

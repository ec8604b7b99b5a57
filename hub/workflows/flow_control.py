"""The steps that only steer: wait, branch, goal, ab_split.

Waits are durable: the pending wait is stored on the enrollment (`context["wait"]`) with its end,
and `next_run_at` makes the dispatcher come back then, however long it is (market.md complaint 9:
waits lost or restarted). "Until a time of day" is in the lead's time zone; when the lead may be in
several zones, the latest of their times is used, so it is never early anywhere.
A/B arms are sticky per contact: the arm is a deterministic function of (workflow, step, contact),
so a lead gets the same arm on every visit, re-entry and version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.compliance.lead_timezone import LeadFacts, lead_zones
from hub.compliance.quiet_hours import WEEKDAYS
from hub.workflows.conditions import ConditionError, evaluate
from hub.workflows.execution import Finish, Go, Sleep, StepContext, Transition
from hub.workflows.steps import AbSplit, Branch, Goal, Variant, Wait


def run_wait(ctx: StepContext, step: Wait) -> Transition:
    """Start the wait, or (when the timer fired) finish it."""
    pending = ctx.enrollment.context.get("wait")
    if isinstance(pending, dict) and pending.get("step") == step.id:
        until = datetime.fromisoformat(pending["until"]) if pending.get("until") else None
        if until is not None and ctx.now < until:
            return Sleep(until, waiting_for_event=step.for_event is not None)
        if step.for_event is not None:
            return Go(step.on_timeout or ctx.definition.following(step.id))
        return Go(ctx.definition.following(step.id))
    if step.duration is not None:
        until = ctx.now + step.duration
    elif step.until_time is not None:
        until = next_local_time(ctx, step.until_time, step.on_days)
    else:
        assert step.timeout is not None
        until = ctx.now + step.timeout
    kind = "event" if step.for_event is not None else "timer"
    ctx.enrollment.context = {
        **ctx.enrollment.context,
        "wait": {"step": step.id, "kind": kind, "until": until.isoformat()},
    }
    return Sleep(until, waiting_for_event=step.for_event is not None)


def next_local_time(ctx: StepContext, moment: time, days: Sequence[str] | None) -> datetime:
    """The next `moment` (on one of `days`) in the lead's zone(s), strictly after now."""
    contact = ctx.contact
    facts = LeadFacts(contact.timezone, contact.state, contact.postal_code, contact.phone)
    zones = lead_zones(facts, ctx.location.timezone).zones
    allowed = {WEEKDAYS.index(d) for d in days} if days else set(range(7))
    return max(_next_in_zone(ZoneInfo(zone), moment, allowed, ctx.now) for zone in zones)


def _next_in_zone(zone: ZoneInfo, moment: time, allowed: set[int], now: datetime) -> datetime:
    today: date = now.astimezone(zone).date()
    for offset in range(8):
        day = today + timedelta(days=offset)
        candidate = datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)
        if candidate > now and day.weekday() in allowed:
            return candidate
    raise AssertionError("a weekday recurs within 8 days")


def run_branch(ctx: StepContext, step: Branch) -> Transition:
    """First case whose condition holds; else `else`, else the following step."""
    for case in step.branches:
        try:
            if evaluate(case.if_, ctx.facts):
                return Go(case.next)
        except ConditionError as exc:
            return Finish("failed", f"step {step.id}: {exc}")
    return Go(step.else_ or ctx.definition.following(step.id))


def run_goal(ctx: StepContext, step: Goal) -> Transition:
    """Reached by its event (a jump): go on. Reached in sequence: per `on_reach`."""
    if step.id in ctx.enrollment.context.get("goals_reached", []):
        return Go(ctx.definition.following(step.id))
    if step.on_reach == "continue":
        return Go(ctx.definition.following(step.id))
    if step.on_reach == "end":
        return Finish("completed", f"goal {step.id} reached in sequence without its event ({step.event})")
    ctx.enrollment.context = {
        **ctx.enrollment.context,
        "wait": {"step": step.id, "kind": "goal", "until": None},
    }
    return Sleep(None, waiting_for_event=True)


def choose_variant(workflow_id: str, step: AbSplit, contact_id: str) -> Variant:
    """The contact's arm: a stable hash of (workflow, step, contact) over the weights."""
    digest = hashlib.sha256(f"{workflow_id}:{step.id}:{contact_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % sum(v.weight for v in step.variants)
    for variant in step.variants:
        if point < variant.weight:
            return variant
        point -= variant.weight
    raise AssertionError("the weights cover the range")


def run_ab_split(ctx: StepContext, step: AbSplit) -> Transition:
    """Follow the contact's arm (recorded on the enrollment for reporting)."""
    chosen = ctx.enrollment.variants.get(step.id)
    variant = next((v for v in step.variants if v.name == chosen), None)
    if variant is None:
        variant = choose_variant(ctx.definition.id, step, ctx.contact.id)
        ctx.enrollment.variants = {**ctx.enrollment.variants, step.id: variant.name}
    return Go(variant.next)

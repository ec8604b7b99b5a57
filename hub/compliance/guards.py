"""Every send passes here: the guards of COMPLIANCE.md, in a fixed order, no switch to turn one off.

    verdict = evaluate(check, content)   # Cleared(content, notes) | Defer(until, ...) | Suppress(...)

Order (the first Suppress wins; deferrals are combined so the chosen minute satisfies all):
  1. reachability  an SMS needs a phone number (one carriers still deliver to), an email an address
  2. dnd           guard 2, on the stored state (the sender re-checks GHL itself right before sending)
  3. opt_out       guard 3, STOP recorded (or guard 8, a carrier's opt-out report)
  4. consent       guard 4, recorded consent or the location's standing policy (SMS)
  5. takeover      guard 7, a reply or an agent's message since the enrollment (re)started
  6. first_message guard 5, business name + STOP wording (SMS), unsubscribe + postal address (email)
  7. quiet_hours   guard 1, in the lead's zone(s); state windows
  8. frequency     guard 6, per channel caps and state 24-hour limits
The inputs are plain values (`SendCheck`), so each decision can be tested without a database, and
the reason of every Defer / Suppress names the guard, the rule and the data (guard 10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from typing import Any

from hub.compliance.carrier import undeliverable_streak
from hub.compliance.consent import check_consent, check_opt_out
from hub.compliance.decisions import Channel, Defer, GuardName, Suppress
from hub.compliance.dnd import check_dnd
from hub.compliance.first_message import prepare_email, prepare_sms
from hub.compliance.frequency import PastSend, check_frequency
from hub.compliance.lead_timezone import LeadFacts, lead_zones
from hub.compliance.policy import LocationPolicy
from hub.compliance.quiet_hours import Interval, check_quiet_hours, next_allowed, send_window
from hub.compliance.state_rules import strictest_daily_cap
from hub.compliance.takeover import HumanActivity, check_takeover

# Deferrals are re-checked at the minute they propose; a few rounds always settle (each round moves
# forward to a boundary of quiet hours or of the 24-hour window).
MAX_ROUNDS = 6


@dataclass(frozen=True, slots=True)
class SmsContent:
    body: str


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    html: str


@dataclass(frozen=True, slots=True)
class CallTaskContent:
    title: str
    body: str | None
    due_at: datetime


Content = SmsContent | EmailContent | CallTaskContent


@dataclass(frozen=True, slots=True)
class ContactSnapshot:
    """The contact row as the guards need it (the latest state we know)."""

    id: str
    source: str | None = None
    timezone: str | None = None
    state: str | None = None
    postal_code: str | None = None
    phone: str | None = None
    email: str | None = None
    dnd: bool = False
    dnd_channels: Mapping[str, str] = field(default_factory=dict)
    sms_opted_out: bool = False
    sms_opted_out_at: datetime | None = None
    sms_opt_out_evidence: Mapping[str, Any] | None = None
    consent: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class LocationSnapshot:
    id: str
    name: str
    timezone: str
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    postal_address: str | None = None


@dataclass(frozen=True, slots=True)
class SendHistory:
    """What the ledger and the message log say about earlier contact with this lead."""

    past: tuple[PastSend, ...] = ()
    sms_sent_before: bool = False
    last_opt_out_wording_at: datetime | None = None
    human: HumanActivity | None = None
    # Delivery statuses GHL reported for the newest outbound texts to the contact, newest first.
    sms_delivery: tuple[str | None, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkflowLimits:
    """What the workflow adds: it can only narrow (a send window, days, lower caps)."""

    window: Interval | None = None
    days: frozenset[int] | None = None
    caps: Mapping[Channel, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendCheck:
    channel: Channel
    now: datetime
    contact: ContactSnapshot
    location: LocationSnapshot
    policy: LocationPolicy
    history: SendHistory = SendHistory()
    limits: WorkflowLimits = WorkflowLimits()
    since: datetime | None = None  # when the enrollment started or was last resumed


@dataclass(frozen=True, slots=True)
class Cleared:
    """Every guard allows the send now; `content` is what must be sent (footer / wording added)."""

    content: Content
    notes: tuple[str, ...] = ()


Verdict = Cleared | Defer | Suppress


def evaluate(check: SendCheck, content: Content) -> Verdict:
    """Run every guard in order (module docstring); the content returned is the one to send."""
    contact, channel = check.contact, check.channel
    notes: list[str] = []
    if channel == "SMS" and not (contact.phone or "").strip():
        return Suppress("reachability", "the contact has no phone number", failover_ok=True)
    if channel == "Email" and not (contact.email or "").strip():
        return Suppress("reachability", "the contact has no email address", failover_ok=True)
    if channel == "SMS" and (dead := undeliverable_streak(check.history.sms_delivery)) is not None:
        return Suppress("reachability", f"{dead.rule}; texts are skipped", failover_ok=True)
    blocked = check_dnd(channel, contact.dnd, contact.dnd_channels) or check_opt_out(
        channel, contact.sms_opted_out, contact.sms_opted_out_at, contact.sms_opt_out_evidence, contact.phone
    )
    if blocked is not None:
        return blocked
    refused, basis = check_consent(channel, contact.consent, contact.source, check.policy, check.now)
    if refused is not None:
        return refused
    if basis:
        notes.append(basis)
    if check.since is not None and (taken := check_takeover(channel, check.history.human, check.since)):
        return taken
    prepared = _prepare(check, content)
    if isinstance(prepared, Suppress):
        return prepared
    content, added = prepared
    notes += added
    return _schedule(check, content, notes)


def _prepare(check: SendCheck, content: Content) -> tuple[Content, list[str]] | Suppress:
    business = check.policy.business_name or check.location.name
    if isinstance(content, SmsContent):
        body, notes = prepare_sms(
            content.body,
            business_name=business,
            first_sms=not check.history.sms_sent_before,
            last_opt_out_wording_at=check.history.last_opt_out_wording_at,
            now=check.now,
        )
        return SmsContent(body), notes
    if isinstance(content, EmailContent):
        result = prepare_email(
            content.html,
            business_name=business,
            postal_address=check.location.postal_address,
            unsubscribe_url=check.policy.unsubscribe_url,
            location_id=check.location.id,
            contact_id=check.contact.id,
        )
        if isinstance(result, Suppress):
            return result
        return EmailContent(content.subject, result[0]), result[1]
    return content, []


def _schedule(check: SendCheck, content: Content, notes: list[str]) -> Verdict:
    contact, channel = check.contact, check.channel
    facts = LeadFacts(contact.timezone, contact.state, contact.postal_code, contact.phone)
    lead = lead_zones(facts, check.location.timezone)
    window = send_window(
        channel,
        lead,
        location_quiet_start=check.location.quiet_hours_start,
        location_quiet_end=check.location.quiet_hours_end,
        email_quiet_hours=check.policy.email_quiet_hours,
        workflow_window=check.limits.window,
        workflow_days=check.limits.days,
    )
    cap = min(check.policy.cap(channel), check.limits.caps.get(channel, check.policy.cap(channel)))
    state_rule = strictest_daily_cap(lead.states)
    at, reasons = check.now, list[tuple[str, str]]()  # (guard, reason) of each deferral
    for _ in range(MAX_ROUNDS):
        quiet = check_quiet_hours(window, at)
        if isinstance(quiet, Suppress):
            return quiet
        busy = check_frequency(channel, at, check.history.past, cap, state_rule)
        if quiet is None and busy is None:
            break
        for deferral in (busy, quiet):
            if deferral is not None:
                reasons.append((deferral.guard, deferral.reason))
                at = max(at, deferral.until)
    else:
        named = "; ".join(f"{guard}: {text}" for guard, text in dict.fromkeys(reasons))
        return Suppress("quiet_hours", f"no minute satisfies quiet hours and caps together: {named}")
    if at != check.now:
        # The verdict names its guard once (the send path and the timeline print it); a second
        # guard that also moved the time is named inside the reason.
        guard: GuardName = "frequency" if any(g == "frequency" for g, _ in reasons) else "quiet_hours"
        parts = (text if g == guard else f"{g}: {text}" for g, text in dict.fromkeys(reasons))
        return Defer(at, guard, " | ".join(parts))
    if isinstance(content, CallTaskContent) and window is not None:
        due = next_allowed(window, max(content.due_at, check.now)) or content.due_at
        if due != content.due_at:
            notes.append(f"call task due time moved into the allowed window ({window.describe()})")
            content = replace(content, due_at=due)
    return Cleared(content, tuple(notes))

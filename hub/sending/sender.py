"""One send, end to end: guards -> fresh GHL DND check -> ledger reservation (committed) -> GHL call
-> ledger completion, with every decision written to the audit trail.

    outcome = send(session, client, request, contact=row, location=row, policy=policy, now=now)

Outcomes: `sent`, `unknown` (GHL may have sent it: never retried, reconciled later), `duplicate`
(this slot was already sent or is uncertain: nothing done), `deferred` (guards or a transient GHL
failure where nothing left: try at `until`), `suppressed` (a guard said no; `failover_ok` when
another channel may try), `failed` (GHL refused the request: dead letter with GHL's reason).

A refusal of a text that names a carrier block (hub.compliance.carrier: 21610 unsubscribed
recipient, a landline, ...) is not a failure of the workflow but a fact about the number: the
contact's SMS is suppressed like a STOP (`sms_opted_out`, with the carrier's reason as evidence),
the slot is `suppressed`, and every later text to that number is skipped by guard 3 with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from hub.compliance.carrier import CarrierBlock, classify_refusal
from hub.compliance.consent import check_opt_out
from hub.compliance.decisions import Channel, Defer, Suppress
from hub.compliance.dnd import check_fresh_dnd
from hub.compliance.first_message import has_opt_out_wording
from hub.compliance.guards import (
    CallTaskContent,
    Cleared,
    Content,
    EmailContent,
    SendCheck,
    SendHistory,
    SmsContent,
    WorkflowLimits,
    evaluate,
)
from hub.compliance.policy import LocationPolicy
from hub.errors import (
    GHLError,
    GHLNotFoundError,
    GHLOutcomeUnknownError,
    GHLRateLimitError,
    GHLValidationError,
)
from hub.ghl.client import GHLClient
from hub.ghl.transport import yield_point
from hub.sending.audit import record
from hub.sending.history import contact_snapshot, location_snapshot, send_history
from hub.sending.ledger import LedgerKey, find, record_skip, reserve, settle
from hub.sending.reconcile import body_digest, resolve
from hub.store.models import Contact, Enrollment, Location

RETRY_DELAY = timedelta(minutes=2)
CONTACT_GONE = "GHL has no such contact any more (404 on GET /contacts)"
OutcomeStatus = Literal["sent", "unknown", "duplicate", "deferred", "suppressed", "failed"]


@dataclass(frozen=True, slots=True)
class SendRequest:
    enrollment: Enrollment
    step_id: str
    attempt: str  # the enrollment's visit number of the step: part of the ledger key
    channel: Channel
    content: Content
    limits: WorkflowLimits
    since: datetime  # enrollment start or last resume (takeover guard)
    assigned_to: str | None = None  # call tasks


class Prefetched(Protocol):
    """Facts a dispatcher read in bulk for a batch (hub.workflows.batch_facts.BatchFacts)."""

    def history(self, location_id: str, contact_id: str, channel: str, now: datetime) -> SendHistory: ...
    def may_have_slot(self, key: LedgerKey) -> bool: ...
    def reserved(self, location_id: str, contact_id: str, key: LedgerKey) -> None: ...


@dataclass(frozen=True, slots=True)
class SendOutcome:
    status: OutcomeStatus
    reason: str = ""
    until: datetime | None = None
    failover_ok: bool = False
    transient: bool = False  # deferred by a GHL failure, not by a guard
    contact_gone: bool = False
    ghl_id: str | None = None
    guard: str | None = None  # the guard that deferred or suppressed it


def send(
    session: Session,
    client: GHLClient,
    request: SendRequest,
    *,
    contact: Contact,
    location: Location,
    policy: LocationPolicy,
    now: datetime,
    prefetched: Prefetched | None = None,
    commit_outcome: bool = True,
) -> SendOutcome:
    """Send one message or call task if, and only if, every guard allows it now (module docstring).
    `prefetched`: the same facts read in bulk by the dispatcher instead of here.
    `commit_outcome=False`: the outcome (ledger status, audit item) is left for the caller's next
    commit, the step's transition (the reservation is committed before the GHL call either way)."""
    enrollment = request.enrollment
    key = LedgerKey(enrollment.id, request.step_id, request.channel, request.attempt)
    existing = find(session, key) if prefetched is None or prefetched.may_have_slot(key) else None
    if existing is not None and existing.status in ("sent", "unknown", "reserved"):
        # "reserved" here means the previous worker holding this enrollment died mid-send.
        status = existing.status if existing.status != "reserved" else resolve(session, existing, now=now)
        session.commit()
        return SendOutcome("duplicate", f"this step was already handled on {key.channel}: {status}")
    check = SendCheck(
        channel=request.channel,
        now=now,
        contact=contact_snapshot(contact),
        location=location_snapshot(location),
        policy=policy,
        history=(
            prefetched.history(location.id, contact.id, request.channel, now)
            if prefetched is not None
            else send_history(session, location.id, contact.id, now=now, channel=request.channel)
        ),
        limits=request.limits,
        since=request.since,
    )
    verdict = evaluate(check, request.content)
    if isinstance(verdict, Cleared) and request.channel in ("SMS", "Email"):
        verdict = _fresh_check(client, location.id, contact.id, request.channel, verdict, now)
    if isinstance(verdict, Defer):
        reason = f"{verdict.guard}: {verdict.reason}"
        record_skip(session, key, "deferred", reason, location_id=location.id, contact_id=contact.id, now=now)
        _audit(
            session,
            "workflow_send_deferred",
            request,
            now,
            guard=verdict.guard,
            reason=verdict.reason,
            until=verdict.until.isoformat(),
        )
        _commit(session, commit_outcome)
        transient = verdict.guard == "reachability"
        return SendOutcome("deferred", reason, until=verdict.until, transient=transient, guard=verdict.guard)
    if isinstance(verdict, Suppress):
        reason = f"{verdict.guard}: {verdict.reason}"
        record_skip(
            session, key, "suppressed", reason, location_id=location.id, contact_id=contact.id, now=now
        )
        _audit(session, "workflow_send_suppressed", request, now, guard=verdict.guard, reason=verdict.reason)
        _commit(session, commit_outcome)
        gone = verdict.reason == CONTACT_GONE
        return SendOutcome(
            "suppressed", reason, failover_ok=verdict.failover_ok, contact_gone=gone, guard=verdict.guard
        )
    if prefetched is not None:
        prefetched.reserved(location.id, contact.id, key)  # this contact's history changes now
    outcome = _call(session, client, request, key, verdict, contact=contact, location=location, now=now)
    _commit(session, commit_outcome)
    return outcome


def _commit(session: Session, commit: bool) -> None:
    # Left uncommitted, a settlement shares the step transition's commit (one commit fewer per send).
    # A crash before that commit leaves the ledger row `reserved`: reconciled, never sent again.
    if commit:
        session.commit()


def _fresh_check(
    client: GHLClient, location_id: str, contact_id: str, channel: Channel, verdict: Cleared, now: datetime
) -> Cleared | Defer | Suppress:
    """Guard 2 again, on GHL's own current record, right before the send."""
    try:
        with yield_point():  # nothing uncommitted here: other leads may run while this waits
            fresh = client.get_contact(location_id, contact_id)
    except GHLNotFoundError:
        return Suppress("reachability", CONTACT_GONE)
    except GHLError as exc:
        # Never send on an unverified DND state; try again shortly. ("reachability" marks it transient.)
        return Defer(
            now + RETRY_DELAY, "reachability", f"could not re-check DND with GHL ({type(exc).__name__})"
        )
    blocked = check_fresh_dnd(channel, fresh)
    if blocked is not None:
        return blocked
    if channel == "SMS" and not (fresh.phone or "").strip():
        return Suppress("reachability", "GHL has no phone number for the contact", failover_ok=True)
    if channel == "Email" and not (fresh.email or "").strip():
        return Suppress("reachability", "GHL has no email address for the contact", failover_ok=True)
    return verdict


def _call(
    session: Session,
    client: GHLClient,
    request: SendRequest,
    key: LedgerKey,
    cleared: Cleared,
    *,
    contact: Contact,
    location: Location,
    now: datetime,
) -> SendOutcome:
    content = cleared.content
    reservation = reserve(
        session,
        key,
        location_id=location.id,
        contact_id=contact.id,
        summary=_summary(content, cleared),
        now=now,
    )
    if not reservation.granted:
        return SendOutcome(
            "duplicate", f"this step was already handled on {key.channel}: {reservation.status}"
        )
    entry_id = reservation.entry_id
    session.commit()  # the reservation must be durable before GHL can act on the request
    try:
        with yield_point():  # the reservation is committed: other leads may run while this waits
            ghl_id = _perform(client, location.id, contact.id, content, request.assigned_to)
    except GHLOutcomeUnknownError as exc:
        reason = f"GHL's answer was lost ({exc}); the message may have been sent, so it is not retried"
        settle(session, entry_id, "unknown", now=now, reason=reason)
        _audit(session, "workflow_send_unknown", request, now, reason=reason, ledger_id=entry_id)
        return SendOutcome("unknown", reason)
    except (GHLValidationError, GHLNotFoundError) as exc:
        block = classify_refusal(exc.detail) if isinstance(content, SmsContent) else None
        if isinstance(exc, GHLValidationError) and block is not None:
            return _carrier_block(session, request, entry_id, block, contact=contact, now=now)
        reason = f"GHL refused the request ({exc.status}): {exc}"
        settle(session, entry_id, "failed", now=now, reason=reason)
        _audit(session, "workflow_send_failed", request, now, reason=reason, ledger_id=entry_id)
        return SendOutcome("failed", reason, failover_ok=isinstance(exc, GHLValidationError))
    except GHLError as exc:
        # Rate limit, open breaker, auth, connection never made: nothing reached GHL's send logic.
        wait = timedelta(seconds=exc.retry_after_s) if isinstance(exc, GHLRateLimitError) else RETRY_DELAY
        reason = f"GHL unavailable ({type(exc).__name__}: {exc}); nothing was sent, retrying"
        settle(session, entry_id, "deferred", now=now, reason=reason)
        _audit(
            session, "workflow_send_deferred", request, now, guard="ghl", reason=reason, ledger_id=entry_id
        )
        return SendOutcome("deferred", reason, until=now + max(wait, RETRY_DELAY), transient=True)
    settle(session, entry_id, "sent", now=now, ghl_message_id=ghl_id, reason="; ".join(cleared.notes) or None)
    _audit(
        session, "workflow_send", request, now, ledger_id=entry_id, ghl_id=ghl_id, notes=list(cleared.notes)
    )
    return SendOutcome("sent", "; ".join(cleared.notes), ghl_id=ghl_id)


def _carrier_block(
    session: Session,
    request: SendRequest,
    entry_id: int,
    block: CarrierBlock,
    *,
    contact: Contact,
    now: datetime,
) -> SendOutcome:
    """GHL refused a text because of the number (guard 8): suppress SMS for the contact like a STOP,
    for this number; nothing was sent, so the slot is `suppressed` and another channel may try."""
    reason = f"opt_out: GHL refused the text, {block.rule}; SMS to this number is now suppressed"
    settle(session, entry_id, "suppressed", now=now, reason=reason)
    evidence = contact.sms_opt_out_evidence
    blocked = check_opt_out("SMS", contact.sms_opted_out, contact.sms_opted_out_at, evidence, contact.phone)
    if blocked is None:  # not opted out yet, or only for a number the contact no longer has
        contact.sms_opted_out, contact.sms_opted_out_at = True, now
        contact.sms_opt_out_evidence = {
            "action": "opt_out",
            "rule": block.rule,
            "at": now.isoformat(),
            "ledger_id": entry_id,
            "carrier": {"kind": block.kind, "code": block.code, "rule": block.rule, "phone": contact.phone},
        }
        record(
            session,
            contact.location_id,
            contact.id,
            "sms_suppressed_by_carrier",
            now=now,
            guard="opt_out",
            rule=block.rule,
            carrier_kind=block.kind,
            code=block.code,
            ledger_id=entry_id,
        )
    _audit(
        session, "workflow_send_suppressed", request, now, guard="opt_out", reason=reason, ledger_id=entry_id
    )
    return SendOutcome("suppressed", reason, failover_ok=True, guard="opt_out")


def _perform(
    client: GHLClient, location_id: str, contact_id: str, content: Content, assigned_to: str | None
) -> str:
    if isinstance(content, SmsContent):
        return client.send_sms(location_id, contact_id, content.body).message_id
    if isinstance(content, EmailContent):
        return client.send_email(location_id, contact_id, content.subject, content.html).message_id
    task = client.create_task(
        location_id, contact_id, content.title, content.due_at, body=content.body, assigned_to=assigned_to
    )
    return task.id


def _summary(content: Content, cleared: Cleared) -> dict[str, Any]:
    """What the ledger keeps about the request: no message text (PII), a digest to match the echo."""
    if isinstance(content, SmsContent):
        return {
            "type": "SMS",
            "body_sha256": body_digest(content.body),
            "length": len(content.body),
            "opt_out_wording": has_opt_out_wording(content.body),
            "notes": list(cleared.notes),
        }
    if isinstance(content, EmailContent):
        return {
            "type": "Email",
            "body_sha256": body_digest(content.html),
            "length": len(content.html),
            "notes": list(cleared.notes),
        }
    assert isinstance(content, CallTaskContent)
    return {"type": "call_task", "due_at": content.due_at.isoformat(), "notes": list(cleared.notes)}


def _audit(session: Session, kind: str, request: SendRequest, now: datetime, **fields: Any) -> None:
    enrollment = request.enrollment
    record(
        session,
        enrollment.location_id,
        enrollment.contact_id,
        kind,
        now=now,
        enrollment_id=enrollment.id,
        workflow_id=enrollment.workflow_id,
        workflow_version=enrollment.workflow_version,
        step_id=request.step_id,
        channel=request.channel,
        **fields,
    )

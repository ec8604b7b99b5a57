"""Outbound webhook steps: a JSON POST/PUT signed with HMAC-SHA256, at most once per step visit.

Headers: `X-Hub-Timestamp` (unix seconds), `X-Hub-Signature-256: sha256=<hex>` over
`"<timestamp>.<body bytes>"` (the receiver recomputes it and rejects stale timestamps), and
`X-Hub-Delivery` (a stable id per enrollment step visit, for the receiver's de-duplication). The
same at-most-once rule as messages applies: a timeout or a 5xx may mean the receiver acted, so it
is recorded as `unknown` and not retried; only a connection that never opened is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from hub.sending.audit import record
from hub.sending.ledger import LedgerKey, reserve, settle
from hub.workflows.execution import Finish, Go, Sleep, StepContext, Transition
from hub.workflows.steps import Webhook
from hub.workflows.templates import TemplateRenderError, render

RETRY_AFTER = timedelta(minutes=2)


def sign(secret: SecretStr, timestamp: int, body: bytes) -> str:
    """The X-Hub-Signature-256 value for a body sent at `timestamp`."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.get_secret_value().encode(), message, hashlib.sha256).hexdigest()


def run_webhook(ctx: StepContext, step: Webhook) -> Transition:
    deps, enrollment = ctx.deps, ctx.enrollment
    if deps.http is None or deps.webhook_secrets is None:
        return Finish("failed", f"step {step.id}: webhook steps need EngineDeps.http and webhook_secrets")
    try:
        data = {key: render(value, ctx.variables) for key, value in step.body.items()}
        secret = deps.webhook_secrets(ctx.location.id, step.secret)
    except TemplateRenderError as exc:
        return Finish("failed", f"step {step.id}: {exc}")
    except KeyError:
        return Finish("failed", f"step {step.id}: no webhook secret named {step.secret!r} for this location")
    delivery = f"{enrollment.id}:{step.id}:{ctx.visit}"
    payload: dict[str, Any] = {
        "event": "workflow.webhook",
        "delivery": delivery,
        "workflow_id": enrollment.workflow_id,
        "step_id": step.id,
        "location_id": ctx.location.id,
        "contact_id": ctx.contact.id,
        "data": data,
    }
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    key = LedgerKey(enrollment.id, step.id, "webhook", ctx.visit)
    summary = {"type": "webhook", "host": httpx.URL(step.url).host, "length": len(body)}
    reservation = reserve(
        ctx.session, key, location_id=ctx.location.id, contact_id=ctx.contact.id, summary=summary, now=ctx.now
    )
    following = ctx.definition.following(step.id)
    if not reservation.granted:
        return Go(following)  # this visit already called the URL (or may have)
    ctx.session.commit()
    timestamp = int(ctx.now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Timestamp": str(timestamp),
        "X-Hub-Signature-256": sign(secret, timestamp, body),
        "X-Hub-Delivery": delivery,
    }
    entry_id = reservation.entry.id
    try:
        response = deps.http.request(step.method, step.url, content=body, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        _settle(ctx, entry_id, "deferred", f"could not connect ({type(exc).__name__}); nothing sent", step)
        return Sleep(ctx.now + RETRY_AFTER, transient=True, reason="webhook receiver unreachable")
    except httpx.HTTPError as exc:
        _settle(ctx, entry_id, "unknown", f"no answer ({type(exc).__name__}); may have been received", step)
        return Go(following)
    if response.is_success:
        _settle(ctx, entry_id, "sent", f"HTTP {response.status_code}", step)
        return Go(following)
    if response.status_code >= 500:
        _settle(ctx, entry_id, "unknown", f"HTTP {response.status_code}; the receiver may have acted", step)
        return Go(following)
    reason = f"the receiver refused it: HTTP {response.status_code}"
    _settle(ctx, entry_id, "failed", reason, step)
    return Finish("failed", f"step {step.id}: {reason}")


def _settle(ctx: StepContext, entry_id: int, status: Any, reason: str, step: Webhook) -> None:
    now: datetime = ctx.now
    settle(ctx.session, entry_id, status, now=now, reason=reason)
    record(
        ctx.session,
        ctx.location.id,
        ctx.contact.id,
        "workflow_step",
        now=now,
        step_id=step.id,
        enrollment_id=ctx.enrollment.id,
        action="webhook",
        outcome=status,
        reason=reason,
    )
    ctx.session.commit()

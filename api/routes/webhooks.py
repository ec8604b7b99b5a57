"""The webhook receivers: verify, key and durably log a GHL delivery, then answer at once.

Nothing is processed in the request (ARCHITECTURE.md, data flow 1). The delivery is in the event
log, committed, before we answer 2xx — so a 2xx is never lost — and `webhookId` makes a repeat a
200 no-op, so nothing is stored twice.

`POST /webhooks/ghl` carries every GHL event, so it is served by `MarketplaceReceiver`, a plain
ASGI middleware in front of FastAPI's routing: per delivery, FastAPI's request objects, routing,
exception and exit-stack layers and response classes cost more CPU than the signature check
(bench/README.md, intake). The same rules hold as on a FastAPI route, and the answers have the
same shape (`{"detail": ...}` on refusal). Its OpenAPI entry is `MARKETPLACE_OPENAPI`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.datastructures import State
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import EngineDep, SettingsDep
from api.processing import ProcessingKicker
from api.routes.metrics import REJECTION_REASONS, record_answer
from hub.errors import PayloadError, SignatureError
from hub.events.envelope import marketplace_delivery, workflow_delivery
from hub.metrics import record_delivery
from hub.settings import Settings
from hub.store.event_log import RawDelivery
from hub.webhooks.group_commit import GroupCommitter
from hub.webhooks.location_secret import location_for_secret
from hub.webhooks.signature import verify_signature

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])
MARKETPLACE_PATH = "/webhooks/ghl"


class Refusal(Exception):
    """A delivery refused with a 4xx: `detail` tells the sender (or the operator) why."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def _backlog_refusal(kicker: ProcessingKicker | None, settings: Settings) -> Refusal | None:
    """429 before reading the body: GHL retries 429 (ghl-api.md §4.2), so nothing is lost."""
    limit = settings.processing.backlog_limit
    if kicker is None or kicker.backlog <= limit:
        return None
    return Refusal(
        429,
        f"processing backlog of {kicker.backlog} events exceeds {limit}; retry later",
        headers={"Retry-After": "60"},
    )


def _too_large(size: int | str, limit: int) -> Refusal:
    return Refusal(413, f"body of {size} bytes exceeds the {limit}-byte limit")


def _check_time(delivery: RawDelivery, received_at: datetime, window_s: int) -> None:
    if delivery.delivered_at and delivery.delivered_at > received_at + timedelta(seconds=window_s):
        raise Refusal(400, "field 'timestamp' is in the future beyond the replay window; check clocks")


async def _store_and_kick(state: State, delivery: RawDelivery) -> str:
    """Wait for the delivery's durable commit; `accepted` if it was new, `duplicate` if seen before."""
    intake: GroupCommitter = state.intake
    inserted = await intake.store(delivery)
    kicker: ProcessingKicker | None = state.kicker
    if inserted and kicker is not None:
        kicker.mark(delivery.location_id)
    # A repeat is acknowledged so GHL stops retrying; the signature already proved it came from GHL,
    # and the old copy is the one we keep (§2.4: webhookId is the primary replay guard).
    return "accepted" if inserted else "duplicate"


# --- POST /webhooks/ghl, as plain ASGI ------------------------------------------------------------


class _Disconnected(Exception):
    """The sender hung up before the body was complete: nothing stored, nobody left to answer."""


def _headers(scope: Scope) -> dict[str, str]:
    # ASGI header names are lower-case bytes; the last of a repeated header wins, as in a dict.
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


async def _read_body(receive: Receive, declared: str | None, limit: int) -> bytes:
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(declared, limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(f"more than {limit}", limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _accept_marketplace(scope: Scope, receive: Receive, state: State) -> dict[str, str]:
    """Verify the signature on the raw body, log the delivery once; the 200 answer's body."""
    settings: Settings = state.settings
    hook = settings.webhook
    refusal = _backlog_refusal(state.kicker, settings)
    if refusal is not None:
        raise refusal
    headers = _headers(scope)
    raw = await _read_body(receive, headers.get("content-length"), hook.max_body_bytes)
    if not hook.dev_mode:
        try:
            verify_signature(raw, headers, ed25519_pem=hook.ed25519_public_key, rsa_pem=hook.rsa_public_key)
        except SignatureError as exc:
            raise Refusal(401, str(exc)) from None
    received_at = datetime.now(UTC)
    try:
        delivery = marketplace_delivery(raw, received_at=received_at)
    except PayloadError as exc:
        raise Refusal(400, str(exc)) from None
    _check_time(delivery, received_at, hook.timestamp_window_s)
    status = await _store_and_kick(state, delivery)
    return {"status": status, "webhookId": delivery.delivery_key}


async def _answer(send: Send, status: int, body: dict[str, str], headers: dict[str, str]) -> None:
    content = json.dumps(body, separators=(",", ":")).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    raw_headers += [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": content})


async def receive_marketplace(scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one `POST /webhooks/ghl` and count its answer in `hub_webhook_deliveries_total`.

    An unexpected error propagates to Starlette's ServerErrorMiddleware, which answers 500 (GHL
    retries it) and logs it; it is counted `server_error`.
    """
    outcome, reason = "rejected", "server_error"
    try:
        try:
            body = await _accept_marketplace(scope, receive, scope["app"].state)
        except Refusal as refused:
            reason = REJECTION_REASONS.get(refused.status, f"http_{refused.status}")
            await _answer(send, refused.status, {"detail": refused.detail}, refused.headers)
            return
        except _Disconnected:
            # GHL redelivers what it did not see acknowledged, so this is routine, not an error.
            log.debug("webhook sender disconnected before the body was complete; nothing stored")
            reason = "client_disconnected"
            return
        outcome, reason = body["status"], ""
        await _answer(send, 200, body, {})
    finally:
        record_delivery("marketplace", outcome, reason)


class MarketplaceReceiver:
    """ASGI middleware: answers `POST /webhooks/ghl` itself, passes every other request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == MARKETPLACE_PATH:
            if scope["method"] == "POST":
                await receive_marketplace(scope, receive, send)
            else:  # as a FastAPI route would answer
                await _answer(send, 405, {"detail": "Method Not Allowed"}, {"Allow": "POST"})
        else:
            await self.app(scope, receive, send)


def _refusal_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}
        },
    }


MARKETPLACE_OPENAPI: dict[str, Any] = {
    "post": {
        "tags": ["webhooks"],
        "summary": "Receive a signed GHL marketplace webhook",
        "description": "Verify the signature on the raw body, log the delivery once, answer 200 in "
        "milliseconds. Signed with Ed25519 in `X-GHL-Signature` (or legacy RSA in `X-WH-Signature`); "
        "answered only after the delivery is durably committed; a repeated `webhookId` is a 200 no-op.",
        "operationId": "receive_ghl_webhooks_ghl_post",
        "parameters": [
            {"name": "X-GHL-Signature", "in": "header", "required": False, "schema": {"type": "string"}},
            {"name": "X-WH-Signature", "in": "header", "required": False, "schema": {"type": "string"}},
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
        },
        "responses": {
            "200": {
                "description": "Stored (`accepted`) or already stored (`duplicate`).",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "status": {"type": "string", "enum": ["accepted", "duplicate"]},
                                "webhookId": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "400": _refusal_response("Malformed JSON or envelope, or a timestamp beyond the window."),
            "401": _refusal_response("Missing or wrong signature: nothing stored."),
            "413": _refusal_response("Body larger than HUB_WEBHOOK_MAX_BODY_BYTES."),
            "429": _refusal_response("Processing backlog over the limit; retry after `Retry-After`."),
        },
    }
}


# --- POST /webhooks/ghl/workflow/{secret}: a FastAPI route (rare, needs a store lookup) ------------


def _lookup_location(engine: Engine, secret: str) -> str | None:
    with Session(engine) as session:
        return location_for_secret(session, secret)


async def _read_capped(request: Request, limit: int) -> bytes:
    try:
        return await _read_body(request.receive, request.headers.get("content-length"), limit)
    except Refusal as refused:
        raise HTTPException(refused.status, refused.detail) from None
    except (_Disconnected, ClientDisconnect):
        log.debug("webhook sender disconnected before the body was complete; nothing stored")
        raise HTTPException(400, "client disconnected before the body was complete") from None


@router.post("/ghl/workflow/{location_secret}", summary="Receive a GHL workflow 'Webhook' action")
async def receive_workflow(
    location_secret: str, request: Request, settings: SettingsDep, engine: EngineDep
) -> dict[str, str]:
    """Unsigned by GHL, so authenticated by the location's secret in the URL; deduplicated by body hash."""
    refusal = _backlog_refusal(request.app.state.kicker, settings)
    if refusal is not None:
        raise HTTPException(refusal.status, refusal.detail, headers=refusal.headers)
    location_id = await run_in_threadpool(_lookup_location, engine, location_secret)
    if location_id is None:
        # Same answer for a wrong and a revoked secret: nothing to learn by probing.
        raise HTTPException(
            404,
            "unknown workflow webhook URL: the secret matches no location "
            "(it is shown once, by `hub locations add`)",
        )
    raw = await _read_capped(request, settings.webhook.max_body_bytes)
    try:
        delivery = workflow_delivery(raw, location_id=location_id, received_at=datetime.now(UTC))
    except PayloadError as exc:
        raise HTTPException(400, str(exc)) from None
    status = await _store_and_kick(request.app.state, delivery)
    record_answer(request, status)  # counted by the metrics middleware
    return {"status": status, "webhookId": delivery.delivery_key}

"""`POST /webhooks/ghl`: verify, key and durably log a GHL delivery, then answer at once.

Nothing is processed in the request (ARCHITECTURE.md, data flow 1). The delivery is in the event
log, committed, before we answer 2xx — so a 2xx is never lost — and `webhookId` makes a repeat a
200 no-op, so nothing is stored twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect

from api.deps import EngineDep, SettingsDep
from api.processing import ProcessingKicker
from api.routes.metrics import record_answer
from hub.errors import PayloadError, SignatureError
from hub.events.envelope import marketplace_delivery, workflow_delivery
from hub.settings import Settings
from hub.store.event_log import RawDelivery
from hub.webhooks.group_commit import GroupCommitter
from hub.webhooks.location_secret import location_for_secret
from hub.webhooks.signature import verify_signature

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes exceeds the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"body exceeds the {limit}-byte limit")
            chunks.append(chunk)
    except ClientDisconnect:
        # The sender hung up mid-body: nothing was stored and nobody is left to answer. GHL
        # redelivers what it did not see acknowledged, so this is routine, not an error.
        log.debug("webhook sender disconnected before the body was complete; nothing stored")
        raise HTTPException(400, "client disconnected before the body was complete") from None
    return b"".join(chunks)


def _refuse_when_backlogged(request: Request, settings: Settings) -> None:
    """429 before reading the body: GHL retries 429 (ghl-api.md §4.2), so nothing is lost."""
    kicker: ProcessingKicker | None = request.app.state.kicker
    if kicker is not None and kicker.backlog > settings.processing.backlog_limit:
        raise HTTPException(
            429,
            f"processing backlog of {kicker.backlog} events exceeds {settings.processing.backlog_limit}; "
            "retry later",
            headers={"Retry-After": "60"},
        )


def _kick(request: Request, delivery: RawDelivery, inserted: bool) -> None:
    kicker: ProcessingKicker | None = request.app.state.kicker
    if inserted and kicker is not None:
        kicker.mark(delivery.location_id)


async def _store(request: Request, delivery: RawDelivery) -> bool:
    intake: GroupCommitter = request.app.state.intake
    return await intake.store(delivery)


def _answer(request: Request, delivery: RawDelivery, inserted: bool) -> dict[str, str]:
    status = "accepted" if inserted else "duplicate"
    record_answer(request, status)  # counted by the metrics middleware
    return {"status": status, "webhookId": delivery.delivery_key}


@router.post("/ghl", summary="Receive a signed GHL marketplace webhook")
async def receive_ghl(request: Request) -> dict[str, str]:
    """Verify the signature on the raw body, log the delivery once, answer 200 in milliseconds."""
    # Not `SettingsDep`: FastAPI runs a plain-function dependency in its thread pool, a thread
    # hand-off per request that cost ~17% of the receiver's event-loop CPU under load (py-spy).
    settings: Settings = request.app.state.settings
    hook = settings.webhook
    _refuse_when_backlogged(request, settings)
    raw = await _read_capped(request, hook.max_body_bytes)
    if not hook.dev_mode:
        try:
            verify_signature(
                raw, request.headers, ed25519_pem=hook.ed25519_public_key, rsa_pem=hook.rsa_public_key
            )
        except SignatureError as exc:
            raise HTTPException(401, str(exc)) from None
    received_at = datetime.now(UTC)
    try:
        delivery = marketplace_delivery(raw, received_at=received_at)
    except PayloadError as exc:
        raise HTTPException(400, str(exc)) from None
    if delivery.delivered_at and delivery.delivered_at > received_at + timedelta(
        seconds=hook.timestamp_window_s
    ):
        raise HTTPException(400, "field 'timestamp' is in the future beyond the replay window; check clocks")
    inserted = await _store(request, delivery)
    _kick(request, delivery, inserted)
    # A repeat is acknowledged so GHL stops retrying; the signature already proved it came from GHL,
    # and the old copy is the one we keep (§2.4: webhookId is the primary replay guard).
    return _answer(request, delivery, inserted)


def _lookup_location(engine: Engine, secret: str) -> str | None:
    with Session(engine) as session:
        return location_for_secret(session, secret)


@router.post("/ghl/workflow/{location_secret}", summary="Receive a GHL workflow 'Webhook' action")
async def receive_workflow(
    location_secret: str, request: Request, settings: SettingsDep, engine: EngineDep
) -> dict[str, str]:
    """Unsigned by GHL, so authenticated by the location's secret in the URL; deduplicated by body hash."""
    _refuse_when_backlogged(request, settings)
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
    inserted = await _store(request, delivery)
    _kick(request, delivery, inserted)
    return _answer(request, delivery, inserted)

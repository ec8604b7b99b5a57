"""`GET /metrics` (Prometheus text format) and the middleware that counts webhook answers.

The middleware watches the two webhook routes from outside: the status code says whether and why a
delivery was rejected, so every rejection is counted, including the ones FastAPI raises itself (422)
and crashes (500). For a 200 the route leaves `accepted` or `duplicate` in the request state
(`record_answer`): reading it back from the response body meant buffering and parsing JSON on
every delivery, the receiver's hottest path.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import EngineDep, SettingsDep
from hub.dashboard.prometheus import render_metrics
from hub.errors import ConfigError
from hub.metrics import record_delivery

router = APIRouter(tags=["operations"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Why the receiver refused a delivery, by its status code (api/routes/webhooks.py).
REJECTION_REASONS = {
    400: "bad_payload",
    401: "bad_signature",
    404: "unknown_workflow_secret",
    413: "too_large",
    422: "invalid_request",
    429: "backlogged",
}
WORKFLOW_PREFIX = "/webhooks/ghl/workflow/"
_ANSWER = "webhook_answer"  # request-state key the webhook routes set for a 200


def record_answer(request: Request, answer: str) -> None:
    """Called by a webhook route just before it answers 200: `accepted` or `duplicate`."""
    request.state.webhook_answer = answer


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(engine: EngineDep, settings: SettingsDep) -> Response:
    """Intake, processing lag, sends by outcome, GHL 429s and champion model versions."""
    try:
        body = await run_in_threadpool(render_metrics, engine, settings.ml.registry_dir)
    except ConfigError as exc:
        raise HTTPException(500, str(exc)) from None
    return Response(body, media_type=CONTENT_TYPE)


def _route(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path: str = scope["path"]
    # `POST /webhooks/ghl` never gets here: api.routes.webhooks.MarketplaceReceiver counts its own.
    # Never the path itself as a label: it holds the location's workflow-webhook secret.
    return "workflow" if path.startswith(WORKFLOW_PREFIX) else None


def _outcome(status: int, answer: object) -> tuple[str, str]:
    if status == 200:
        return (str(answer), "") if answer in ("accepted", "duplicate") else ("unrecognised", "")
    return "rejected", REJECTION_REASONS.get(status, "server_error" if status >= 500 else f"http_{status}")


class IntakeMetricsMiddleware:
    """Counts each answered webhook delivery in `hub_webhook_deliveries_total`; other paths pass by."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _route(scope)
        if route is None:
            await self.app(scope, receive, send)
            return
        status = 500  # an exception before the answer started is a server error
        # The route writes its answer into this dict (request.state); created here, so a route that
        # sees a copy of the scope still shares it.
        state = scope.setdefault("state", {})

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            outcome, reason = _outcome(status, state.get(_ANSWER))
            record_delivery(route, outcome, reason)

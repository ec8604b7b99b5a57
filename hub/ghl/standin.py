"""A local stand-in for the GHL API v2: a real HTTP server for tests, benchmarks and the demo.

It serves the endpoints `GHLClient` uses (standin_routes), with in-memory state per location
(standin_state), GHL's auth, rate limits and error shapes, plus injectable faults and an admin API
(standin_admin). Every GHL-API request passes the gate below, in this order:

    request log entry (no token) -> bearer token -> location (401 if unknown)
    -> rate window: 100 requests / 10 s per location by default (429 beyond it)
    -> faults: added latency; a timeout (hold, then process anyway); an injected 429 or 5xx
       (a 5xx "after effect" processes the request first, like ISS-6)
    -> the route -> `X-RateLimit-*` headers on the answer, status into the log entry.

The two requests of every dispatch step (GET /contacts/{id}, POST /conversations/messages) skip
FastAPI's request machinery: standin_fast answers them as their routes would, at a fraction of
the CPU (the benchmark shares its box with the stand-in).

Python API: `create_standin_app(config)`, `run_standin_in_thread(host, port)` (a context manager
yielding a StandinHandle with `.base_url` and `.admin`), and `main(host, port)` for the CLI.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.ghl import standin_admin, standin_routes
from hub.ghl.standin_admin import ADMIN_PREFIX, StandinAdmin
from hub.ghl.standin_fast import fast_answer
from hub.ghl.standin_routes import LOCATION_SCOPE_KEY, GHLHTTPError
from hub.ghl.standin_state import LocationData, StandinConfig, StandinState

__all__ = [
    "StandinAdmin",
    "StandinConfig",
    "StandinHandle",
    "create_standin_app",
    "main",
    "run_standin_in_thread",
]


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            return text[7:].strip() if text.lower().startswith("bearer ") else ""
    return ""


def _raw_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    # As Starlette's MutableHeaders stores them: lower-case latin-1 names.
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


async def _send_answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    # The two messages a Starlette Response sends.
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, error: GHLHTTPError, headers: list[tuple[bytes, bytes]]) -> int:
    response = error.response()
    await _send_answer(send, error.status, bytes(response.body), [*response.raw_headers, *headers])
    return error.status


_UNAUTHORIZED = GHLHTTPError(401, "Invalid token: access token is invalid", "Unauthorized")
_TOO_MANY = GHLHTTPError(429, "Too many requests", "Too Many Requests")


class StandinGate:
    """ASGI middleware: auth, rate limit, faults and request log for every GHL-API request.

    With `fast_paths`, the hot requests of a dispatch step are answered by standin_fast instead
    of the FastAPI routes (same answers, a fraction of the CPU).
    """

    def __init__(self, app: ASGIApp, state: StandinState, fast_paths: bool = True) -> None:
        self.app = app
        self.state = state
        self.fast_paths = fast_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith((ADMIN_PREFIX, "/docs", "/openapi.json")):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        location = self.state.location_for_token(_bearer(scope))
        record = self.state.log_request(scope["method"], path, location.location_id if location else None)
        if location is None:
            status = await _send_error(send, _UNAUTHORIZED, [])
        else:
            status = await self._admitted(scope, receive, send, location, record)
        record["status"] = status
        record["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)

    async def _admitted(
        self, scope: Scope, receive: Receive, send: Send, location: LocationData, record: dict[str, Any]
    ) -> int:
        """Rate window, faults, then the route; the answer's status."""
        admitted = self.state.admit(location)
        headers = _raw_headers(self.state.rate_headers(location))
        if not admitted:
            return await _send_error(send, _TOO_MANY, headers)
        # Read the whole body now: if the client gives up during a held "timeout", uvicorn would
        # hand the app a disconnect instead of the body and the (late) effect could not happen.
        body = await _read_body(receive)
        faults = self.state.faults
        fault = self.state.draw_fault(location.location_id)
        record["fault"] = fault
        if faults.latency_ms and (faults.location_id in (None, location.location_id)):
            await asyncio.sleep(faults.latency_ms / 1000)
        if fault == "timeout":
            await asyncio.sleep(faults.timeout_hold_s)
        if fault == "429":
            return await _send_error(send, _TOO_MANY, headers)
        server_error = GHLHTTPError(faults.status_5xx_code, "Internal server error", "Internal Server Error")
        if fault == "5xx" and not faults.status_5xx_after_effect:
            return await _send_error(send, server_error, headers)
        scope[LOCATION_SCOPE_KEY] = location
        swallow = fault == "5xx"  # the effect happens, the answer is the 5xx (ISS-6)
        answer = fast_answer(scope, body, location) if self.fast_paths else None
        if answer is None:
            status = await self._run_app(scope, body, send, headers, swallow=swallow)
        else:
            status = answer.status
            if not swallow:
                await _send_answer(send, status, answer.body, [*answer.headers, *headers])
        if swallow:
            status = await _send_error(send, server_error, headers)
        return status

    async def _run_app(
        self, scope: Scope, body: bytes, send: Send, headers: list[tuple[bytes, bytes]], *, swallow: bool
    ) -> int:
        """Run the route with the buffered body; add the rate headers; drop its answer if `swallow`."""
        status = 500
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            if not swallow:
                await send(message)

        await self.app(scope, replay, send_with_headers)
        return status


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def create_standin_app(config: StandinConfig | None = None, *, fast_paths: bool = True) -> FastAPI:
    """A fresh stand-in (empty state) as an ASGI app; `app.state.standin` is its StandinState.

    `fast_paths=False` serves every request through the FastAPI routes (to compare answers).
    """
    state = StandinState(config)
    # No OpenTelemetry from a fake GHL: FastAPI's native telemetry otherwise checks the global
    # providers on every request.
    app = FastAPI(
        title="GHL API v2 stand-in",
        description=__doc__,
        docs_url="/docs",
        redoc_url=None,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.standin = state
    app.include_router(standin_routes.conversations)
    app.include_router(standin_routes.contacts)
    app.include_router(standin_routes.opportunities)
    app.include_router(standin_admin.router)

    @app.exception_handler(GHLHTTPError)
    async def _ghl_error(request: Request, exc: GHLHTTPError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _routing_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # An unknown path or method: GHL (NestJS) says e.g. "Cannot GET /contacts/x/nope".
        status = exc.status_code
        message = f"Cannot {request.method} {request.url.path}" if status in (404, 405) else str(exc.detail)
        return GHLHTTPError(status, message, "Not Found" if status == 404 else None).response()

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # GHL (NestJS) answers 422 with a list of messages, e.g. "property locationId should not exist".
        messages = []
        for err in exc.errors():
            field = ".".join(str(part) for part in err["loc"] if part != "body")
            if err["type"] == "extra_forbidden":
                messages.append(f"property {field} should not exist")
            else:
                messages.append(f"{field}: {err['msg']}")
        return GHLHTTPError(422, messages, "Unprocessable Entity").response()

    app.add_middleware(StandinGate, state=state, fast_paths=fast_paths)
    return app


@dataclass
class StandinHandle:
    """A running stand-in: where it listens and its admin client."""

    base_url: str
    admin: StandinAdmin
    app: FastAPI


def _uvicorn_config(app: FastAPI, **kwargs: Any) -> uvicorn.Config:
    # log_config=None: leave the host process's logging alone (tests, benchmarks, the demo).
    return uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=1, **kwargs
    )


@contextmanager
def run_standin_in_thread(
    host: str = "127.0.0.1", port: int = 0, *, config: StandinConfig | None = None, fast_paths: bool = True
) -> Iterator[StandinHandle]:
    """Serve a fresh stand-in from a background thread (port 0 = a free port); stop it on exit."""
    app = create_standin_app(config, fast_paths=fast_paths)
    sock = socket.create_server((host, port))
    actual_port = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(app))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"ghl-standin:{actual_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"the GHL stand-in did not start on {host}:{actual_port}")
        time.sleep(0.01)
    base_url = f"http://{host}:{actual_port}"
    admin = StandinAdmin(base_url)
    try:
        yield StandinHandle(base_url=base_url, admin=admin, app=app)
    finally:
        admin.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def main(host: str = "127.0.0.1", port: int = 8765, config: StandinConfig | None = None) -> None:
    """Serve the stand-in in the foreground until interrupted (`hub ghl-standin`)."""
    # No access log: the stand-in keeps its own request log (GET /_standin/requests), and formatting
    # and writing a line per request cost ~0.1 ms of CPU.
    uvicorn.run(
        create_standin_app(config), host=host, port=port, log_level="info", lifespan="off", access_log=False
    )

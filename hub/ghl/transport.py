"""The resilient request path under every GHLClient call: pacing, breaker, retries, error mapping.

One call = up to `max_attempts` attempts (tenacity). One attempt =
    breaker check (CircuitOpenError, nothing sent) -> rate-limiter slot (blocks) -> HTTP request ->
    X-RateLimit-* headers recorded -> answer mapped once to hub.errors (error_map).

Retry rule (the part that protects leads from duplicate texts):
- 429 is always retried: GHL's limiter refused the request before doing anything. The wait is the
  exponential backoff with jitter but at least X-RateLimit-Interval-Milliseconds (ghl-api.md §4.1:
  no Retry-After; back off by the interval). Not retried when X-RateLimit-Daily-Remaining is 0.
- A connection that could not be opened (connect error/timeout, pool timeout) is always retried:
  nothing was sent.
- A read timeout, dropped connection or 5xx is retried only for idempotent endpoints (GET, PUT,
  search, tag add/remove). For the others (POST /conversations/messages, notes, tasks, upsert) the
  request may already have taken effect — GHL even answers 500 for requests it processed (ISS-6) —
  so the call fails at once with GHLOutcomeUnknownError and the caller (the send ledger) reconciles.
- Any other 4xx is final. CircuitOpenError is final.

Concurrent calls in one thread (the dispatcher's batches): inside `concurrent()`, code running in a
greenlet (SQLAlchemy's `greenlet_spawn`, one per lead) that enters `yield_point()` sends its
request with an httpx.AsyncClient and waits for rate-limit slots and retries with asyncio.sleep,
so the other leads' code runs meanwhile. Same attempt, breaker, limiter and retry rule: only the
I/O and the waiting differ. Everywhere else (and with a sync-only test transport) calls block.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from hub.errors import GHLError, GHLRateLimitError, GHLServerError, GHLTransportError
from hub.ghl.breaker import LocationBreakers
from hub.ghl.endpoints import Endpoint
from hub.ghl.error_map import error_for_status, error_for_transport, parse_rate_limit
from hub.ghl.models import RateLimitState
from hub.ghl.rate_limit import InProcessRateLimiter, RateLimiter
from hub.metrics import record_ghl_rate_limited
from hub.settings import GHLSettings

log = logging.getLogger("hub.ghl")

TokenProvider = Callable[[str], SecretStr]
"""Returns the API token of a location (OAuth access token or Private Integration Token)."""

BACKOFF_INITIAL_S = 0.5
# A connection for every lead of a batch (hub.workflows.dispatch.BATCH = 25): a request must leave
# as soon as its rate-limit slot is granted. Queued in the pool behind busy connections it arrived
# late, bunched with later grants, and GHL's window counted more than 100 (429s in the bench with a
# pool of 8). More idle connections cost CPU (httpcore scans them all for every request).
ASYNC_LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=32)
_YIELD_OK: ContextVar[bool] = ContextVar("hub_ghl_yield_ok", default=False)


@contextmanager
def yield_point() -> Iterator[None]:
    """Mark GHL calls that may let other leads' code run while they wait (module docstring).
    Only for code that has nothing uncommitted in a session shared with those leads."""
    token = _YIELD_OK.set(True)
    try:
        yield
    finally:
        _YIELD_OK.reset(token)


class RequestPath:
    """Sends one logical GHL call with pacing, per-location breaker and tenacity retries."""

    def __init__(
        self,
        settings: GHLSettings,
        tokens: TokenProvider,
        *,
        transport: httpx.BaseTransport | None,
        limiter: RateLimiter | None,
        sleep: Callable[[float], None],
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._async: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
        self._ssl: ssl.SSLContext | None = None
        self._tokens = tokens
        self._sleep = sleep
        self.limiter: RateLimiter = (
            limiter if limiter is not None else InProcessRateLimiter.from_settings(settings)
        )
        self.breakers = LocationBreakers(settings.breaker_fail_max, settings.breaker_reset_s)
        self._http = httpx.Client(
            base_url=settings.base_url,
            transport=transport,
            timeout=settings.timeout_s,
            headers={"Accept": "application/json"},
        )
        # What Client.build_request adds to every request, computed once (_request).
        self._base_url = str(self._http.base_url).rstrip("/")
        self._default_headers = dict(self._http.headers)
        self._extensions = {"timeout": self._http.timeout.as_dict()}
        self._states: dict[str, RateLimitState] = {}
        self._states_lock = threading.Lock()
        self._backoff = wait_exponential_jitter(
            initial=BACKOFF_INITIAL_S, max=settings.backoff_max_s, jitter=BACKOFF_INITIAL_S
        )

    def close(self) -> None:
        """Close the pooled HTTP connections (those of idle event loops too)."""
        self._http.close()
        with self._states_lock:
            clients, self._async = self._async, {}
        for loop, client in clients.items():
            if not loop.is_closed() and not loop.is_running():
                loop.run_until_complete(client.aclose())

    @asynccontextmanager
    async def concurrent(self) -> AsyncIterator[None]:
        """Let `yield_point()` calls made from greenlets of the running event loop run concurrently.
        A test transport that is sync only keeps every call blocking (still correct, not concurrent).
        The loop's AsyncClient stays open after the block (closed by `close()`): a dispatcher thread
        reuses its loop, and a fresh pool would open new connections for every batch, and a request
        waiting for its connection after its rate-limit slot was granted arrives late (429s)."""
        loop = asyncio.get_running_loop()
        transport = self._transport
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            yield
            return
        if self._ssl is None:  # building it loads the CA bundle: once per client, not per batch
            self._ssl = httpx.create_ssl_context()
        with self._states_lock:
            if loop not in self._async:
                self._async[loop] = httpx.AsyncClient(
                    base_url=self.settings.base_url,
                    transport=transport,  # checked above: also async
                    timeout=self.settings.timeout_s,
                    headers={"Accept": "application/json"},
                    verify=self._ssl,
                    limits=ASYNC_LIMITS,
                )
        yield

    def _async_client(self) -> httpx.AsyncClient | None:
        """The AsyncClient to await on, when this call may yield (module docstring)."""
        if not self._async or not _YIELD_OK.get() or not in_greenlet():
            return None
        try:
            return self._async.get(asyncio.get_running_loop())
        except RuntimeError:
            return None

    def _pause(self, seconds: float) -> None:
        # An injected sleep (tests) is honoured in both modes.
        if self._sleep is time.sleep and self._async_client() is not None:
            await_only(asyncio.sleep(seconds))
        else:
            self._sleep(seconds)

    async def _acquire_async(self, location_id: str) -> None:
        try_acquire = getattr(self.limiter, "try_acquire", None)
        if try_acquire is None:
            self.limiter.acquire(location_id)  # a limiter that can only block: block the loop
            return
        while (wait_s := try_acquire(location_id)) > 0:
            await asyncio.sleep(wait_s)

    def rate_limit_state(self, location_id: str) -> RateLimitState | None:
        """The X-RateLimit-* headers of the latest answer for `location_id`, if any."""
        with self._states_lock:
            return self._states.get(location_id)

    def call(
        self,
        endpoint: Endpoint,
        location_id: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send the call, retrying per the module's rule; return the 2xx answer or raise GHLError."""
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: self._retryable(exc, location_id)),
            sleep=self._pause,
            before_sleep=lambda state: self._log_retry(endpoint, location_id, state),
            reraise=True,
        )
        return retrying(self._attempt, endpoint, location_id, path, json, params)

    def _attempt(
        self,
        endpoint: Endpoint,
        location_id: str,
        path: str,
        json: Mapping[str, Any] | None,
        params: Mapping[str, str] | None,
    ) -> httpx.Response:
        call = f"{endpoint.method} {path}"
        request = self._request(endpoint, location_id, path, json, params)
        # The breaker is checked before a rate-limit slot is taken: calls refused while it is open
        # must neither use up the location's budget nor wait for a slot.
        with self.breakers.guard(location_id):
            started = time.perf_counter()
            try:
                response = self._send(request, location_id)
            except httpx.TransportError as exc:
                log.debug("GHL %s location=%s -> %s", call, location_id, type(exc).__name__)
                raise error_for_transport(
                    exc, call=call, location_id=location_id, idempotent=endpoint.idempotent
                ) from exc
            self._record(location_id, response)
            if response.status_code == 429:
                record_ghl_rate_limited(endpoint.name, location_id)
            log.debug(
                "GHL %s location=%s -> %d in %.0f ms",
                call,
                location_id,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
            if response.status_code >= 500:
                # Raised inside the guard so the breaker counts it; 4xx/429 below count as success.
                raise self._error(endpoint, call, location_id, response)
        if response.status_code >= 400:
            raise self._error(endpoint, call, location_id, response)
        return response

    def _send(self, request: httpx.Request, location_id: str) -> httpx.Response:
        """Take the location's rate-limit slot, then send. On the concurrent path over the network
        the slot is taken when the request's first bytes are about to leave on a ready connection
        (httpcore's trace hook): a request that waited for a connection after its grant would
        arrive late, bunched with later grants, and GHL's window would count too many (429)."""
        concurrent = self._async_client()
        if concurrent is None:
            self.limiter.acquire(location_id)
            return self._send_blocking(request)
        if self._transport is not None:  # not httpcore (a test transport): no trace events
            await_only(self._acquire_async(location_id))
            return await_only(concurrent.send(request))

        async def on_trace(event: str, _info: dict[str, Any]) -> None:
            if event in ("http11.send_request_headers.started", "http2.send_request_headers.started"):
                await self._acquire_async(location_id)

        request.extensions["trace"] = on_trace
        return await_only(concurrent.send(request))

    def _error(self, endpoint: Endpoint, call: str, location_id: str, response: httpx.Response) -> GHLError:
        return error_for_status(
            response,
            call=call,
            location_id=location_id,
            idempotent=endpoint.idempotent,
            default_interval_s=self.settings.rate_limit_interval_s,
        )

    def _request(
        self,
        endpoint: Endpoint,
        location_id: str,
        path: str,
        json: Mapping[str, Any] | None,
        params: Mapping[str, str] | None,
    ) -> httpx.Request:
        """The request Client.build_request would build (same URL, headers and timeout), without
        merging client defaults, cookies and URLs again for every call."""
        headers = dict(self._default_headers)
        headers["Authorization"] = f"Bearer {self._tokens(location_id).get_secret_value()}"
        headers["Version"] = endpoint.version
        return httpx.Request(
            endpoint.method,
            self._base_url + path,
            params=params,
            headers=headers,
            json=json,
            extensions=self._extensions,
        )

    def _send_blocking(self, request: httpx.Request) -> httpx.Response:
        """Send on the client's transport (its proxy mount, when the environment names one) and read
        the body: what Client.send does minus its cookie jar, auth flow and redirect loop, which a
        bearer-token JSON API without redirects does not use and which cost more CPU than the
        request itself (bench/README.md, "Workflow dispatch")."""
        transport = self._http._transport_for_url(request.url)
        response = transport.handle_request(request)
        response.request = request
        try:
            response.read()
        finally:
            response.close()
        return response

    def _record(self, location_id: str, response: httpx.Response) -> None:
        state = parse_rate_limit(response.headers)
        if state is not None:
            with self._states_lock:
                self._states[location_id] = state

    def _retryable(self, exc: BaseException, location_id: str) -> bool:
        if isinstance(exc, GHLRateLimitError):
            state = self.rate_limit_state(location_id)
            return not (state is not None and state.daily_remaining == 0)
        # GHLOutcomeUnknownError and CircuitOpenError are deliberately not in this tuple.
        return isinstance(exc, GHLServerError | GHLTransportError)

    def _wait(self, state: RetryCallState) -> float:
        wait_s = float(self._backoff(state))
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, GHLRateLimitError):
            wait_s = max(wait_s, exc.retry_after_s)
        return wait_s

    def _log_retry(self, endpoint: Endpoint, location_id: str, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        wait_s = state.next_action.sleep if state.next_action is not None else 0.0
        log.info(
            "GHL %s for location %s failed (%s, status %s); attempt %d/%d, retrying in %.2fs",
            endpoint.name,
            location_id,
            type(exc).__name__,
            getattr(exc, "status", "-"),
            state.attempt_number,
            self.settings.max_attempts,
            wait_s,
        )

"""The one place a GHL HTTP answer or transport failure becomes a `hub.errors` exception.

    401, 403          -> GHLAuthError
    404               -> GHLNotFoundError
    429               -> GHLRateLimitError (retry_after_s from X-RateLimit-Interval-Milliseconds)
    other 4xx         -> GHLValidationError (GHL's `message`, a string or a list, in `.detail`)
    5xx               -> GHLServerError, or GHLOutcomeUnknownError for a non-idempotent call
    connect failure   -> GHLTransportError (nothing left us: safe to retry anything)
    other transport   -> GHLTransportError, or GHLOutcomeUnknownError for a non-idempotent call

Every message names the location and the call and says what to do; none contains the token (the
request headers are never formatted into a message).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from hub.errors import (
    GHLAuthError,
    GHLError,
    GHLNotFoundError,
    GHLOutcomeUnknownError,
    GHLRateLimitError,
    GHLServerError,
    GHLTransportError,
    GHLValidationError,
)
from hub.ghl.models import RateLimitState

# These failures happen before a single byte of the request reaches GHL.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimitState | None:
    """The `X-RateLimit-*` headers as a RateLimitState, or None when the answer carried none."""
    state = RateLimitState(
        max=_int_header(headers, "X-RateLimit-Max"),
        remaining=_int_header(headers, "X-RateLimit-Remaining"),
        interval_ms=_int_header(headers, "X-RateLimit-Interval-Milliseconds"),
        limit_daily=_int_header(headers, "X-RateLimit-Limit-Daily"),
        daily_remaining=_int_header(headers, "X-RateLimit-Daily-Remaining"),
        observed_at=time.monotonic(),
    )
    present = state.model_dump(exclude={"observed_at"}, exclude_none=True)
    return state if present else None


def ghl_message(response: httpx.Response) -> object:
    """GHL's `message` from an error body (`{"statusCode", "message", "error"?}`), else the raw text."""
    try:
        body: Any = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict) and "message" in body:
        return body["message"]
    return body


def error_for_status(
    response: httpx.Response,
    *,
    call: str,
    location_id: str,
    idempotent: bool,
    default_interval_s: float,
) -> GHLError:
    """The exception for an answer with status 400 or above."""
    status = response.status_code
    detail = ghl_message(response)
    where = f"GHL {call} for location {location_id}"
    kwargs: dict[str, Any] = {"status": status, "location_id": location_id, "detail": detail}
    if status in (401, 403):
        return GHLAuthError(
            f"{where} was refused ({status}: {detail}); re-authorise the location or check that its "
            f"token has the scope and belongs to this location.",
            **kwargs,
        )
    if status == 404:
        return GHLNotFoundError(f"{where}: not found in this location (404: {detail}).", **kwargs)
    if status == 429:
        interval_ms = _int_header(response.headers, "X-RateLimit-Interval-Milliseconds")
        retry_after_s = interval_ms / 1000 if interval_ms else default_interval_s
        daily_left = _int_header(response.headers, "X-RateLimit-Daily-Remaining")
        budget = "daily budget is used up" if daily_left == 0 else "burst limit was exceeded"
        return GHLRateLimitError(
            f"{where} was rate-limited (429: the {budget}); try again in {retry_after_s:g}s or later.",
            retry_after_s=retry_after_s,
            **kwargs,
        )
    if status < 500:
        return GHLValidationError(
            f"{where} was rejected ({status}: {detail}); fix the request fields GHL names.", **kwargs
        )
    if not idempotent:
        # GHL has answered 500 for requests it processed (ISS-6, ISS-70): a send may have gone out.
        return GHLOutcomeUnknownError(
            f"{where} answered {status} after receiving the request; it may have taken effect, so it "
            f"was not retried. Reconcile (e.g. look for the message in the conversation) before resending.",
            **kwargs,
        )
    return GHLServerError(f"{where} failed with {status}: {detail}; GHL may be degraded.", **kwargs)


def error_for_transport(
    exc: httpx.TransportError, *, call: str, location_id: str, idempotent: bool
) -> GHLError:
    """The exception for a request that got no HTTP answer."""
    kind = type(exc).__name__
    where = f"GHL {call} for location {location_id}"
    if isinstance(exc, NEVER_SENT):
        return GHLTransportError(
            f"{where} could not reach GHL ({kind}); nothing was sent. "
            "Check HUB_GHL_BASE_URL and the network.",
            location_id=location_id,
            detail=kind,
        )
    if not idempotent:
        return GHLOutcomeUnknownError(
            f"{where} got no answer after the request left ({kind}); it may have taken effect, so it "
            f"was not retried. Reconcile before resending.",
            location_id=location_id,
            detail=kind,
        )
    return GHLTransportError(f"{where} got no answer ({kind}).", location_id=location_id, detail=kind)


def error_for_bad_body(
    response: httpx.Response, *, call: str, location_id: str, idempotent: bool, problem: str
) -> GHLError:
    """The exception for a 2xx answer whose body is not what the endpoint documents (ISS-70)."""
    message = (
        f"GHL {call} for location {location_id} answered {response.status_code} "
        f"with an unexpected body: {problem}"
    )
    kwargs: dict[str, Any] = {"status": response.status_code, "location_id": location_id, "detail": problem}
    if not idempotent:
        # A 2xx means GHL accepted the request: the effect probably happened, we just cannot read it.
        return GHLOutcomeUnknownError(
            message + "; it probably took effect. Reconcile before resending.", **kwargs
        )
    return GHLServerError(message, **kwargs)

"""The request path under GHLClient: error mapping, the retry rule, back-off, breaker, secrecy."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from hub.errors import (
    CircuitOpenError,
    GHLAuthError,
    GHLError,
    GHLNotFoundError,
    GHLOutcomeUnknownError,
    GHLRateLimitError,
    GHLServerError,
    GHLTransportError,
    GHLValidationError,
    ServiceUnreachableError,
)
from hub.ghl.client import GHLClient
from hub.ghl.models import ContactFields
from hub.ghl.rate_limit import InProcessRateLimiter, RedisRateLimiter
from tests.hub.ghl.conftest import TOKENS, Recorder, ghl_error, make_contact, make_settings, token_for

CONTACT_OK = httpx.Response(200, json={"contact": make_contact()})
SENT_OK = httpx.Response(200, json={"conversationId": "Cv1", "messageId": "Ms1"})
DUE = datetime(2026, 9, 11, tzinfo=UTC)


def get(client: GHLClient) -> Any:
    return client.get_contact("LocA", "Ct1")


def send(client: GHLClient) -> Any:
    return client.send_sms("LocA", "Ct1", "hello")


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def connect_error(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        (400, "Cannot send message as DND is active for SMS.", GHLValidationError),
        (401, "Invalid token: access token is invalid", GHLAuthError),
        (403, "The token does not have access to this location.", GHLAuthError),
        (404, "Contact not found", GHLNotFoundError),
        (422, ["property locationId should not exist"], GHLValidationError),
    ],
)
def test_4xx_is_mapped_once_and_not_retried(status: int, message: object, error: type[GHLError]) -> None:
    ghl = Recorder(ghl_error(status, message))
    with pytest.raises(error) as caught:
        get(ghl.client())
    assert type(caught.value) is error
    assert (caught.value.status, caught.value.location_id, caught.value.detail) == (status, "LocA", message)
    assert "LocA" in str(caught.value) and "GET /contacts/Ct1" in str(caught.value)
    assert len(ghl.requests) == 1


def test_a_read_is_retried_through_5xx_until_it_succeeds() -> None:
    sleeps: list[float] = []
    ghl = Recorder(ghl_error(500), ghl_error(502), CONTACT_OK)
    assert get(ghl.client(sleep=sleeps.append)).id == "CtA19fe02Lm"
    assert len(ghl.requests) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    ("reply", "error"), [(ghl_error(503), GHLServerError), (read_timeout, GHLTransportError)]
)
def test_a_read_gives_up_after_max_attempts(reply: Any, error: type[GHLError]) -> None:
    ghl = Recorder(reply)
    with pytest.raises(error) as caught:
        get(ghl.client(make_settings(max_attempts=3)))
    assert type(caught.value) is error
    assert len(ghl.requests) == 3


NON_IDEMPOTENT: list[Callable[[GHLClient], Any]] = [
    send,
    lambda c: c.send_email("LocA", "Ct1", "Subject", "<p>x</p>"),
    lambda c: c.create_note("LocA", "Ct1", "note"),
    lambda c: c.create_task("LocA", "Ct1", "Call", DUE),
    lambda c: c.upsert_contact("LocA", ContactFields(phone="+15125550143")),
]


@pytest.mark.parametrize("call", NON_IDEMPOTENT, ids=["sms", "email", "note", "task", "upsert"])
@pytest.mark.parametrize(
    "reply", [ghl_error(500), ghl_error(503), read_timeout], ids=["500", "503", "timeout"]
)
def test_a_write_that_may_have_taken_effect_is_never_retried(
    call: Callable[[GHLClient], Any], reply: Any
) -> None:
    ghl = Recorder(reply, SENT_OK)
    with pytest.raises(GHLOutcomeUnknownError, match="may have taken effect") as caught:
        call(ghl.client())
    assert not isinstance(caught.value, GHLTransportError | GHLServerError)
    assert caught.value.location_id == "LocA"
    assert len(ghl.requests) == 1


@pytest.mark.parametrize("reply", [ghl_error(429), connect_error], ids=["429", "connect-error"])
def test_a_send_is_retried_when_ghl_surely_did_nothing(reply: Any) -> None:
    ghl = Recorder(reply, SENT_OK)
    assert send(ghl.client()).message_id == "Ms1"
    assert len(ghl.requests) == 2


def test_a_send_that_never_reaches_ghl_ends_as_a_transport_error() -> None:
    ghl = Recorder(connect_error)
    with pytest.raises(GHLTransportError, match="nothing was sent"):
        send(ghl.client(make_settings(max_attempts=2)))
    assert len(ghl.requests) == 2


def test_a_429_waits_at_least_the_rate_limit_interval_hint() -> None:
    sleeps: list[float] = []
    hinted = ghl_error(429, "Too many requests", **{"X-RateLimit-Interval-Milliseconds": "1500"})
    ghl = Recorder(hinted, hinted, CONTACT_OK)
    get(ghl.client(make_settings(backoff_max_s=0.05), sleep=sleeps.append))
    assert len(sleeps) == 2
    assert all(s >= 1.5 for s in sleeps)


def test_a_429_without_hint_waits_the_configured_interval_and_5xx_waits_the_backoff() -> None:
    sleeps: list[float] = []
    ghl = Recorder(ghl_error(429), ghl_error(500), CONTACT_OK)
    get(ghl.client(make_settings(rate_limit_interval_s=0.75, backoff_max_s=0.05), sleep=sleeps.append))
    assert sleeps[0] >= 0.75
    assert 0 < sleeps[1] <= 0.05


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    sleeps: list[float] = []
    ghl = Recorder(ghl_error(500))
    settings = make_settings(max_attempts=6, backoff_max_s=3.0, breaker_fail_max=10)
    with pytest.raises(GHLServerError):
        get(ghl.client(settings, sleep=sleeps.append))
    # 0.5 s doubling per attempt, plus up to 0.5 s of jitter, capped at backoff_max_s.
    bounds = [(0.5, 1.0), (1.0, 1.5), (2.0, 2.5), (3.0, 3.0), (3.0, 3.0)]
    assert len(sleeps) == len(bounds)
    for slept, (low, high) in zip(sleeps, bounds, strict=True):
        assert low <= slept <= high


def test_rate_limit_error_says_when_to_retry_after_the_last_attempt() -> None:
    ghl = Recorder(ghl_error(429, **{"X-RateLimit-Interval-Milliseconds": "10000"}))
    with pytest.raises(GHLRateLimitError) as caught:
        get(ghl.client(make_settings(max_attempts=2)))
    assert caught.value.retry_after_s == 10.0
    assert len(ghl.requests) == 2


def test_an_exhausted_daily_budget_is_not_retried() -> None:
    ghl = Recorder(
        ghl_error(429, **{"X-RateLimit-Daily-Remaining": "0", "X-RateLimit-Interval-Milliseconds": "10"})
    )
    with pytest.raises(GHLRateLimitError, match="daily budget"):
        get(ghl.client())
    assert len(ghl.requests) == 1


def test_the_breaker_opens_after_consecutive_failures_and_stops_sending() -> None:
    ghl = Recorder(ghl_error(503))
    client = ghl.client(make_settings(breaker_fail_max=3, max_attempts=5))
    with pytest.raises(CircuitOpenError, match="LocA") as caught:
        get(client)
    assert caught.value.location_id == "LocA"
    assert len(ghl.requests) == 3  # the 4th attempt met the open breaker
    assert client.breaker_state("LocA") == "open"
    with pytest.raises(CircuitOpenError):
        get(client)
    assert len(ghl.requests) == 3
    # Other locations are not affected.
    ghl.replies = [CONTACT_OK]
    assert client.get_contact("LocB", "Ct1").id == "CtA19fe02Lm"
    assert client.breaker_state("LocB") == "closed"


def test_the_breaker_half_opens_after_the_reset_timeout() -> None:
    ghl = Recorder(ghl_error(500))
    client = ghl.client(make_settings(breaker_fail_max=2, max_attempts=2, breaker_reset_s=0.2))
    with pytest.raises(GHLServerError):
        get(client)
    assert client.breaker_state("LocA") == "open"
    time.sleep(0.25)
    # The trial request fails: open again, and the retry is refused without sending.
    with pytest.raises(CircuitOpenError):
        get(client)
    assert len(ghl.requests) == 3
    time.sleep(0.25)
    ghl.replies = [CONTACT_OK]
    assert get(client).id == "CtA19fe02Lm"
    assert client.breaker_state("LocA") == "closed"
    assert len(ghl.requests) == 4


def test_4xx_and_429_do_not_trip_the_breaker() -> None:
    ghl = Recorder(ghl_error(404), ghl_error(404), ghl_error(429), ghl_error(404))
    client = ghl.client(make_settings(breaker_fail_max=2, max_attempts=1))
    for _ in range(4):
        with pytest.raises(GHLError):
            get(client)
    assert client.breaker_state("LocA") == "closed"


def test_tokens_never_reach_logs_messages_or_reprs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ghl = Recorder(CONTACT_OK, ghl_error(500), CONTACT_OK, ghl_error(401, "Invalid token"), read_timeout)
    client = ghl.client(make_settings(max_attempts=2))
    errors: list[BaseException] = []
    get(client)
    get(client)
    for call in (get, get, send):
        try:
            call(client)
        except GHLError as exc:
            errors.append(exc)
    assert [type(e) for e in errors] == [GHLAuthError, GHLTransportError, GHLOutcomeUnknownError]
    assert "LocA" in caplog.text and "retrying" in caplog.text  # the log did record the calls
    texts = [caplog.text, repr(client), str(client), *(str(e) for e in errors), *(repr(e) for e in errors)]
    texts += [str(e.__cause__) for e in errors if e.__cause__ is not None]
    for text in texts:
        for token in TOKENS.values():
            assert token not in text


def test_calls_refused_by_an_open_breaker_use_no_rate_limit_slots() -> None:
    ghl = Recorder(ghl_error(500))
    limiter = InProcessRateLimiter(2, 2.0)
    client = ghl.client(make_settings(breaker_fail_max=2, max_attempts=2), limiter=limiter)
    with pytest.raises(GHLServerError):
        get(client)  # two attempts: both slots of the window used, breaker open
    started = time.monotonic()
    for _ in range(5):
        with pytest.raises(CircuitOpenError):
            get(client)
    assert time.monotonic() - started < 0.5  # no waiting for a slot that the refusals do not need
    assert len(ghl.requests) == 2


def test_a_rate_limiter_outage_does_not_open_the_breaker() -> None:
    dead_redis = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    ghl = Recorder(CONTACT_OK)
    client = ghl.client(make_settings(breaker_fail_max=1), limiter=RedisRateLimiter(dead_redis, 10, 1.0))
    for _ in range(2):
        with pytest.raises(ServiceUnreachableError, match="HUB_REDIS_URL"):
            get(client)
    assert client.breaker_state("LocA") == "closed"
    assert ghl.requests == []


@pytest.mark.parametrize(
    ("path", "json", "params"),
    [
        ("/contacts/Ct1", None, None),
        ("/conversations/messages", {"type": "SMS", "contactId": "Ct1", "message": "hi"}, None),
        ("/opportunities/pipelines", None, {"locationId": "LocA"}),
    ],
    ids=["get", "post-json", "query"],
)
def test_requests_are_built_as_httpx_client_would_build_them(
    path: str, json: dict[str, Any] | None, params: dict[str, str] | None
) -> None:
    """The request path builds requests itself (no per-call client merging) and sends them on the
    client's transport: the wire request must stay the one httpx.Client.build_request makes."""
    from hub.ghl import endpoints as ep
    from hub.ghl.transport import RequestPath

    settings = make_settings(base_url="https://ghl.test/v2")
    path_ = RequestPath(settings, token_for, transport=None, limiter=None, sleep=time.sleep)
    endpoint = ep.SEND_MESSAGE if json else ep.GET_CONTACT
    ours = path_._request(endpoint, "LocA", path, json, params)
    theirs = path_._http.build_request(
        endpoint.method,
        path,
        json=json,
        params=params,
        headers={"Authorization": f"Bearer {TOKENS['LocA']}", "Version": endpoint.version},
    )
    assert (ours.method, str(ours.url)) == (theirs.method, str(theirs.url))
    assert ours.headers.multi_items() == theirs.headers.multi_items()
    assert ours.content == theirs.content
    assert ours.extensions == theirs.extensions
    path_.close()

"""Builders and fixtures for the GHL client and stand-in tests.

The only fake is GHL itself: `Recorder` is a `Request -> Response` function for httpx.MockTransport,
and `standin` is the real stand-in HTTP server on a loopback port.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.settings import GHLSettings
from tests.standin_fixtures import registered
from tests.standin_fixtures import standin_server as standin_server

TOKENS = {"LocA": "tok-A-3f9c1e", "LocB": "tok-B-77d2aa"}


def token_for(location_id: str) -> SecretStr:
    """The TokenProvider the tests use: one distinct token per location."""
    return SecretStr(TOKENS[location_id])


def make_settings(**overrides: Any) -> GHLSettings:
    """GHLSettings for tests: fast back-off, never the real GHL."""
    values: dict[str, Any] = {
        "base_url": "https://ghl.test",
        "timeout_s": 2.0,
        "max_attempts": 4,
        "backoff_max_s": 0.05,
        "breaker_fail_max": 5,
        "breaker_reset_s": 30.0,
    }
    values.update(overrides)
    return GHLSettings(**values)


def make_contact(**overrides: Any) -> dict[str, Any]:
    """A GHL-shaped contact body."""
    contact: dict[str, Any] = {
        "id": "CtA19fe02Lm",
        "locationId": "LocA",
        "firstName": "Dana",
        "lastName": "Ruiz",
        "name": "Dana Ruiz",
        "email": "dana@example.com",
        "phone": "+15125550143",
        "dnd": False,
        "dndSettings": {"SMS": {"status": "inactive", "message": "", "code": ""}},
        "tags": ["buyer"],
    }
    contact.update(overrides)
    return contact


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A scripted GHL: answers each request with the next reply (the last one repeats)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies) or [httpx.Response(200, json={})]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)

    def client(self, settings: GHLSettings | None = None, **kwargs: Any) -> GHLClient:
        """A GHLClient whose transport is this recorder."""
        kwargs.setdefault("sleep", lambda _s: None)
        return GHLClient(
            settings or make_settings(), token_for, transport=httpx.MockTransport(self), **kwargs
        )


def ghl_error(status: int, message: object = "boom", **headers: str) -> httpx.Response:
    """An error answer in GHL's shape."""
    return httpx.Response(status, json={"statusCode": status, "message": message}, headers=headers)


@pytest.fixture
def standin(standin_server: StandinHandle) -> StandinHandle:
    """The module's stand-in, reset, with LocA and LocB registered under their tokens."""
    return registered(standin_server, TOKENS)

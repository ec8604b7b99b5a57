"""Plain answers for the two requests of every dispatch step, without FastAPI's request machinery.

Each dispatch step sends the stand-in `GET /contacts/{id}` (the fresh DND check) and
`POST /conversations/messages`. The benchmark runs the stand-in on the dispatcher's box, and there
FastAPI's routing, dependency solving, exception and exit-stack layers and response classes cost
several times the route's own work: CPU the real GHL would never take from us. So the gate
(standin.py) asks `fast_answer` first, as `api/routes/webhooks.py::MarketplaceReceiver` does for
our own webhook receiver.

The answers are the FastAPI routes' answers: the same functions do the work
(`standin_routes.contact_answer`, `message_answer`), a success is serialised as FastAPI serialises
a `dict[str, Any]` return (pydantic's `dump_json`, `application/json`), and a refusal is the same
`GHLHTTPError` answer. Wherever the route might answer differently (another method or path, a
`Version` header other than the pinned one, another content type, a body that does not parse or
validate) `fast_answer` returns None and the FastAPI route answers instead, with its own 400 or 422.
tests/hub/ghl/test_standin_fast.py checks both give the same answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from starlette.types import Scope

from hub.ghl.standin_bodies import SendMessageBody
from hub.ghl.standin_routes import (
    CONTACTS_VERSION,
    CONVERSATIONS_VERSION,
    GHLHTTPError,
    contact_answer,
    message_answer,
)
from hub.ghl.standin_state import LocationData

CONTACT_PREFIX = "/contacts/"
MESSAGES_PATH = "/conversations/messages"
_JSON_TYPE = b"application/json"
_CONTACTS_VERSION = CONTACTS_VERSION.encode("latin-1")
_CONVERSATIONS_VERSION = CONVERSATIONS_VERSION.encode("latin-1")
# What FastAPI serialises a route's `dict[str, Any]` return with (its response field's adapter).
_RESULT = TypeAdapter(dict[str, Any])


@dataclass(frozen=True, slots=True)
class Answer:
    """A complete HTTP answer: status, body and its raw ASGI headers (before the rate headers)."""

    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]]


def _first_header(scope: Scope, name: bytes) -> bytes | None:
    # Starlette's `Headers.get`, which FastAPI reads `Header()` parameters and the content type
    # with, takes the first of repeated headers; so does this.
    for key, value in scope["headers"]:
        if key == name:
            value_bytes: bytes = value
            return value_bytes
    return None


def _success(result: dict[str, Any]) -> Answer:
    # FastAPI validates the return against dict[str, Any] first: for the JSON-shaped dicts the
    # stand-in holds that is a shallow copy, so the bytes are the same without it.
    body = _RESULT.dump_json(result)
    return Answer(200, body, [(b"content-length", str(len(body)).encode()), (b"content-type", _JSON_TYPE)])


def _answered(route: Callable[[], dict[str, Any]]) -> Answer:
    """The route function's result as FastAPI would answer it: its dict, or its GHLHTTPError."""
    try:
        return _success(route())
    except GHLHTTPError as error:
        response = error.response()  # what the app's GHLHTTPError handler answers
        return Answer(error.status, bytes(response.body), list(response.raw_headers))


def _contact(scope: Scope, location: LocationData) -> Answer | None:
    contact_id = scope["path"][len(CONTACT_PREFIX) :]
    # The route's path is /contacts/{contact_id}: one non-empty segment.
    if not contact_id or "/" in contact_id or _first_header(scope, b"version") != _CONTACTS_VERSION:
        return None
    return _answered(lambda: contact_answer(location, contact_id))


def _message(scope: Scope, body: bytes, location: LocationData) -> Answer | None:
    if (
        _first_header(scope, b"version") != _CONVERSATIONS_VERSION
        or _first_header(scope, b"content-type") != _JSON_TYPE
    ):
        return None
    # Parsed and validated as FastAPI does (json.loads, then the model on the Python value), so
    # exactly the bodies it accepts get here; anything else is the route's 422 to give.
    try:
        message = SendMessageBody.model_validate(json.loads(body))
    except (ValueError, RecursionError):  # pydantic's ValidationError and JSON/UTF-8 errors too
        return None
    return _answered(lambda: message_answer(location, message))


def fast_answer(scope: Scope, body: bytes, location: LocationData) -> Answer | None:
    """The answer to an authorised, admitted request on a hot path; None: let FastAPI answer."""
    method, path = scope["method"], scope["path"]
    if method == "GET" and path.startswith(CONTACT_PREFIX):
        return _contact(scope, location)
    if method == "POST" and path == MESSAGES_PATH:
        return _message(scope, body, location)
    return None


__all__ = ["Answer", "fast_answer"]

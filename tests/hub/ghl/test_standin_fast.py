"""The stand-in's fast paths (standin_fast) answer exactly as its FastAPI routes do.

Two stand-ins get the same seed and the same requests: one serves GET /contacts/{id} and
POST /conversations/messages on the fast path, the other (`fast_paths=False`) through FastAPI.
Their answers must match in status, headers (all but `date`) and body bytes, and they must end up
holding the same messages and request log; the only difference allowed is the random ids a send
creates. `test_fast_answer_takes_the_hot_requests_only` shows which of these requests the fast
path answers itself (`fast=True`) and which it leaves to FastAPI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import pytest
from pydantic import SecretStr

from hub.ghl.standin import StandinHandle, run_standin_in_thread
from hub.ghl.standin_fast import fast_answer
from hub.ghl.standin_state import StandinState
from tests.hub.ghl.conftest import TOKENS
from tests.standin_fixtures import registered

CONTACTS_V, CONV_V, JSON = "2021-07-28", "2021-04-15", "application/json"
AUTH = ("Authorization", f"Bearer {TOKENS['LocA']}")
MESSAGES = "/conversations/messages"
SEND = [AUTH, ("Version", CONV_V), ("Content-Type", JSON)]  # as GHLClient.send_sms sends it
# Ids a send creates are random; everything else must be byte for byte the same.
RANDOM_ID = re.compile(rb'"(Cv|Ms|Em)[0-9a-f]{18}"')
SEEDED = "2026-09-10T15:02:11.120Z"  # a fixed dateAdded, so both stand-ins hold the same contacts
CONTACTS: list[dict[str, Any]] = [
    {
        "id": "CtDana",
        "firstName": "Dána",
        "name": "Dána Ruíz ☃",
        "email": "dana@example.com",
        "phone": "+15125550143",
        "dndSettings": {"SMS": {"status": "inactive", "message": "", "code": ""}},
        "customFields": [{"id": "budget", "value": 412500.5}, {"id": "beds", "value": 3}],
        "score": 1e-7,
        "dateAdded": SEEDED,
    },
    {"id": "CtNoPhone", "firstName": "Eve", "email": "eve@example.com", "dateAdded": SEEDED},
    {
        "id": "CtDnd",
        "firstName": "Fay",
        "phone": "+15125550144",
        "dndSettings": {"SMS": {"status": "active"}},
        "dateAdded": SEEDED,
    },
]


class Case(NamedTuple):
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None
    status: int  # what GHL's stand-in answers
    fast: bool  # answered by standin_fast (else by the FastAPI route)


def sms(contact_id: str, **extra: Any) -> bytes:
    return json.dumps({"type": "SMS", "contactId": contact_id, "message": "Hi Dana ☃", **extra}).encode()


def get(path: str, status: int, fast: bool, *versions: str) -> Case:
    return Case("GET", path, [AUTH, *(("Version", v) for v in versions)], None, status, fast)


def post(body: bytes, status: int, fast: bool, *headers: tuple[str, str]) -> Case:
    return Case("POST", MESSAGES, list(headers) or SEND, body, status, fast)


GETS = [
    get("/contacts/CtDana", 200, True, CONTACTS_V),
    get("/contacts/CtDana?fields=all", 200, True, CONTACTS_V),
    get("/contacts/nope", 404, True, CONTACTS_V),
    get("/contacts/CtLocB", 404, True, CONTACTS_V),  # another location's contact
    get("/contacts/upsert", 404, True, CONTACTS_V),  # a POST route's path is a contact id to GET
    get("/contacts/a%20b", 404, True, CONTACTS_V),
    get("/contacts/CtDana", 400, False, CONV_V),  # wrong Version
    get("/contacts/CtDana", 400, False),  # no Version
    get("/contacts/CtDana", 200, True, CONTACTS_V, CONV_V),  # repeated Version: the first counts
    get("/contacts/CtDana", 400, False, CONV_V, CONTACTS_V),
    get("/contacts/CtDana/", 307, False, CONTACTS_V),  # FastAPI's trailing-slash redirect
    get("/contacts/", 404, False, CONTACTS_V),
    get("/contacts/CtDana/notes", 405, False, CONTACTS_V),
    Case("HEAD", "/contacts/CtDana", [AUTH, ("Version", CONTACTS_V)], None, 405, False),
]
POSTS = [
    post(sms("CtDana"), 200, True),
    post(sms("CtDana", scheduledTimestamp=1.0, attachments=["a"]), 200, True),
    post(b'{"type": "Email", "contactId": "CtDana", "subject": "s", "html": "<p>hi</p>"}', 200, True),
    post(sms("nope"), 404, True),
    post(sms("CtLocB"), 404, True),  # another location's contact
    post(sms("CtNoPhone"), 400, True),
    post(sms("CtDnd"), 400, True),
    post(b'{"type": "SMS", "contactId": "CtDana"}', 400, True),  # SMS without message
    post(sms("CtDana", message=""), 400, True),
    post(sms("CtDana", locationId="LocA"), 422, False),  # "property locationId should not exist"
    post(b'{"type": "SMS", "message": "hi"}', 422, False),  # no contactId
    post(sms("CtDana", type="Fax"), 422, False),
    post(sms("CtDana", scheduledTimestamp=1.5), 422, False),
    post(b'{"type": "SMS",', 422, False),  # not JSON
    post(b"", 422, False),
    post(b"[]", 422, False),
    post(b"null", 422, False),
    post(b'{"type": "SMS", "contactId": "CtDana", "message": NaN}', 422, False),
    post(b'{"type": "SMS", "contactId": "\xff"}', 400, False),  # not UTF-8: "error parsing the body"
    post(b"\xef\xbb\xbf" + sms("CtDana"), 200, True),  # json.loads takes a UTF-8 BOM, so FastAPI does
    post(sms("CtDana").decode().encode("utf-16"), 200, True),  # ... and UTF-16
    post(sms("CtDana"), 422, False, AUTH, ("Version", CONV_V), ("Content-Type", "text/plain")),
    post(sms("CtDana"), 200, True, *SEND, ("Content-Type", "x/y")),  # repeated: the first counts
    post(sms("CtDana"), 200, False, AUTH, ("Version", CONV_V), ("Content-Type", f"{JSON}; charset=utf-8")),
    post(sms("CtDana"), 422, False, AUTH, ("Version", CONV_V)),  # no content type
    post(sms("CtDana"), 400, False, AUTH, ("Content-Type", JSON)),  # no Version
    post(b"{", 422, False, AUTH, ("Version", CONTACTS_V), ("Content-Type", JSON)),  # FastAPI parses first
    Case("GET", MESSAGES, [AUTH, ("Version", CONV_V)], None, 405, False),
    Case("POST", MESSAGES + "/", SEND, sms("CtDana"), 307, False),
]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[StandinHandle, StandinHandle]]:
    with run_standin_in_thread() as fast, run_standin_in_thread(fast_paths=False) as routes:
        yield fast, routes


@pytest.fixture
def pair(servers: tuple[StandinHandle, StandinHandle]) -> tuple[StandinHandle, StandinHandle]:
    for server in servers:
        registered(server, TOKENS)
        server.admin.seed_contacts("LocA", CONTACTS)
        server.admin.seed_contacts("LocB", [{"id": "CtLocB", "firstName": "Gus", "phone": "+15125550145"}])
    return servers


def _answer(server: StandinHandle, case: Case) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    base = server.base_url
    response = httpx.request(case.method, base + case.path, headers=case.headers, content=case.body)
    # `date` differs by the clock, a redirect's `location` by the port.
    raw = response.headers.raw
    headers = [(name, value.replace(base.encode(), b"<base>")) for name, value in raw if name != b"date"]
    return response.status_code, headers, RANDOM_ID.sub(rb'"\1<id>"', response.content)


def _assert_same_answers(pair: tuple[StandinHandle, StandinHandle], cases: list[Case]) -> None:
    fast, routes = pair
    for case in cases:
        answer = _answer(fast, case)
        assert answer == _answer(routes, case), case
        assert answer[0] == case.status, case
        assert any(name.startswith(b"x-ratelimit-") for name, _ in answer[1]), case


def _stored(server: StandinHandle) -> list[dict[str, Any]]:
    messages = server.admin.collection("LocA", "messages")
    random = ("id", "conversationId", "emailMessageId", "dateAdded")
    return [{k: v for k, v in m.items() if k not in random} for m in messages]


def _log(server: StandinHandle) -> list[tuple[Any, ...]]:
    fields = ("method", "path", "location_id", "status", "fault")
    return [tuple(r[f] for f in fields) for r in server.admin.requests()]


def test_contact_reads_answer_as_the_route_does(pair: tuple[StandinHandle, StandinHandle]) -> None:
    _assert_same_answers(pair, GETS)
    assert _log(pair[0]) == _log(pair[1])
    assert [status for *_, status, _ in _log(pair[0])] == [case.status for case in GETS]


def test_sends_answer_and_store_as_the_route_does(pair: tuple[StandinHandle, StandinHandle]) -> None:
    _assert_same_answers(pair, POSTS)
    fast, routes = pair
    assert _stored(fast) == _stored(routes)
    assert len(_stored(fast)) == sum(case.status == 200 for case in POSTS)
    assert _log(fast) == _log(routes)


def test_faults_and_rate_limit_answer_as_the_route_does(pair: tuple[StandinHandle, StandinHandle]) -> None:
    for server in pair:
        server.admin.configure(rate_limit_max=3, rate_limit_interval_s=60)
        server.admin.set_faults(status_5xx_next=1, status_5xx_code=503, status_5xx_after_effect=True)
    send = post(sms("CtDana"), 503, True)
    read = get("/contacts/CtDana", 200, True, CONTACTS_V)
    _assert_same_answers(pair, [send, read, read, read._replace(status=429)])
    fast, routes = pair
    assert len(_stored(fast)) == len(_stored(routes)) == 1  # answered 503, sent all the same
    assert _log(fast) == _log(routes)
    assert _log(fast)[0][3:] == (503, "5xx")


def test_fast_answer_takes_the_hot_requests_only() -> None:
    state = StandinState()
    location = state.register("LocA", SecretStr(TOKENS["LocA"]))
    location.contacts = {c["id"]: dict(c) for c in CONTACTS}
    for case in GETS + POSTS:
        scope = {
            "type": "http",
            "method": case.method,
            "path": case.path.split("?")[0].replace("%20", " "),  # as uvicorn decodes it
            "headers": [(name.lower().encode(), value.encode()) for name, value in case.headers],
        }
        answer = fast_answer(scope, case.body or b"", location)
        assert (answer is not None) == case.fast, case
        assert answer is None or answer.status == case.status, case

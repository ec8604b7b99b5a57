"""GHLClient against a scripted GHL (httpx.MockTransport): what goes on the wire, what comes back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from hub.errors import GHLOutcomeUnknownError, GHLServerError, GHLValidationError
from hub.ghl.client import GHLClient
from hub.ghl.models import ContactFields, SearchFilter, SearchGroup, SearchSort
from tests.hub.ghl.conftest import TOKENS, Recorder, make_contact

DUE = datetime(2026, 9, 11, 14, 0, tzinfo=UTC)
CONV, CONTACTS = "2021-04-15", "2021-07-28"

# (call, method, path, Version, request body or None, answer body, check on the result)
CASES: list[
    tuple[str, Callable[[GHLClient], Any], str, str, str, Any, dict[str, Any], Callable[[Any], bool]]
] = [
    (
        "send_sms",
        lambda c: c.send_sms("LocA", "Ct1", "Hi Dana, reply STOP to opt out.", from_number="+15125550100"),
        "POST",
        "/conversations/messages",
        CONV,
        {
            "type": "SMS",
            "contactId": "Ct1",
            "message": "Hi Dana, reply STOP to opt out.",
            "fromNumber": "+15125550100",
        },
        {"conversationId": "Cv1", "messageId": "Ms1"},
        lambda r: (r.conversation_id, r.message_id) == ("Cv1", "Ms1"),
    ),
    (
        "send_email",
        lambda c: c.send_email("LocA", "Ct1", "Homes", "<p>Hi</p>", email_from="sam@oak.example"),
        "POST",
        "/conversations/messages",
        CONV,
        {
            "type": "Email",
            "contactId": "Ct1",
            "subject": "Homes",
            "html": "<p>Hi</p>",
            "emailFrom": "sam@oak.example",
        },
        {"conversationId": "Cv1", "messageId": "Ms2", "emailMessageId": "Em2"},
        lambda r: r.email_message_id == "Em2",
    ),
    (
        "get_contact",
        lambda c: c.get_contact("LocA", "Ct1"),
        "GET",
        "/contacts/Ct1",
        CONTACTS,
        None,
        {"contact": make_contact(id="Ct1", dndSettings={"SMS": {"status": "active"}})},
        lambda r: r.id == "Ct1" and r.is_dnd("SMS"),
    ),
    (
        "update_contact",
        lambda c: c.update_contact("LocA", "Ct1", ContactFields(timezone="America/Chicago", dnd=False)),
        "PUT",
        "/contacts/Ct1",
        CONTACTS,
        {"timezone": "America/Chicago", "dnd": False},
        {"succeded": True, "contact": make_contact(id="Ct1", timezone="America/Chicago")},
        lambda r: r.timezone == "America/Chicago",
    ),
    (
        "upsert_contact",
        lambda c: c.upsert_contact("LocA", ContactFields(email="dana@example.com", first_name="Dana")),
        "POST",
        "/contacts/upsert",
        CONTACTS,
        {"locationId": "LocA", "email": "dana@example.com", "firstName": "Dana"},
        {"new": True, "contact": make_contact(id="Ct9")},
        lambda r: r.new and r.contact.id == "Ct9",
    ),
    (
        "search_contacts",
        lambda c: c.search_contacts(
            "LocA",
            query="dana",
            filters=[
                SearchGroup(group="OR", filters=[SearchFilter(field="tags", operator="eq", value="buyer")])
            ],
            sort=[SearchSort(field="dateAdded", direction="desc")],
            page_limit=10,
        ),
        "POST",
        "/contacts/search",
        CONTACTS,
        {
            "locationId": "LocA",
            "page": 1,
            "pageLimit": 10,
            "query": "dana",
            "filters": [{"group": "OR", "filters": [{"field": "tags", "operator": "eq", "value": "buyer"}]}],
            "sort": [{"field": "dateAdded", "direction": "desc"}],
        },
        {"contacts": [make_contact(id="Ct1")], "total": 1},
        lambda r: r.total == 1 and r.contacts[0].id == "Ct1",
    ),
    (
        "add_tags",
        lambda c: c.add_tags("LocA", "Ct1", ["hot-lead"]),
        "POST",
        "/contacts/Ct1/tags",
        CONTACTS,
        {"tags": ["hot-lead"]},
        {"tags": ["buyer", "hot-lead"]},
        lambda r: r == ["buyer", "hot-lead"],
    ),
    (
        "remove_tags",
        lambda c: c.remove_tags("LocA", "Ct1", ["buyer"]),
        "DELETE",
        "/contacts/Ct1/tags",
        CONTACTS,
        {"tags": ["buyer"]},
        {"tags": []},
        lambda r: r == [],
    ),
    (
        "create_note",
        lambda c: c.create_note("LocA", "Ct1", "Pre-approved 450k", user_id="Usr1"),
        "POST",
        "/contacts/Ct1/notes",
        CONTACTS,
        {"body": "Pre-approved 450k", "userId": "Usr1"},
        {"note": {"id": "Nt1", "body": "Pre-approved 450k", "contactId": "Ct1"}},
        lambda r: r.id == "Nt1",
    ),
    (
        "create_task",
        lambda c: c.create_task("LocA", "Ct1", "Call Dana back", DUE, body="Saturday", assigned_to="Usr1"),
        "POST",
        "/contacts/Ct1/tasks",
        CONTACTS,
        {
            "title": "Call Dana back",
            "dueDate": "2026-09-11T14:00:00Z",
            "completed": False,
            "body": "Saturday",
            "assignedTo": "Usr1",
        },
        {
            "task": {
                "id": "Tk1",
                "title": "Call Dana back",
                "dueDate": "2026-09-11T14:00:00Z",
                "completed": False,
            }
        },
        lambda r: r.id == "Tk1" and r.due_date == DUE,
    ),
    (
        "get_pipelines",
        lambda c: c.get_pipelines("LocA"),
        "GET",
        "/opportunities/pipelines",
        CONTACTS,
        None,
        {"pipelines": [{"id": "Pl1", "name": "Buyers", "stages": [{"id": "St1", "name": "New lead"}]}]},
        lambda r: r[0].stage_name("St1") == "New lead",
    ),
    (
        "update_opportunity",
        lambda c: c.update_opportunity(
            "LocA", "Op1", pipeline_stage_id="St2", status="open", monetary_value=450000
        ),
        "PUT",
        "/opportunities/Op1",
        CONTACTS,
        {"pipelineStageId": "St2", "status": "open", "monetaryValue": 450000.0},
        {"opportunity": {"id": "Op1", "pipelineStageId": "St2", "lastStageChangeAt": "2026-09-10T16:00:00Z"}},
        lambda r: r.pipeline_stage_id == "St2" and r.last_stage_change_at is not None,
    ),
    (
        "update_opportunity_status",
        lambda c: c.update_opportunity_status("LocA", "Op1", "lost", lost_reason_id="Lr1"),
        "PUT",
        "/opportunities/Op1/status",
        CONTACTS,
        {"status": "lost", "lostReasonId": "Lr1"},
        {"succeded": True},
        lambda r: r is None,
    ),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "version", "body", "answer", "check"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_each_call_sends_the_documented_request_and_parses_the_answer(
    call: Callable[[GHLClient], Any],
    method: str,
    path: str,
    version: str,
    body: dict[str, Any] | None,
    answer: dict[str, Any],
    check: Callable[[Any], bool],
) -> None:
    ghl = Recorder(httpx.Response(200, json=answer))
    result = call(ghl.client())
    [request] = ghl.requests
    assert (request.method, request.url.path) == (method, path)
    assert request.headers["Version"] == version
    assert request.headers["Authorization"] == f"Bearer {TOKENS['LocA']}"
    assert request.headers["Accept"] == "application/json"
    if body is None:
        assert request.content == b""
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert ghl.body() == body
    assert check(result)


def test_get_pipelines_passes_the_location_as_query() -> None:
    ghl = Recorder(httpx.Response(200, json={"pipelines": []}))
    assert ghl.client().get_pipelines("LocB") == []
    assert dict(ghl.requests[0].url.params) == {"locationId": "LocB"}


def test_each_location_uses_its_own_token() -> None:
    ghl = Recorder(httpx.Response(200, json={"contact": make_contact()}))
    client = ghl.client()
    client.get_contact("LocA", "Ct1")
    client.get_contact("LocB", "Ct1")
    client.get_contact("LocA", "Ct1")
    assert [r.headers["Authorization"] for r in ghl.requests] == [
        f"Bearer {TOKENS['LocA']}",
        f"Bearer {TOKENS['LocB']}",
        f"Bearer {TOKENS['LocA']}",
    ]


def test_rate_limit_headers_are_kept_per_location() -> None:
    headers = {
        "X-RateLimit-Limit-Daily": "200000",
        "X-RateLimit-Daily-Remaining": "199990",
        "X-RateLimit-Interval-Milliseconds": "10000",
        "X-RateLimit-Max": "100",
        "X-RateLimit-Remaining": "97",
    }
    ghl = Recorder(httpx.Response(200, json={"contact": make_contact()}, headers=headers))
    client = ghl.client()
    assert client.rate_limit_state("LocA") is None
    client.get_contact("LocA", "Ct1")
    state = client.rate_limit_state("LocA")
    assert state is not None
    assert (state.max, state.remaining, state.interval_ms, state.limit_daily, state.daily_remaining) == (
        100,
        97,
        10000,
        200000,
        199990,
    )
    assert client.rate_limit_state("LocB") is None


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda c: c.send_sms("LocA", "Ct1", "  "), "message"),
        (lambda c: c.send_email("LocA", "", "s", "<p/>"), "contact_id"),
        (lambda c: c.create_task("LocA", "Ct1", "Call", datetime(2026, 9, 11, 14, 0)), "timezone-aware"),
        (lambda c: c.add_tags("LocA", "Ct1", "hot"), "list of non-empty tag"),
        (lambda c: c.remove_tags("LocA", "Ct1", []), "list of non-empty tag"),
        (lambda c: c.update_contact("LocA", "Ct1", ContactFields()), "at least one field"),
        (lambda c: c.upsert_contact("LocA", ContactFields(first_name="Dana")), "email` or `fields.phone"),
        (lambda c: c.update_opportunity("LocA", "Op1"), "at least one"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(
    call: Callable[[GHLClient], Any], names: str
) -> None:
    ghl = Recorder()
    with pytest.raises(ValueError, match=names):
        call(ghl.client())
    assert ghl.requests == []


def test_an_unknown_opportunity_status_names_the_field() -> None:
    ghl = Recorder()
    with pytest.raises(ValidationError, match="status"):
        ghl.client().update_opportunity("LocA", "Op1", status="closed")  # type: ignore[arg-type]
    assert ghl.requests == []


def test_a_2xx_without_the_documented_field_is_a_server_error_for_reads() -> None:
    ghl = Recorder(httpx.Response(200, json={"contacts": []}))
    with pytest.raises(GHLServerError, match="no `contact` field") as caught:
        ghl.client().get_contact("LocA", "Ct1")
    assert caught.value.status == 200 and caught.value.location_id == "LocA"


def test_a_send_answered_201_with_an_empty_body_is_an_unknown_outcome() -> None:
    # ISS-70: GHL's conversation endpoints have answered 201 with no body; the send probably went out.
    ghl = Recorder(httpx.Response(201, content=b""))
    with pytest.raises(GHLOutcomeUnknownError, match="probably took effect"):
        ghl.client().send_sms("LocA", "Ct1", "hello")
    assert len(ghl.requests) == 1


def test_a_status_change_answered_succeded_false_is_refused() -> None:
    ghl = Recorder(httpx.Response(200, json={"succeded": False}))
    with pytest.raises(GHLValidationError, match="succeded=false"):
        ghl.client().update_opportunity_status("LocA", "Op1", "won")

"""The GHL stand-in over real HTTP, driven with plain httpx (no GHLClient): GHL's rules and shapes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hub.ghl.standin import StandinConfig, StandinHandle, run_standin_in_thread
from tests.hub.ghl.conftest import TOKENS, make_contact

CONV = {"Version": "2021-04-15"}
CONTACTS = {"Version": "2021-07-28"}


@pytest.fixture
def http(standin: StandinHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=standin.base_url, timeout=5) as client:
        yield client


def auth(location_id: str, version: dict[str, str] = CONTACTS) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[location_id]}", **version}


def seed_dana(standin: StandinHandle, location_id: str = "LocA", **overrides: Any) -> dict[str, Any]:
    contact = make_contact(**overrides)
    contact.pop("id")
    [seeded] = standin.admin.seed_contacts(location_id, [contact])
    return seeded


def test_unknown_or_missing_tokens_get_ghl_401(standin: StandinHandle, http: httpx.Client) -> None:
    for headers in ({"Authorization": "Bearer nope", **CONTACTS}, CONTACTS):
        answer = http.get("/contacts/x", headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {
            "statusCode": 401,
            "message": "Invalid token: access token is invalid",
            "error": "Unauthorized",
        }
    assert [r["location_id"] for r in standin.admin.requests()] == [None, None]


def test_unknown_routes_answer_in_ghls_error_shape(standin: StandinHandle, http: httpx.Client) -> None:
    answer = http.get("/contacts/x/nope", headers=auth("LocA"))
    assert answer.status_code == 404
    assert answer.json() == {
        "statusCode": 404,
        "message": "Cannot GET /contacts/x/nope",
        "error": "Not Found",
    }


def test_each_endpoint_family_requires_its_version_header(standin: StandinHandle, http: httpx.Client) -> None:
    dana = seed_dana(standin)
    wrong = http.get(f"/contacts/{dana['id']}", headers=auth("LocA", CONV))
    assert wrong.status_code == 400 and "2021-07-28" in wrong.json()["message"]
    body = {"type": "SMS", "contactId": dana["id"], "message": "hi"}
    assert http.post("/conversations/messages", json=body, headers=auth("LocA", CONTACTS)).status_code == 400
    assert http.post("/conversations/messages", json=body, headers=auth("LocA", CONV)).status_code == 200


def test_a_token_never_reaches_another_locations_data(standin: StandinHandle, http: httpx.Client) -> None:
    dana_b = seed_dana(standin, "LocB")
    path = f"/contacts/{dana_b['id']}"
    assert http.get(path, headers=auth("LocA")).status_code == 404
    assert http.put(path, json={"firstName": "Eve"}, headers=auth("LocA")).status_code == 404
    assert http.post(f"{path}/tags", json={"tags": ["x"]}, headers=auth("LocA")).status_code == 404
    send = {"type": "SMS", "contactId": dana_b["id"], "message": "hi"}
    assert http.post("/conversations/messages", json=send, headers=auth("LocA", CONV)).status_code == 404
    forbidden = [
        http.get("/opportunities/pipelines", params={"locationId": "LocB"}, headers=auth("LocA")),
        http.post("/contacts/upsert", json={"locationId": "LocB", "email": "e@x.io"}, headers=auth("LocA")),
        http.post("/contacts/search", json={"locationId": "LocB"}, headers=auth("LocA")),
    ]
    assert [a.status_code for a in forbidden] == [403, 403, 403]
    assert forbidden[0].json()["message"] == "The token does not have access to this location."
    # B's data is untouched and B's own token still reads it.
    assert http.get(path, headers=auth("LocB")).json()["contact"]["firstName"] == "Dana"
    assert standin.admin.collection("LocB", "messages") == []
    assert standin.admin.collection("LocB", "contacts")[0]["tags"] == ["buyer"]


@pytest.mark.parametrize(
    ("overrides", "blocked", "allowed"),
    [
        ({"dndSettings": {"SMS": {"status": "active", "message": "STOP", "code": "103"}}}, "SMS", "Email"),
        ({"dndSettings": {"Email": {"status": "permanent"}}}, "Email", "SMS"),
        ({"dnd": True}, "SMS", None),
    ],
)
def test_sends_honour_dnd_per_channel(
    standin: StandinHandle, http: httpx.Client, overrides: dict[str, Any], blocked: str, allowed: str | None
) -> None:
    dana = seed_dana(standin, **overrides)
    bodies = {
        "SMS": {"type": "SMS", "contactId": dana["id"], "message": "hi"},
        "Email": {"type": "Email", "contactId": dana["id"], "subject": "s", "html": "<p>hi</p>"},
    }
    refused = http.post("/conversations/messages", json=bodies[blocked], headers=auth("LocA", CONV))
    assert refused.status_code == 400
    assert refused.json()["message"] == f"Cannot send message as DND is active for {blocked}."
    if allowed:
        assert (
            http.post("/conversations/messages", json=bodies[allowed], headers=auth("LocA", CONV)).status_code
            == 200
        )
    assert [m["messageType"] for m in standin.admin.collection("LocA", "messages")] == (
        [allowed] if allowed else []
    )


def test_contact_update_quirks(standin: StandinHandle, http: httpx.Client) -> None:
    dana = seed_dana(standin, tags=["buyer", "zillow"])
    path = f"/contacts/{dana['id']}"
    updated = http.put(
        path, json={"tags": ["hot"], "dndSettings": {"SMS": {"status": "active"}}}, headers=auth("LocA")
    )
    assert updated.status_code == 200
    assert updated.json()["succeded"] is True  # sic
    assert updated.json()["contact"]["tags"] == ["hot"]  # PUT overwrites every tag
    assert updated.json()["contact"]["dndSettings"]["SMS"]["status"] == "active"
    refused = http.put(path, json={"locationId": "LocA", "firstName": "D"}, headers=auth("LocA"))
    assert refused.status_code == 422
    assert refused.json() == {
        "statusCode": 422,
        "message": ["property locationId should not exist"],
        "error": "Unprocessable Entity",
    }
    assert http.get(path, headers=auth("LocA")).json()["contact"]["firstName"] == "Dana"


def test_tasks_require_title_due_date_and_completed(standin: StandinHandle, http: httpx.Client) -> None:
    dana = seed_dana(standin)
    answer = http.post(f"/contacts/{dana['id']}/tasks", json={"title": "Call"}, headers=auth("LocA"))
    assert answer.status_code == 422
    assert sorted(answer.json()["message"]) == ["completed: Field required", "dueDate: Field required"]


def test_search_filters_groups_query_sort_and_pages(standin: StandinHandle, http: httpx.Client) -> None:
    standin.admin.seed_contacts(
        "LocA",
        [
            {
                "firstName": "Ann",
                "email": "ann@x.io",
                "tags": ["buyer"],
                "dndSettings": {"SMS": {"status": "active"}},
            },
            {"firstName": "Bob", "email": "bob@x.io", "tags": ["seller"], "customBudget": 300},
            {"firstName": "Cid", "tags": ["buyer", "hot"], "customBudget": 500},
        ],
    )

    def names(body: dict[str, Any]) -> tuple[list[str], int]:
        answer = http.post("/contacts/search", json={"locationId": "LocA", **body}, headers=auth("LocA"))
        assert answer.status_code == 200, answer.text
        hits = answer.json()["contacts"]
        assert all("dndSettings" not in hit for hit in hits)  # ISS-43: search hits lack dndSettings
        return [h["firstName"] for h in hits], answer.json()["total"]

    dnd_filter = {"field": "dndSettings.SMS.status", "operator": "eq", "value": "active"}
    assert names({"filters": [dnd_filter]}) == (["Ann"], 1)
    assert names({"filters": [{"field": "tags", "operator": "eq", "value": "buyer"}]})[0] == ["Ann", "Cid"]
    either = {
        "group": "OR",
        "filters": [
            {"field": "tags", "operator": "eq", "value": "hot"},
            {"field": "email", "operator": "contains", "value": "BOB"},
        ],
    }
    assert names({"filters": [either]})[0] == ["Bob", "Cid"]
    assert names({"filters": [{"field": "email", "operator": "not_exists"}]})[0] == ["Cid"]
    assert names({"filters": [{"field": "customBudget", "operator": "range", "value": {"gte": 400}}]})[0] == [
        "Cid"
    ]
    assert names({"query": "ann"})[0] == ["Ann"]
    page = {"sort": [{"field": "firstName", "direction": "desc"}], "page": 2, "pageLimit": 2}
    assert names(page) == (["Ann"], 3)
    bad = http.post(
        "/contacts/search",
        json={"locationId": "LocA", "filters": [{"field": "x", "operator": "like"}]},
        headers=auth("LocA"),
    )
    assert bad.status_code == 422 and "operator" in bad.json()["message"][0]


def test_rate_limit_per_location_with_headers_on_every_answer(
    standin: StandinHandle, http: httpx.Client
) -> None:
    standin.admin.configure(rate_limit_max=5, rate_limit_interval_s=0.5)
    answers = [http.get("/contacts/none", headers=auth("LocA")) for _ in range(7)]
    assert [a.status_code for a in answers] == [404] * 5 + [429] * 2
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0", "0"]
    for answer in answers:
        assert answer.headers["X-RateLimit-Max"] == "5"
        assert answer.headers["X-RateLimit-Interval-Milliseconds"] == "500"
        assert answer.headers["X-RateLimit-Limit-Daily"] == "200000"
    assert answers[-1].json()["statusCode"] == 429
    assert http.get("/contacts/none", headers=auth("LocB")).status_code == 404  # LocB has its own bucket
    time.sleep(0.55)
    assert http.get("/contacts/none", headers=auth("LocA")).status_code == 404


def test_injected_faults(standin: StandinHandle, http: httpx.Client) -> None:
    dana = seed_dana(standin)
    path = f"/contacts/{dana['id']}"
    standin.admin.set_faults(status_5xx_next=2, status_5xx_code=503, status_429_next=1)
    statuses = [http.get(path, headers=auth("LocA")).status_code for _ in range(4)]
    assert statuses == [503, 503, 429, 200]
    standin.admin.set_faults(status_429_rate=1.0, location_id="LocB")
    assert http.get(path, headers=auth("LocA")).status_code == 200  # faults aimed at LocB only
    standin.admin.set_faults(latency_ms=150)
    started = time.monotonic()
    assert http.get(path, headers=auth("LocA")).status_code == 200
    assert time.monotonic() - started >= 0.15
    assert [r["fault"] for r in standin.admin.requests("LocA")][:4] == ["5xx", "5xx", "429", None]


def test_a_5xx_after_effect_and_a_timeout_still_do_the_work(
    standin: StandinHandle, http: httpx.Client
) -> None:
    dana = seed_dana(standin)
    body = {"type": "SMS", "contactId": dana["id"], "message": "hi"}
    standin.admin.set_faults(status_5xx_next=1, status_5xx_after_effect=True)
    answer = http.post("/conversations/messages", json=body, headers=auth("LocA", CONV))
    assert answer.status_code == 500
    assert len(standin.admin.collection("LocA", "messages")) == 1
    standin.admin.set_faults(timeout_next=1, timeout_hold_s=0.6)
    with pytest.raises(httpx.ReadTimeout):
        http.post("/conversations/messages", json=body, headers=auth("LocA", CONV), timeout=0.2)
    assert len(standin.admin.collection("LocA", "messages")) == 1
    time.sleep(0.7)
    assert len(standin.admin.collection("LocA", "messages")) == 2  # GHL sent it, just too late to say so
    assert standin.admin.requests("LocA")[-1]["fault"] == "timeout"


def test_request_log_records_every_request_without_the_token(
    standin: StandinHandle, http: httpx.Client
) -> None:
    seed_dana(standin)
    http.get("/contacts/x", headers=auth("LocA"))
    http.get("/contacts/x", headers=auth("LocB"))
    log = standin.admin.requests()
    assert [(r["method"], r["path"], r["location_id"], r["status"]) for r in log] == [
        ("GET", "/contacts/x", "LocA", 404),
        ("GET", "/contacts/x", "LocB", 404),
    ]
    assert log[0]["at"] <= log[1]["at"] and log[0]["duration_ms"] >= 0
    assert [r["location_id"] for r in standin.admin.requests("LocB")] == ["LocB"]
    dump = json.dumps(log)
    assert all(token not in dump for token in TOKENS.values())
    standin.admin.reset()
    assert standin.admin.requests() == []


def test_a_token_belongs_to_one_location(standin: StandinHandle) -> None:
    with pytest.raises(RuntimeError, match="409"):
        standin.admin.register_location("LocC", TOKENS["LocA"])


def test_run_standin_in_thread_takes_a_config_and_stops_cleanly() -> None:
    with run_standin_in_thread(config=StandinConfig(rate_limit_max=1, rate_limit_interval_s=60)) as handle:
        handle.admin.register_location("L1", "t1")
        headers = {"Authorization": "Bearer t1", **CONTACTS}
        statuses = [httpx.get(f"{handle.base_url}/contacts/x", headers=headers).status_code for _ in range(2)]
        base_url = handle.base_url
    assert statuses == [404, 429]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/contacts/x", timeout=1)

"""The live feed over real HTTP: a uvicorn process, SSE parsed off the wire."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy.orm import Session

from hub.cli.processes import api_process
from hub.live_feed import notify_activity
from hub.store.activity_log import append_activity
from hub.tenancy import LocationCredentials, register_location


def _read_events(response: httpx.Response, count: int) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if current:
                events.append(current)
                current = {}
            if len(events) == count:
                break
            continue
        field, _, value = line.partition(":")
        current[field] = value.strip()
    return events


@pytest.fixture
def two_locations(session: Session) -> tuple[LocationCredentials, LocationCredentials]:
    a = register_location(session, "LocA", name="A Realty", timezone="America/Chicago")
    b = register_location(session, "LocB", name="B Realty", timezone="America/New_York")
    session.commit()
    return a, b


@pytest.fixture
def api(db_url: str, tmp_path: Path, redis_url: str) -> Iterator[str]:
    env = {"HUB_DATABASE_URL": db_url, "HUB_PROCESSING_ENABLED": "false", "HUB_REDIS_URL": redis_url}
    with api_process(env, tmp_path / "api.log") as base_url:
        yield base_url


def test_stream_replays_and_resumes_with_last_event_id(api: str, session: Session, two_locations) -> None:  # type: ignore[no-untyped-def]
    a, _ = two_locations
    ids = [
        append_activity(session, "LocA", "lead_updated", {"n": n}, contact_id=f"C{n}").id for n in range(3)
    ]
    append_activity(session, "LocB", "lead_updated", {"secret": "B's data"}, contact_id="CB")
    session.commit()
    with httpx.stream(
        "GET", f"{api}/stream", params={"location": "LocA"}, headers={"x-hub-key": a.api_key}, timeout=10
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _read_events(response, 3)
    assert [int(e["id"]) for e in events] == ids
    assert all(json.loads(e["data"])["payload"].get("secret") is None for e in events)
    with httpx.stream(
        "GET",
        f"{api}/stream",
        params={"location": "LocA"},
        headers={"x-hub-key": a.api_key, "last-event-id": str(ids[0])},
        timeout=10,
    ) as response:
        resumed = _read_events(response, 2)
    assert [int(e["id"]) for e in resumed] == ids[1:]


def test_new_activity_arrives_live(api: str, session: Session, two_locations, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    a, _ = two_locations
    with httpx.stream(
        "GET", f"{api}/stream", params={"location": "LocA", "key": a.api_key}, timeout=10
    ) as response:
        time.sleep(0.3)
        row = append_activity(session, "LocA", "sms_opted_out", {"body": "STOP"}, contact_id="C9")
        session.commit()
        notify_activity(redis.Redis.from_url(redis_url), "LocA")
        [event] = _read_events(response, 1)
    assert (int(event["id"]), event["event"]) == (row.id, "sms_opted_out")


def test_keys_never_cross_locations(api: str, two_locations) -> None:  # type: ignore[no-untyped-def]
    a, b = two_locations
    assert (
        httpx.get(f"{api}/stream", params={"location": "LocB"}, headers={"x-hub-key": a.api_key}).status_code
        == 403
    )
    assert httpx.get(f"{api}/stream", params={"location": "LocA"}).status_code == 401
    assert (
        httpx.get(
            f"{api}/stream", params={"location": "LocA"}, headers={"x-hub-key": "hub_made_up"}
        ).status_code
        == 401
    )
    with httpx.stream(
        "GET", f"{api}/stream", params={"location": "LocB"}, headers={"x-hub-key": b.api_key}, timeout=10
    ) as own:
        assert own.status_code == 200

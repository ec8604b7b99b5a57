"""GHLClient against the real stand-in server over HTTP: end to end, pacing, faults, breaker."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from pydantic import SecretStr

from hub.errors import (
    CircuitOpenError,
    GHLAuthError,
    GHLNotFoundError,
    GHLOutcomeUnknownError,
    GHLTransportError,
    GHLValidationError,
)
from hub.ghl.client import GHLClient
from hub.ghl.models import ContactFields, SearchFilter
from hub.ghl.rate_limit import InProcessRateLimiter, RedisRateLimiter
from hub.ghl.standin import StandinHandle
from tests.hub.ghl.conftest import TOKENS, make_contact, make_settings, token_for
from tests.hub.ghl.test_rate_limit import max_in_any_window


def client_for(standin: StandinHandle, **settings: Any) -> GHLClient:
    limiter = settings.pop("limiter", None)
    return GHLClient(make_settings(base_url=standin.base_url, **settings), token_for, limiter=limiter)


def seed(standin: StandinHandle, location_id: str = "LocA", **overrides: Any) -> str:
    contact = make_contact(**overrides)
    contact.pop("id")
    return str(standin.admin.seed_contacts(location_id, [contact])[0]["id"])


def accepted_times(standin: StandinHandle, location_id: str) -> list[float]:
    return [r["at"] for r in standin.admin.requests(location_id) if r["status"] != 429]


def test_every_call_works_end_to_end(standin: StandinHandle) -> None:
    dana = seed(standin)
    [pipeline] = standin.admin.seed_pipelines(
        "LocA", [{"name": "Buyers", "stages": [{"name": "New"}, {"name": "Showing"}]}]
    )
    new_stage, showing = (s["id"] for s in pipeline["stages"])
    [opp] = standin.admin.seed_opportunities(
        "LocA",
        [
            {
                "name": "Dana - Buyer",
                "pipelineId": pipeline["id"],
                "pipelineStageId": new_stage,
                "contactId": dana,
            }
        ],
    )
    with client_for(standin) as client:
        sms = client.send_sms(
            "LocA", dana, "Hi Dana, it's Sam. Reply STOP to opt out.", from_number="+15125550100"
        )
        email = client.send_email(
            "LocA", dana, "Homes for you", "<p>Hi Dana</p>", email_from="sam@oak.example"
        )
        assert sms.conversation_id == email.conversation_id and email.email_message_id
        assert client.get_contact("LocA", dana).email == "dana@example.com"
        assert (
            client.update_contact("LocA", dana, ContactFields(timezone="America/Chicago")).timezone
            == "America/Chicago"
        )
        upserted = client.upsert_contact("LocA", ContactFields(email="DANA@example.com", city="Austin"))
        assert (upserted.new, upserted.contact.id, upserted.contact.city) == (False, dana, "Austin")  # type: ignore[attr-defined]
        created = client.upsert_contact("LocA", ContactFields(phone="+15125550999", first_name="Lee"))
        assert created.new and created.contact.id != dana
        found = client.search_contacts(
            "LocA", filters=[SearchFilter(field="city", operator="eq", value="austin")]
        )
        assert [c.id for c in found.contacts] == [dana] and found.total == 1
        assert client.add_tags("LocA", dana, ["hot-lead", "buyer"]) == ["buyer", "hot-lead"]
        assert client.remove_tags("LocA", dana, ["buyer"]) == ["hot-lead"]
        note = client.create_note("LocA", dana, "Pre-approved 450k")
        task = client.create_task(
            "LocA", dana, "Call Dana back", datetime.now(UTC) + timedelta(days=1), body="Sat"
        )
        assert [p.stage_name(showing) for p in client.get_pipelines("LocA")] == ["Showing"]
        moved = client.update_opportunity("LocA", opp["id"], pipeline_stage_id=showing, monetary_value=450000)
        assert moved.pipeline_stage_id == showing and moved.last_stage_change_at is not None
        client.update_opportunity_status("LocA", opp["id"], "won")
        state = client.rate_limit_state("LocA")
    assert state is not None and (state.max, state.remaining, state.daily_remaining) == (
        100,
        100 - 14,
        200_000 - 14,
    )
    messages = standin.admin.collection("LocA", "messages")
    assert [(m["messageType"], m["contactId"]) for m in messages] == [("SMS", dana), ("Email", dana)]
    assert messages[0]["message"].startswith("Hi Dana") and messages[1]["html"] == "<p>Hi Dana</p>"
    assert [n["id"] for n in standin.admin.collection("LocA", "notes")] == [note.id]
    assert [t["title"] for t in standin.admin.collection("LocA", "tasks")] == [task.title]
    [stored] = standin.admin.collection("LocA", "opportunities")
    assert (stored["status"], stored["pipelineStageId"], stored["monetaryValue"]) == ("won", showing, 450000)
    assert {r["status"] for r in standin.admin.requests("LocA")} <= {200, 201}


def test_sms_to_a_contact_under_dnd_is_refused_once(standin: StandinHandle) -> None:
    dana = seed(standin, dndSettings={"SMS": {"status": "active", "message": "STOP", "code": "103"}})
    with (
        client_for(standin) as client,
        pytest.raises(GHLValidationError, match="DND is active for SMS") as caught,
    ):
        client.send_sms("LocA", dana, "hi")
    assert caught.value.status == 400
    assert len(standin.admin.requests("LocA")) == 1
    assert standin.admin.collection("LocA", "messages") == []


def test_a_paced_burst_stays_inside_the_limit_without_429s(standin: StandinHandle) -> None:
    standin.admin.configure(rate_limit_max=50, rate_limit_interval_s=1.0)
    dana = seed(standin)
    started = time.monotonic()
    with (
        client_for(standin, rate_limit_max=50, rate_limit_interval_s=1.0) as client,
        ThreadPoolExecutor(4) as pool,
    ):
        results = list(pool.map(lambda _: client.get_contact("LocA", dana).id, range(250)))
    elapsed = time.monotonic() - started
    assert results == [dana] * 250
    log = standin.admin.requests("LocA")
    assert sum(r["status"] == 429 for r in log) <= 2
    assert max_in_any_window(accepted_times(standin, "LocA"), 1.0 - 0.005) <= 50
    assert elapsed >= 4.0  # 250 requests at 50 per second need the fifth window


@pytest.mark.slow
def test_a_burst_at_ghls_real_limit_of_100_per_10_seconds(standin: StandinHandle) -> None:
    dana = seed(standin)
    with client_for(standin) as client, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: client.get_contact("LocA", dana), range(110)))
    log = standin.admin.requests("LocA")
    assert len(log) == 110 and all(r["status"] == 200 for r in log)
    times = sorted(r["at"] for r in log)
    assert max_in_any_window(times, 10.0 - 0.005) <= 100
    assert times[100] - times[0] >= 10.0


def test_without_pacing_the_standin_answers_429_and_the_client_backs_off(standin: StandinHandle) -> None:
    standin.admin.configure(rate_limit_max=10, rate_limit_interval_s=0.5)
    dana = seed(standin)
    unpaced = InProcessRateLimiter(10_000, 1.0)
    with client_for(standin, limiter=unpaced, max_attempts=10, rate_limit_interval_s=0.5) as client:
        assert [client.get_contact("LocA", dana).id for _ in range(25)] == [dana] * 25
    log = standin.admin.requests("LocA")
    assert sum(r["status"] == 429 for r in log) >= 1
    assert sum(r["status"] == 200 for r in log) == 25
    assert max_in_any_window(accepted_times(standin, "LocA"), 0.5 - 0.005) <= 10


def test_injected_429s_are_backed_off_by_the_interval_hint_and_the_send_goes_out_once(
    standin: StandinHandle,
) -> None:
    standin.admin.configure(rate_limit_max=100, rate_limit_interval_s=0.2)
    dana = seed(standin)
    standin.admin.set_faults(status_429_next=2)
    started = time.monotonic()
    with client_for(standin) as client:
        client.send_sms("LocA", dana, "hi")
    assert time.monotonic() - started >= 2 * 0.2  # X-RateLimit-Interval-Milliseconds: 200, twice
    assert [r["status"] for r in standin.admin.requests("LocA")] == [429, 429, 200]
    assert len(standin.admin.collection("LocA", "messages")) == 1


def test_a_5xx_storm_opens_the_breaker_and_requests_stop_arriving(standin: StandinHandle) -> None:
    dana = seed(standin)
    standin.admin.set_faults(status_5xx_rate=1.0, status_5xx_code=502)
    with client_for(standin, breaker_fail_max=3, breaker_reset_s=0.6, max_attempts=5) as client:
        with pytest.raises(CircuitOpenError):
            client.get_contact("LocA", dana)
        assert len(standin.admin.requests("LocA")) == 3
        refused_until = time.monotonic() + 0.3
        refusals = 0
        while time.monotonic() < refused_until:
            with pytest.raises(CircuitOpenError):
                client.get_contact("LocA", dana)
            refusals += 1
        assert refusals > 10
        assert len(standin.admin.requests("LocA")) == 3  # nothing reached GHL while open
        standin.admin.clear_faults()
        time.sleep(0.4)
        assert client.get_contact("LocA", dana).id == dana  # the half-open trial succeeds
        assert client.breaker_state("LocA") == "closed"
    assert [r["status"] for r in standin.admin.requests("LocA")] == [502, 502, 502, 200]


def test_a_timeout_is_a_transport_error_for_reads_and_an_unknown_outcome_for_sends(
    standin: StandinHandle,
) -> None:
    dana = seed(standin)
    standin.admin.set_faults(timeout_rate=1.0, timeout_hold_s=0.5)
    with client_for(standin, timeout_s=0.15, max_attempts=2) as client:
        with pytest.raises(GHLTransportError, match="ReadTimeout"):
            client.get_contact("LocA", dana)
        assert len(standin.admin.requests("LocA")) == 2  # a read is retried
        with pytest.raises(GHLOutcomeUnknownError, match="Reconcile"):
            client.send_sms("LocA", dana, "hi")
    assert len(standin.admin.requests("LocA")) == 3  # a send is not
    time.sleep(0.6)
    assert len(standin.admin.collection("LocA", "messages")) == 1  # ...and it did go out


def test_a_token_for_one_location_cannot_act_for_another(standin: StandinHandle) -> None:
    dana_b = seed(standin, "LocB")

    def misconfigured(location_id: str) -> SecretStr:
        return SecretStr(TOKENS["LocA"])  # LocB's requests carry LocA's token

    settings = make_settings(base_url=standin.base_url)
    with GHLClient(settings, misconfigured) as client:
        with pytest.raises(GHLNotFoundError):
            client.get_contact("LocB", dana_b)
        with pytest.raises(GHLNotFoundError):
            client.add_tags("LocB", dana_b, ["x"])
        with pytest.raises(GHLAuthError, match="403"):
            client.get_pipelines("LocB")
    with client_for(standin) as client:
        assert client.get_contact("LocB", dana_b).tags == ["buyer"]


def test_two_workers_share_one_redis_budget_against_the_standin(
    standin: StandinHandle, redis_url: str
) -> None:
    standin.admin.configure(rate_limit_max=20, rate_limit_interval_s=1.0)
    dana = seed(standin)
    workers = [
        client_for(standin, limiter=RedisRateLimiter(redis.Redis.from_url(redis_url), 20, 1.05))
        for _ in range(2)
    ]
    started = time.monotonic()
    threads = [
        threading.Thread(target=lambda c=c: [c.get_contact("LocA", dana) for _ in range(25)]) for c in workers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for worker in workers:
        worker.close()
    log = standin.admin.requests("LocA")
    assert len(log) == 50 and all(r["status"] == 200 for r in log)
    assert time.monotonic() - started >= 2.0  # 50 requests at 20 per second need the third window


def test_no_token_in_logs_over_real_http(standin: StandinHandle, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    dana = seed(standin)
    standin.admin.set_faults(status_5xx_next=1)
    with client_for(standin) as client:
        client.get_contact("LocA", dana)
        with pytest.raises(GHLNotFoundError) as caught:
            client.get_contact("LocB", "missing")
    assert "httpcore" in caplog.text or "HTTP Request" in caplog.text  # the HTTP stack did log
    for token in TOKENS.values():
        assert token not in caplog.text and token not in str(caught.value) and token not in repr(client)

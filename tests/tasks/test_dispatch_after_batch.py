"""Processing's dispatch hook texts a new lead from its own thread: no background task run, so no
`.delay()` round trip and no task-engine start between the enrolment and the text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.ghl.standin import StandinHandle
from hub.settings import get_settings
from hub.store.engine import session_factory
from hub.store.models import SendLedgerEntry
from hub.workflows import enroll
from tasks.dispatch_location import dispatch_after_batch, dispatch_gate
from tasks.resources import ghl_client, redis_client, store_sessions
from tests.hub.workflows.builders import add_lead, add_location, ghl_contact, publish, workflow_yaml
from tests.standin_fixtures import registered
from tests.standin_fixtures import standin_server as standin_server

TOKEN = "tok-L1-5c2e"
TEXT = workflow_yaml("""
    - {id: hello, type: send_sms, body: "Hello {{ contact.first_name }}"}
""")


def daytime_zone() -> str:
    """A zone where it is 10:00-18:59 now: the text is sent at once, not deferred by quiet hours."""
    zones = ["America/Chicago", "Europe/Berlin", "Asia/Tokyo", "Pacific/Auckland", "America/Los_Angeles"]
    zones += ["Asia/Kolkata", "America/Sao_Paulo", "Pacific/Honolulu"]
    return next(z for z in zones if 10 <= datetime.now(ZoneInfo(z)).hour < 19)


def clear_resources() -> None:
    for cached in (get_settings, store_sessions, redis_client, ghl_client):
        cached.cache_clear()


@pytest.fixture
def standin(standin_server: StandinHandle) -> StandinHandle:
    return registered(standin_server, {"L1": TOKEN})


@pytest.fixture
def task_env(monkeypatch: pytest.MonkeyPatch, db_url: str, standin: StandinHandle) -> Iterator[None]:
    """The task worker's resources on this test's store and stand-in; one process, no Redis."""
    monkeypatch.setenv("HUB_DATABASE_URL", db_url)
    monkeypatch.setenv("HUB_GHL_BASE_URL", standin.base_url)
    monkeypatch.setenv("HUB_GHL_TOKEN", TOKEN)
    monkeypatch.delenv("HUB_REDIS_URL", raising=False)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # a `.delay()` here would fail
    clear_resources()
    yield
    clear_resources()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_new_lead_is_texted_on_the_processing_thread(
    task_env: None, store_engine: sa.Engine, standin: StandinHandle
) -> None:
    with session_factory(store_engine)() as session:
        zone = daytime_zone()
        add_location(session, timezone=zone)
        lead = add_lead(session, contact_id="C01", timezone=zone)
        standin.admin.seed_contacts("L1", [ghl_contact(lead)])
        publish(session, TEXT)
        now = datetime.now(UTC)
        enroll(session, location_id="L1", contact_id="C01", workflow_id="wf", now=now, reason="t")
        session.commit()

    assert dispatch_after_batch("L1") == "inline"

    assert [m["contactId"] for m in standin.admin.collection("L1", "messages")] == ["C01"]
    with Session(store_engine) as session:
        ledger = session.scalars(sa.select(SendLedgerEntry)).all()
    assert [(row.status, row.contact_id) for row in ledger] == [("sent", "C01")]
    assert dispatch_gate().request("L1") is True  # the location was released, nothing left pending
    dispatch_gate().take_pending("L1")

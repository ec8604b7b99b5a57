"""A webhook's lead enrolled by the processing hook, then sent through the GHL stand-in by the
`dispatch-workflow-steps` flow run — once, even when the flow runs again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from flows.dispatch_workflow_steps import dispatch_workflow_steps
from hub.demo_ghl import configure_locations, seed_standin
from hub.events.envelope import marketplace_delivery
from hub.events.processor import ProcessingHooks, process_pending
from hub.ghl.standin import StandinHandle, run_standin_in_thread
from hub.store.engine import session_factory
from hub.store.event_log import append_event
from hub.store.models import SendLedgerEntry
from hub.tenancy import register_location
from tasks.resources import ghl_client
from tasks.workflow_hooks import react_to_changes

pytestmark = pytest.mark.slow
TEMPLATES = Path(__file__).resolve().parents[2] / "workflow_templates"
CANDIDATE_ZONES = [
    "America/Chicago",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Honolulu",
]


def daytime_zone() -> str:
    """A zone where it is 10:00-18:59 now, so quiet hours (08-21 local) cannot defer the first text."""
    for zone in CANDIDATE_ZONES:
        if 10 <= datetime.now(ZoneInfo(zone)).hour < 19:
            return zone
    raise AssertionError("no candidate zone in daytime")  # the 8 zones cover every hour of the day


@pytest.fixture
def standin() -> Iterator[StandinHandle]:
    with run_standin_in_thread() as handle:
        yield handle


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_new_lead_gets_one_text_through_ghl(
    prefect_server: None,
    hub_env: Path,
    store_engine: sa.Engine,
    standin: StandinHandle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions = session_factory(store_engine)
    with sessions() as session, session.begin():
        register_location(session, "LocA", name="Oak Realty", timezone="America/Chicago")
    tokens = configure_locations(store_engine, TEMPLATES)
    for name, value in tokens.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HUB_GHL_BASE_URL", standin.base_url)
    ghl_client.cache_clear()

    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body = json.dumps(
        {
            "type": "ContactCreate",
            "locationId": "LocA",
            "id": "CtNew1",
            "firstName": "Dana",
            "phone": "+15125550143",
            "source": "Zillow",
            "tags": ["buyer"],
            "dateAdded": now,
            "timezone": daytime_zone(),
            "webhookId": "wh-new-1",
            "timestamp": now,
        }
    ).encode()
    with sessions() as session, session.begin():
        append_event(session, marketplace_delivery(body, received_at=datetime.now(UTC)))
    with sessions() as session, session.begin():
        process_pending(session, "LocA", hooks=ProcessingHooks(on_changes=react_to_changes))
    seed_standin(standin.admin, store_engine, tokens)

    first = dispatch_workflow_steps()
    second = dispatch_workflow_steps()

    texts = [m for m in standin.admin.collection("LocA", "messages") if m.get("type") == "SMS"]
    assert len(texts) == 1 and texts[0]["contactId"] == "CtNew1"
    assert "Oak Realty" in texts[0]["message"] and "STOP" in texts[0]["message"].upper()  # guard 5
    assert first["sends"].get("sent", 0) >= 1 and second["sends"].get("sent", 0) == 0
    with Session(store_engine) as session:
        ledger = session.scalars(sa.select(SendLedgerEntry).where(SendLedgerEntry.channel == "SMS")).all()
    assert [(row.status, row.contact_id) for row in ledger] == [("sent", "CtNew1")]
    ghl_client.cache_clear()

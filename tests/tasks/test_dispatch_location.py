"""A new lead's first text goes out from the task worker right after processing enrols the lead.

The real stack (Prefect server, `hub task-worker`, API, each its own process) with NO flow worker:
the `dispatch-workflow-steps` deployment never runs here, so a text at the GHL stand-in can only
have come from the task worker: processing's own small dispatch round right after the enrolling
batch, or the `dispatch-location-steps` background task it hands bigger rounds to.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.cli.stack import StackShape, local_stack
from hub.demo_ghl import configure_locations, seed_standin
from hub.ghl.standin import StandinHandle, run_standin_in_thread
from hub.simulator import sign
from hub.simulator.signing import TEST_PUBLIC_KEY_PEM
from hub.store.engine import make_engine, migrate
from hub.store.models import SendLedgerEntry
from hub.tenancy import register_location

pytestmark = pytest.mark.slow
TEMPLATES = (
    Path(__file__).resolve().parents[2] / "workflow_templates"
)  # new_buyer_speed_to_lead texts at once


def daytime_zone() -> str:
    """A zone where it is 10:00-18:59 now, so quiet hours cannot defer the first text."""
    zones = ["America/Chicago", "Europe/Berlin", "Asia/Tokyo", "Pacific/Auckland", "America/Los_Angeles"]
    zones += ["Asia/Kolkata", "America/Sao_Paulo", "Pacific/Honolulu"]
    return next(z for z in zones if 10 <= datetime.now(ZoneInfo(z)).hour < 19)


@pytest.fixture
def standin() -> Iterator[StandinHandle]:
    with run_standin_in_thread() as handle:
        yield handle


def test_a_new_leads_first_text_is_sent_by_the_task_worker(tmp_path: Path, standin: StandinHandle) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        register_location(session, "LocA", name="Oak Realty", timezone="America/Chicago")
    tokens = configure_locations(engine, TEMPLATES)
    seed_standin(standin.admin, engine, tokens)
    contact_id = f"Ct{uuid.uuid4().hex[:8]}"
    standin.admin.seed_contacts("LocA", [{"id": contact_id, "firstName": "Dana", "phone": "+15125550143"}])
    env = {
        "HUB_DATABASE_URL": url,
        "HUB_WEBHOOK_ED25519_PUBLIC_KEY": TEST_PUBLIC_KEY_PEM,
        "HUB_GHL_BASE_URL": standin.base_url,
        **tokens,
    }
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body = json.dumps(
        {
            "type": "ContactCreate",
            "locationId": "LocA",
            "id": contact_id,
            "firstName": "Dana",
            "phone": "+15125550143",
            "source": "Zillow",
            "tags": ["buyer"],
            "timezone": daytime_zone(),
            "dateAdded": stamp,
            "webhookId": str(uuid.uuid4()),
            "timestamp": stamp,
        }
    ).encode()
    with local_stack(tmp_path / "stack", env, shape=StackShape(flow_workers=0)) as urls:
        answer = httpx.post(
            f"{urls.api}/webhooks/ghl", content=body, headers={"x-ghl-signature": sign(body)}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        deadline = time.monotonic() + 60  # seconds on a quiet box; generous for a loaded CI host
        texts: list[dict[str, object]] = []
        while not texts and time.monotonic() < deadline:
            texts = [m for m in standin.admin.collection("LocA", "messages") if m.get("type") == "SMS"]
            time.sleep(0.2)
        assert texts, f"no text reached the stand-in within 60 s; logs in {urls.logs}"
        time.sleep(2)  # a second dispatch (a late kick) must not send again
        texts = [m for m in standin.admin.collection("LocA", "messages") if m.get("type") == "SMS"]
    assert [t["contactId"] for t in texts] == [contact_id]
    assert "Oak Realty" in str(texts[0]["message"]) and "STOP" in str(texts[0]["message"]).upper()
    with Session(engine) as session:
        rows = session.scalars(sa.select(SendLedgerEntry).where(SendLedgerEntry.channel == "SMS")).all()
    assert [(row.status, row.contact_id) for row in rows] == [("sent", contact_id)]
    engine.dispose()

"""`GET /metrics`: the API's webhook counters, the GHL client's 429s, and gauges read from the store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from api.app import create_app
from hub.cli.processes import api_process
from hub.dashboard.prometheus import render_metrics
from hub.errors import ConfigError
from hub.ghl import endpoints as ep
from hub.settings import DatabaseSettings, MLSettings, ProcessingSettings, Settings, WebhookSettings
from hub.store.event_log import append_event
from hub.store.models import Enrollment, Event, SendLedgerEntry
from hub.tenancy import LocationCredentials, register_location
from tests.api.conftest import PUBLIC_PEM, ghl_body, sign
from tests.hub.ghl.conftest import Recorder, ghl_error, make_contact
from tests.hub.store.builders import add_contact, make_delivery
from tests.hub.workflows.builders import publish, workflow_yaml

REPO = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    """A model registry with a conversion champion (the layout ml/registry.py writes)."""
    kind = tmp_path / "models" / "conversion-7d"
    (kind / "conversion-7d-20260910T000000000000-ab12cd34").mkdir(parents=True)
    (kind / "CHAMPION").write_text("conversion-7d-20260910T000000000000-ab12cd34\n")
    return tmp_path / "models"


@pytest.fixture
def metrics_client(db_url: str, registry_dir: Path) -> Iterator[TestClient]:
    settings = Settings(
        database=DatabaseSettings(url=db_url),
        webhook=WebhookSettings(ed25519_public_key=PUBLIC_PEM),
        processing=ProcessingSettings(enabled=False),
        ml=MLSettings(registry_dir=registry_dir),
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_store_gauges_backlog_lag_sends_and_champions(
    metrics_client: TestClient, session: Session, location: LocationCredentials
) -> None:
    register_location(session, "LocB", name="B Realty", timezone="America/New_York")
    for key, location_id in (("d1", "LocA"), ("d2", "LocA"), ("d3", "LocNew"), ("d4", "LocGone")):
        append_event(session, make_delivery(delivery_key=key, location_id=location_id))
    now = datetime.now(UTC)
    session.execute(
        sa.update(Event).where(Event.delivery_key == "d1").values(received_at=now - timedelta(seconds=120))
    )
    session.execute(sa.update(Event).where(Event.delivery_key == "d4").values(processed_at=now))
    publish(session, workflow_yaml("- {id: hello, type: send_sms, body: Hi}", workflow_id="wf"))
    add_contact(session, "LocA", "C1")
    enrollment = Enrollment(location_id="LocA", contact_id="C1", workflow_id="wf", workflow_version=1)
    session.add(enrollment)
    session.flush()
    for step, status in (("a", "sent"), ("b", "sent"), ("c", "suppressed")):
        session.add(
            SendLedgerEntry(
                enrollment_id=enrollment.id,
                step_id=step,
                channel="SMS",
                location_id="LocA",
                contact_id="C1",
                status=status,
            )
        )
    session.commit()

    response = metrics_client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = parse(response.text)
    assert value(samples, "hub_store_up") == 1
    assert value(samples, "hub_events_unprocessed", location="LocA") == 2
    assert value(samples, "hub_events_unprocessed", location="LocB") == 0
    # An unregistered location reports while a delivery of its waits (an INSTALL precedes its row).
    assert value(samples, "hub_events_unprocessed", location="LocNew") == 1
    assert value(samples, "hub_events_unprocessed", location="LocGone") is None
    assert value(samples, "hub_processing_lag_seconds", location="LocA") == pytest.approx(120, abs=10)
    assert value(samples, "hub_processing_lag_seconds", location="LocB") == 0
    assert value(samples, "hub_send_ledger_entries", location="LocA", channel="SMS", status="sent") == 2
    assert value(samples, "hub_send_ledger_entries", location="LocA", channel="SMS", status="suppressed") == 1
    assert (
        value(
            samples,
            "hub_model_champion_info",
            kind="conversion-7d",
            version="conversion-7d-20260910T000000000000-ab12cd34",
        )
        == 1
    )


def _delivery_count(route: str, outcome: str, reason: str = "") -> float:
    labels = {"route": route, "outcome": outcome, "reason": reason}
    return REGISTRY.get_sample_value("hub_webhook_deliveries_total", labels) or 0.0


def test_every_webhook_answer_is_counted_by_outcome_and_reason(
    metrics_client: TestClient, location: LocationCredentials
) -> None:
    cases = [
        ("marketplace", "accepted", ""),
        ("marketplace", "duplicate", ""),
        ("marketplace", "rejected", "bad_signature"),
        ("marketplace", "rejected", "bad_payload"),
        ("workflow", "accepted", ""),
        ("workflow", "rejected", "unknown_workflow_secret"),
    ]
    before = {case: _delivery_count(*case) for case in cases}
    body = ghl_body(webhookId="wh-metrics")
    assert (
        metrics_client.post("/webhooks/ghl", content=body, headers=sign(body)).json()["status"] == "accepted"
    )
    assert (
        metrics_client.post("/webhooks/ghl", content=body, headers=sign(body)).json()["status"] == "duplicate"
    )
    forged = ghl_body(webhookId="wh-forged")
    assert metrics_client.post("/webhooks/ghl", content=forged, headers=sign(body)).status_code == 401
    not_json = b"not json at all"
    assert metrics_client.post("/webhooks/ghl", content=not_json, headers=sign(not_json)).status_code == 400
    website = json.dumps({"contact_id": "C1", "customData": {"event": "listing_view"}}).encode()
    secret_url = f"/webhooks/ghl/workflow/{location.workflow_secret}"
    assert metrics_client.post(secret_url, content=website).status_code == 200
    assert metrics_client.post("/webhooks/ghl/workflow/not-a-secret", content=website).status_code == 404
    metrics_client.get("/healthz")  # other paths are not deliveries

    after = {case: _delivery_count(*case) for case in cases}
    assert {case: after[case] - before[case] for case in cases} == dict.fromkeys(cases, 1.0)
    text = metrics_client.get("/metrics").text
    assert location.workflow_secret not in text and location.api_key not in text


def test_a_429_from_ghl_is_counted_once_per_answer() -> None:
    labels = {"endpoint": ep.GET_CONTACT.name, "location": "LocA"}
    before = REGISTRY.get_sample_value("hub_ghl_rate_limited_total", labels) or 0.0
    recorder = Recorder(ghl_error(429), ghl_error(429), httpx.Response(200, json={"contact": make_contact()}))
    contact = recorder.client().get_contact("LocA", "CtA19fe02Lm")
    assert contact.id == "CtA19fe02Lm" and len(recorder.requests) == 3
    assert REGISTRY.get_sample_value("hub_ghl_rate_limited_total", labels) == before + 2


# A GHL call in a process of its own, as the task worker makes it: its 429 is stored nowhere.
WORKER = textwrap.dedent(
    """
    import httpx
    from tests.hub.ghl.conftest import Recorder, ghl_error, make_contact

    recorder = Recorder(ghl_error(429), httpx.Response(200, json={"contact": make_contact()}))
    recorder.client().get_contact("LocA", "CtA19fe02Lm")
    """
)


@pytest.mark.slow  # starts the API process: about 10 s on a loaded machine
def test_counters_of_every_process_add_up_in_multiprocess_mode(sqlite_template: Path, tmp_path: Path) -> None:
    # About processes, not backends: one SQLite store is enough (the API's startup dominates the run).
    store = tmp_path / "hub.db"
    shutil.copyfile(sqlite_template, store)
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {
        "HUB_DATABASE_URL": f"sqlite:///{store}",
        "HUB_PROCESSING_ENABLED": "false",
        "HUB_WEBHOOK_ED25519_PUBLIC_KEY": PUBLIC_PEM,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
    }
    subprocess.run(
        [sys.executable, "-c", WORKER], cwd=REPO, env={**os.environ, **env}, check=True, timeout=60
    )
    with api_process(env, tmp_path / "api.log") as api:
        body = ghl_body(webhookId="wh-multi")
        assert httpx.post(f"{api}/webhooks/ghl", content=body, headers=sign(body)).status_code == 200
        samples = parse(httpx.get(f"{api}/metrics").text)
    assert value(samples, "hub_ghl_rate_limited_total", endpoint="get_contact", location="LocA") == 1
    assert (
        value(samples, "hub_webhook_deliveries_total", route="marketplace", outcome="accepted", reason="")
        == 1
    )
    assert value(samples, "hub_store_up") == 1


def test_a_missing_multiprocess_directory_never_fails_a_ghl_call(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "never-created")}
    done = subprocess.run(
        [sys.executable, "-c", WORKER], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "cannot record hub_ghl_rate_limited" in done.stderr


def test_a_scrape_names_a_missing_multiprocess_directory(
    store_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "never-created"))
    with pytest.raises(ConfigError, match=r"PROMETHEUS_MULTIPROC_DIR: .*not a directory"):
        render_metrics(store_engine)

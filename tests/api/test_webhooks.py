from __future__ import annotations

import gc
import json
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session

from api.app import create_app
from api.processing import ProcessingKicker
from hub.store.engine import make_engine, migrate
from hub.store.models import Event
from hub.tenancy import LocationCredentials
from tests.api.conftest import ghl_body, make_settings, sign


def _events(session: Session) -> list[Event]:
    session.expire_all()
    return list(session.scalars(sa.select(Event).order_by(Event.id)))


def test_signed_delivery_is_logged_with_exact_bytes(client: TestClient, session: Session) -> None:
    body = ghl_body()
    response = client.post("/webhooks/ghl", content=body, headers=sign(body))
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "webhookId": "wh-1"}
    [event] = _events(session)
    assert event.raw_body == body
    assert (event.location_id, event.contact_id, event.type) == ("LocA", "C1", "ContactCreate")


def test_repeat_delivery_is_a_200_noop(client: TestClient, session: Session) -> None:
    body = ghl_body()
    first = client.post("/webhooks/ghl", content=body, headers=sign(body))
    second = client.post("/webhooks/ghl", content=body, headers=sign(body))
    assert (first.json()["status"], second.json()["status"]) == ("accepted", "duplicate")
    assert second.status_code == 200
    assert len(_events(session)) == 1


def test_unsigned_and_badly_signed_are_401_and_store_nothing(client: TestClient, session: Session) -> None:
    body = ghl_body()
    missing = client.post("/webhooks/ghl", content=body, headers={"content-type": "application/json"})
    tampered = client.post("/webhooks/ghl", content=ghl_body(id="C2"), headers=sign(body))
    assert missing.status_code == tampered.status_code == 401
    assert "X-GHL-Signature" in missing.json()["detail"]
    assert _events(session) == []


def test_malformed_json_is_400_with_the_reason(client: TestClient, session: Session) -> None:
    body = b'{"type": "ContactCreate", "locationId": '
    response = client.post("/webhooks/ghl", content=body, headers=sign(body))
    assert response.status_code == 400
    assert "malformed JSON at line 1" in response.json()["detail"]
    assert _events(session) == []


def test_oversized_body_is_413(db_url: str, session: Session) -> None:
    with TestClient(create_app(make_settings(db_url, max_body_bytes=2048))) as c:
        body = ghl_body(body="x" * 4096)
        response = c.post("/webhooks/ghl", content=body, headers=sign(body))
    assert response.status_code == 413
    assert _events(session) == []


def test_unknown_event_type_is_kept(client: TestClient, session: Session) -> None:
    body = ghl_body(type="BrandNewEvent2027", webhookId="wh-new")
    assert client.post("/webhooks/ghl", content=body, headers=sign(body)).status_code == 200
    assert [e.type for e in _events(session)] == ["BrandNewEvent2027"]


def test_future_timestamp_beyond_window_is_refused(client: TestClient, session: Session) -> None:
    body = ghl_body(timestamp="2099-01-01T00:00:00Z")
    response = client.post("/webhooks/ghl", content=body, headers=sign(body))
    assert response.status_code == 400 and "timestamp" in response.json()["detail"]


def test_dev_mode_accepts_unsigned(db_url: str, session: Session) -> None:
    with TestClient(create_app(make_settings(db_url, dev_mode=True))) as c:
        body = ghl_body()
        assert c.post("/webhooks/ghl", content=body).status_code == 200
    assert len(_events(session)) == 1


def test_workflow_webhook_needs_the_location_secret(
    client: TestClient, session: Session, location: LocationCredentials
) -> None:
    body = json.dumps(
        {
            "contact_id": "C1",
            "tags": "buyer,zillow",
            "location": {"id": "LocEVIL"},
            "customData": {"event": "property_view", "listing_id": "L9"},
        }
    ).encode()
    wrong = client.post("/webhooks/ghl/workflow/not-the-secret", content=body)
    assert wrong.status_code == 404
    ok = client.post(f"/webhooks/ghl/workflow/{location.workflow_secret}", content=body)
    again = client.post(f"/webhooks/ghl/workflow/{location.workflow_secret}", content=body)
    assert (ok.json()["status"], again.json()["status"]) == ("accepted", "duplicate")
    [event] = _events(session)
    assert (event.location_id, event.type, event.source) == (
        "LocA",
        "workflow.property_view",
        "workflow_webhook",
    )


def test_credentials_repr_hides_secrets(location: LocationCredentials) -> None:
    assert location.workflow_secret not in repr(location)
    assert location.api_key not in repr(location)


def test_processing_without_a_prefect_server_refuses_to_start(db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Never fall back to an in-process throw-away Prefect server (prefect-notes.md §6)."""
    import pytest
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from hub.errors import ConfigError
    from hub.settings import ProcessingSettings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    settings = make_settings(db_url).model_copy(update={"processing": ProcessingSettings(enabled=True)})
    # A Prefect test harness started earlier in the session sets the URL in Prefect's settings
    # context, not in the environment: clear both, as a fresh process would see them.
    with (
        temporary_settings(restore_defaults={PREFECT_API_URL}),
        pytest.raises(ConfigError, match="PREFECT_API_URL"),
        TestClient(create_app(settings)),
    ):
        pass


def test_a_backlog_over_the_limit_is_429_with_retry_after_and_stores_nothing(
    client: TestClient, session: Session, store_engine: sa.Engine
) -> None:
    # A real kicker (not started: these tests run without Prefect) whose count says "backlogged".
    kicker = ProcessingKicker(store_engine, lambda location_id: None, sweep_interval_s=60)
    kicker.backlog = client.app.state.settings.processing.backlog_limit + 1  # type: ignore[attr-defined]
    client.app.state.kicker = kicker  # type: ignore[attr-defined]
    body = ghl_body()
    response = client.post("/webhooks/ghl", content=body, headers=sign(body))
    assert response.status_code == 429
    assert response.headers["retry-after"] == "60"
    assert "backlog" in response.json()["detail"]
    assert _events(session) == []


def test_a_chunked_body_over_the_limit_is_413(db_url: str, session: Session) -> None:
    # No Content-Length to refuse up front: the limit is enforced while the body streams in.
    with TestClient(create_app(make_settings(db_url, max_body_bytes=2048))) as c:
        body = ghl_body(body="x" * 4096)
        chunks = (body[i : i + 512] for i in range(0, len(body), 512))
        response = c.post("/webhooks/ghl", content=chunks, headers=sign(body))
    assert response.status_code == 413
    assert _events(session) == []


def test_the_marketplace_route_is_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    operation = paths["/webhooks/ghl"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "413", "429"}
    assert "/webhooks/ghl/workflow/{location_secret}" in paths
    assert client.get("/openapi.json").json()["paths"] == paths  # built once, amended once


def test_start_up_objects_are_frozen_out_of_the_collector_while_the_app_runs(db_url: str) -> None:
    with TestClient(create_app(make_settings(db_url))):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0  # shutdown gives them back: old apps can still be freed


def test_other_methods_on_the_marketplace_path_are_405(client: TestClient, session: Session) -> None:
    answer = client.get("/webhooks/ghl")
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert _events(session) == []


def test_a_store_failure_is_a_500_that_acknowledges_nothing_and_is_counted(tmp_path: Path) -> None:
    """A delivery the store cannot take is answered 500 (GHL retries it, ghl-api.md §4.2), never 2xx,
    and counted as a server error."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    migrate(url)
    labels = {"route": "marketplace", "outcome": "rejected", "reason": "server_error"}
    before = REGISTRY.get_sample_value("hub_webhook_deliveries_total", labels) or 0.0
    engine = make_engine(url)
    with TestClient(create_app(make_settings(url)), raise_server_exceptions=False) as c:
        with engine.begin() as connection:  # the log is gone from under the running receiver
            connection.execute(sa.text("ALTER TABLE events RENAME TO events_gone"))
        body = ghl_body()
        response = c.post("/webhooks/ghl", content=body, headers=sign(body))
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM events_gone")).scalar_one()
    engine.dispose()
    assert response.status_code == 500
    assert stored == 0
    assert REGISTRY.get_sample_value("hub_webhook_deliveries_total", labels) == before + 1

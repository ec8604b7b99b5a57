from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hub.events.processor import process_pending
from hub.tenancy import LocationCredentials, register_location
from tests.api.conftest import ghl_body, sign


def _deliver(client: TestClient, **fields: object) -> None:
    body = ghl_body(**fields)
    assert client.post("/webhooks/ghl", content=body, headers=sign(body)).status_code == 200


def test_lead_lookup_shows_state_and_timeline(
    client: TestClient, session: Session, location: LocationCredentials
) -> None:
    _deliver(client, id="C1", firstName="Dana", name="Dana Ruiz", phone="+15125550143", locationId="LocA")
    _deliver(
        client,
        type="InboundMessage",
        contactId="C1",
        webhookId="wh-2",
        locationId="LocA",
        messageType="SMS",
        direction="inbound",
        body="STOP",
        messageId="M1",
        dateAdded="2026-09-10T16:05:00.000Z",
    )
    with session.begin():
        process_pending(session, "LocA")
    response = client.get("/leads/C1", params={"location": "LocA"}, headers={"x-hub-key": location.api_key})
    assert response.status_code == 200
    lead = response.json()
    assert (lead["name"], lead["phone"], lead["messages_in"]) == ("Dana Ruiz", "+15125550143", 1)
    assert lead["sms_opted_out"] is True
    assert [e["type"] for e in lead["timeline"]] == ["InboundMessage", "ContactCreate"]
    assert lead["timeline"][0]["summary"] == "STOP"


def test_lead_lookup_is_scoped_to_the_keys_location(
    client: TestClient, session: Session, location: LocationCredentials
) -> None:
    other = register_location(session, "LocB", name="B Realty", timezone="America/New_York")
    session.commit()
    _deliver(client, id="C1", locationId="LocA")
    with session.begin():
        process_pending(session, "LocA")
    assert (
        client.get("/leads/C1", params={"location": "LocA"}, headers={"x-hub-key": other.api_key}).status_code
        == 403
    )
    assert (
        client.get("/leads/C1", params={"location": "LocB"}, headers={"x-hub-key": other.api_key}).status_code
        == 404
    )
    assert client.get("/leads/C1", params={"location": "LocA"}).status_code == 401

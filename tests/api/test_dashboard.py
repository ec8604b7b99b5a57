"""The dashboard's page and JSON routes: served, scoped to the key's location, numbers from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hub.store.activity_log import append_activity
from hub.store.models import Message, Score
from hub.tenancy import LocationCredentials, register_location
from tests.hub.store.builders import add_contact

T0 = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)


def _headers(credentials: LocationCredentials) -> dict[str, str]:
    return {"x-hub-key": credentials.api_key}


def test_the_page_and_its_assets_are_served_without_a_key(client: TestClient) -> None:
    page = client.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert '<script src="/dashboard/static/dashboard.js"' in page.text
    script = client.get("/dashboard/static/dashboard.js")
    assert script.status_code == 200 and "X-Hub-Key" in script.text
    assert client.get("/dashboard/static/dashboard.css").status_code == 200


def test_the_session_names_the_keys_location(client: TestClient, location: LocationCredentials) -> None:
    response = client.get("/dashboard/api/session", headers=_headers(location))
    assert response.json() == {"location_id": "LocA", "name": "Oak Realty", "timezone": "America/Chicago"}
    assert client.get("/dashboard/api/session").status_code == 401
    assert client.get("/dashboard/api/session", headers={"x-hub-key": "hub_made_up"}).status_code == 401


def test_a_key_never_reads_another_locations_dashboard(
    client: TestClient, session: Session, location: LocationCredentials
) -> None:
    other = register_location(session, "LocB", name="B Realty", timezone="America/New_York")
    session.commit()
    for path in ("/dashboard/api/overview", "/dashboard/api/leads", "/dashboard/api/activity"):
        assert client.get(path, params={"location": "LocB"}, headers=_headers(location)).status_code == 403
        assert client.get(path, params={"location": "LocB"}, headers=_headers(other)).status_code == 200
        assert client.get(path, params={"location": "LocB"}).status_code == 401


def test_overview_leads_and_activity_come_from_the_store(
    client: TestClient, session: Session, location: LocationCredentials
) -> None:
    add_contact(session, "LocA", "C1", name="Dana Ruiz", date_added=T0)
    add_contact(session, "LocA", "C2", name="Sam Lee", date_added=T0)
    session.add(
        Message(
            location_id="LocA",
            id="m1",
            contact_id="C1",
            direction="outbound",
            channel="SMS",
            occurred_at=T0 + timedelta(minutes=4),
        )
    )
    session.add(
        Score(
            location_id="LocA",
            contact_id="C2",
            kind="conversion",
            model_version="conversion-7d-v1",
            probability=0.42,
            tier="hot",
            reasons=[{"feature": "replies", "text": "replied to 3 texts in 24 h", "impact": 0.8}],
            scored_at=T0,
        )
    )
    item = append_activity(session, "LocA", "lead_created", {"name": "Sam Lee"}, contact_id="C2")
    session.commit()
    params = {"location": "LocA"}

    overview = client.get("/dashboard/api/overview", params=params, headers=_headers(location)).json()
    assert [(s["stage"], s["leads"]) for s in overview["funnel"]["stages"]][:2] == [
        ("new", 2),
        ("contacted", 1),
    ]
    assert overview["speed_to_lead"]["median_minutes"] == 4.0
    assert overview["conversion_tiers"] == [
        {"tier": "hot", "leads": 1, "min_probability": 0.42, "max_probability": 0.42}
    ]
    assert overview["location"]["name"] == "Oak Realty"

    leads = client.get("/dashboard/api/leads", params=params, headers=_headers(location)).json()
    assert leads["total"] == 2
    first = leads["rows"][0]
    assert (first["contact_id"], first["conversion"]["reasons"]) == ("C2", ["replied to 3 texts in 24 h"])
    assert (
        client.get(
            "/dashboard/api/leads", params={**params, "limit": 0}, headers=_headers(location)
        ).status_code
        == 422
    )

    activity = client.get("/dashboard/api/activity", params=params, headers=_headers(location)).json()
    assert [(a["id"], a["kind"], a["payload"]) for a in activity] == [
        (item.id, "lead_created", {"name": "Sam Lee"})
    ]

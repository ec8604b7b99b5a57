"""The listings API over real HTTP (TestClient) on SQLite and PostgreSQL: import, a lead's matches,
a listing's buyers, and one location's key never reaching another location's data."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hub.events.processor import process_pending
from hub.store.models import Listing, ListingInteraction
from hub.tenancy import LocationCredentials, register_location
from tests.hub.listings.builders import add_listing, add_match, feed, feed_row
from tests.hub.workflows.builders import add_lead


@pytest.fixture
def other(session: Session) -> LocationCredentials:
    credentials = register_location(session, "LocB", name="B Realty", timezone="America/New_York")
    session.commit()
    return credentials


def _key(credentials: LocationCredentials) -> dict[str, str]:
    return {"x-hub-key": credentials.api_key}


def test_import_csv_keeps_good_rows_and_names_bad_ones(
    client: TestClient, session: Session, location: LocationCredentials
) -> None:
    body = feed(feed_row("A1"), feed_row("A2", Beds="three"), feed_row("A3"))
    response = client.post("/listings", content=body, headers={**_key(location), "content-type": "text/csv"})
    assert response.status_code == 200
    report = response.json()
    assert (report["imported"], report["rejected"], report["format"]) == (2, 1, "csv")
    [error] = report["errors"]
    assert (error["row"], error["line"], error["field"], error["column"], error["listing_id"]) == (
        2,
        3,
        "BedroomsTotal",
        "Beds",
        "A2",
    )
    assert error["error"].startswith(
        "row 2 (line 3), listing A2, field BedroomsTotal (column 'Beds'): 'three'"
    )
    assert session.get(Listing, ("LocA", "A1")) is not None and session.get(Listing, ("LocA", "A2")) is None


def test_import_json_and_file_level_errors(client: TestClient, location: LocationCredentials) -> None:
    body = json.dumps([{"ListingKey": "J1", "StandardStatus": "Active", "ListPrice": 350000}])
    ok = client.post(
        "/listings", content=body, headers={**_key(location), "content-type": "application/json"}
    )
    assert ok.status_code == 200 and ok.json()["created"] == 1
    missing = client.post("/listings", content=b"ListingKey,Bedz\nA1,3\n", headers=_key(location))
    assert missing.status_code == 422
    assert "missing required column(s): StandardStatus" in missing.json()["detail"]
    assert "columns not recognised: Bedz" in missing.json()["detail"]
    every_row_bad = client.post(
        "/listings", content=feed(feed_row("B1", Status="gone")), headers=_key(location)
    )
    assert every_row_bad.status_code == 422 and every_row_bad.json()["rejected"] == 1


def test_an_import_only_ever_lands_in_the_keys_location(
    client: TestClient, session: Session, location: LocationCredentials, other: LocationCredentials
) -> None:
    body = feed(feed_row("A1", **{"List Price": "999"}))
    assert client.post("/listings", content=body).status_code == 401
    assert (
        client.post("/listings", params={"location": "LocA"}, content=body, headers=_key(other)).status_code
        == 403
    )
    assert client.post("/listings", content=body, headers=_key(other)).status_code == 200
    assert session.get(Listing, ("LocA", "A1")) is None
    listing = session.get(Listing, ("LocB", "A1"))
    assert listing is not None and listing.list_price == 999.0


def test_lead_matches_and_listing_buyers_are_scoped_to_the_keys_location(
    client: TestClient, session: Session, location: LocationCredentials, other: LocationCredentials
) -> None:
    add_lead(session, "LocA", "C1", name="Dana Ruiz")
    add_lead(session, "LocA", "C2", name="Sam Lee")
    add_listing(session, "H1", "LocA", address="1 Oak St")
    add_listing(session, "H2", "LocA", address="2 Oak St", status="Pending")
    add_match(session, "C1", "H1", 1, location_id="LocA")
    add_match(session, "C1", "H2", 2, location_id="LocA")
    add_match(session, "C2", "H1", 3, location_id="LocA")
    session.commit()

    matches = client.get("/leads/C1/matches", params={"location": "LocA"}, headers=_key(location))
    assert matches.status_code == 200
    [best] = matches.json()  # H2 left Active: never shown
    assert (best["rank"], best["reasons"], best["listing"]["address"]) == (1, ["reason for H1"], "1 Oak St")
    assert best["listing"]["features"] == ["garage"]

    buyers = client.get("/listings/H1/buyers", params={"location": "LocA"}, headers=_key(location))
    assert buyers.status_code == 200
    assert [(b["contact_id"], b["name"], b["rank"], b["alerted"]) for b in buyers.json()] == [
        ("C1", "Dana Ruiz", 1, False),
        ("C2", "Sam Lee", 3, False),
    ]

    for path in ("/leads/C1/matches", "/listings/H1/buyers"):
        assert client.get(path, params={"location": "LocA"}, headers=_key(other)).status_code == 403
        assert client.get(path, params={"location": "LocB"}, headers=_key(other)).status_code == 404
        assert client.get(path, params={"location": "LocA"}).status_code == 401
    assert (
        client.get("/leads/NOPE/matches", params={"location": "LocA"}, headers=_key(location)).status_code
        == 404
    )


def _website_event(contact_id: str, event: str, listing_id: str, at: str) -> bytes:
    """What the brokerage's IDX site sends through GHL's workflow Webhook action."""
    body = {
        "contact_id": contact_id,
        "location": {"id": "LocA", "name": "Oak Realty"},
        "customData": {"event": event, "listing_id": listing_id, "occurred_at": at},
    }
    return json.dumps(body).encode()


def test_alert_clicks_and_not_interested_flow_back_as_interactions(
    client: TestClient, session: Session, location: LocationCredentials
) -> None:
    add_lead(session, "LocA", "C1")
    for n in (1, 2):
        add_listing(session, f"H{n}", "LocA")
        add_match(session, "C1", f"H{n}", n, location_id="LocA")
    session.commit()
    url = f"/webhooks/ghl/workflow/{location.workflow_secret}"
    for event, listing_id in (("listing_alert_clicked", "H1"), ("not_interested", "H2")):
        assert (
            client.post(
                url, content=_website_event("C1", event, listing_id, "2026-09-10T18:00:00Z")
            ).status_code
            == 200
        )
    with session.begin():
        process_pending(session, "LocA")
    kinds = session.execute(sa.select(ListingInteraction.listing_id, ListingInteraction.kind)).tuples().all()
    assert sorted(kinds) == [("H1", "alert_click"), ("H2", "not_interested")]
    # The rejected listing disappears from the lead's matches and the listing's buyers at once.
    matches = client.get("/leads/C1/matches", params={"location": "LocA"}, headers=_key(location)).json()
    assert [m["listing"]["listing_id"] for m in matches] == ["H1"]
    buyers = client.get("/listings/H2/buyers", params={"location": "LocA"}, headers=_key(location)).json()
    assert buyers == []

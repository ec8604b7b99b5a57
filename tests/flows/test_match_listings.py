"""match_listings as real Prefect flow runs (a real server) on a real store: matches stored with their
reasons, buyers with new listings enrolled into the shipped listing_alert workflow, the table
artifact published; `hub run match-listings` runs the same flow."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventNameFilter
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from flows.match_listings import match_listings
from hub.cli import app
from hub.listings.preferences import save_custom_fields
from hub.store.models import Enrollment, ListingInteraction, ListingMatch
from hub.workflows import publish_workflow
from hub.workflows.loader import load_workflow
from tasks.listing_matching import IMPORTED_EVENT
from tests.hub.listings.builders import add_listing, feed, feed_row
from tests.hub.workflows.builders import T0, add_lead, add_location

TEMPLATE = Path(__file__).resolve().parents[2] / "workflow_templates" / "listing_alert.yaml"


def _seed(store_engine: Engine) -> None:
    with Session(store_engine) as session, session.begin():
        add_location(session)
        save_custom_fields(
            session,
            "L1",
            [
                {"id": "cf-budget", "name": "Budget", "fieldKey": "contact.budget"},
                {"id": "cf-areas", "name": "Preferred Areas", "fieldKey": "contact.areas"},
            ],
        )
        # Dana said so on the form; Sam only showed it on the website.
        add_lead(session, contact_id="C1", custom_fields={"cf-budget": "500000", "cf-areas": ["Austin"]})
        add_lead(session, contact_id="C2", custom_fields={})
        add_lead(session, contact_id="S1", tags=["seller"], custom_fields={"cf-budget": "900000"})
        for n, (price, city) in enumerate([(480_000, "Austin"), (495_000, "Austin"), (2_000_000, "Dallas")]):
            add_listing(session, f"H{n}", list_price=float(price), city=city)
        add_listing(session, "V1", list_price=300_000.0, city="Round Rock", status="Closed")
        session.add(
            ListingInteraction(location_id="L1", contact_id="C2", listing_id="V1", kind="save", at=T0)
        )
        publish_workflow(session, load_workflow(TEMPLATE), now=T0)


def _imported_events(location_id: str) -> list[dict[str, object]]:
    async def read() -> list[dict[str, object]]:
        async with get_client() as client:
            # The server allows at most 50 per page (the client's default of 100 is refused).
            page = await client.read_events(
                EventFilter(event=EventNameFilter(name=[IMPORTED_EVENT])), limit=50
            )
            return [e.payload for e in page.events if e.resource.id == f"hub.location.{location_id}"]

    return asyncio.run(read())


def _artifact_keys() -> set[str]:
    async def read() -> set[str]:
        async with get_client() as client:
            return {a.key for a in await client.read_artifacts() if a.key}

    return asyncio.run(read())


def test_match_listings_flow_and_cli(prefect_server: None, hub_env: Path, store_engine: Engine) -> None:
    _seed(store_engine)
    [summary] = match_listings(location_id="L1")
    assert summary["scorer"] == "rules" and summary["batches"] == 1
    assert summary["buyers"] == 2  # the seller-only contact is not a buyer
    with Session(store_engine) as session:
        matched = session.execute(sa.select(ListingMatch.contact_id, ListingMatch.listing_id)).tuples().all()
        assert {contact for contact, _ in matched} == {"C1", "C2"}
        assert ("C1", "H2") not in matched  # $2M in Dallas: outside Dana's budget and areas
        assert all(row.reasons for row in session.scalars(sa.select(ListingMatch)))
        [first_run] = set(session.scalars(sa.select(ListingMatch.matched_at)))
        enrolled = session.scalars(sa.select(Enrollment.contact_id).order_by(Enrollment.contact_id)).all()
        assert enrolled == ["C1", "C2"] and summary["enrolled"] == 2
    assert "listing-matches" in _artifact_keys()

    result = CliRunner().invoke(app, ["run", "match-listings", "--location", "L1"])
    assert result.exit_code == 0, result.output
    assert '"buyers_with_new_matches": 0' in result.output  # the same listings: nothing new to anyone
    with Session(store_engine) as session:
        # Every match was rewritten by the second run; nothing of the first run is left behind.
        [second_run] = set(session.scalars(sa.select(ListingMatch.matched_at)))
        assert second_run > first_run


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # one Prefect server: one event
def test_an_import_announces_itself_to_prefect(
    prefect_server: None, hub_env: Path, store_engine: Engine, tmp_path: Path
) -> None:
    """The event the `match-listings/daily` deployment's trigger waits for (test_deployments.py)."""
    with Session(store_engine) as session, session.begin():
        add_location(session)
    path = tmp_path / "feed.csv"
    path.write_bytes(feed(feed_row("A1"), feed_row("A2", Status="Pending")))
    result = CliRunner().invoke(app, ["listings", "import", str(path), "--location", "L1"])
    assert result.exit_code == 0, result.output
    assert "hub.listings.imported sent" in result.output
    deadline = time.monotonic() + 30
    while not (payloads := _imported_events("L1")) and time.monotonic() < deadline:
        time.sleep(0.5)  # the server stores events asynchronously
    assert payloads == [{"location_id": "L1", "imported": 2, "became_active": 1, "left_active": 0}]

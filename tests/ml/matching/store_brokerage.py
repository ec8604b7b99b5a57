"""A small simulated brokerage written to the store the way the hub holds it: locations, the
custom-field definitions, buyers with stated preferences in custom fields, every listing of the
MLS feed, and the website's listing interactions. For the ranker-training tests (task and flow)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from hub.listings.preferences import save_custom_fields
from hub.simulator import SimulationConfig, simulate
from hub.store.models import Contact, Listing, ListingInteraction
from ml.matching.simulated import SimulatedMatching, simulated_matching
from tests.hub.workflows.builders import add_location

# 400 leads over 60 days: ~3,000 interactions, simulated in a few seconds.
CONFIG = SimulationConfig(leads=400, days=60, seed=21, locations=2)
FIELDS = [
    {"id": "cf-budget", "name": "Budget", "fieldKey": "contact.budget"},
    {"id": "cf-beds", "name": "Bedrooms", "fieldKey": "contact.beds"},
    {"id": "cf-areas", "name": "Preferred Areas", "fieldKey": "contact.areas"},
    {"id": "cf-type", "name": "Property Type", "fieldKey": "contact.property_type"},
]


def simulated_brokerage() -> tuple[SimulatedMatching, datetime]:
    """The brokerage's matching frames and its "now" (the end of the simulated window)."""
    sim = simulate(CONFIG)
    data = simulated_matching(sim.world, sim.deliveries, CONFIG.start)
    return data, CONFIG.start + timedelta(days=CONFIG.days)


def _custom_fields(row: pd.Series) -> dict[str, object]:
    values: dict[str, object] = {}
    if pd.notna(row["budget_max"]):
        values["cf-budget"] = str(int(row["budget_max"]))
    if pd.notna(row["beds_min"]):
        values["cf-beds"] = f"{int(row['beds_min'])}+"
    if row["areas"]:
        values["cf-areas"] = list(row["areas"])
    if row["property_types"]:
        values["cf-type"] = list(row["property_types"])
    return values


def write_brokerage(
    session: Session,
    data: SimulatedMatching,
    end: datetime,
    *,
    listing_of: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> int:
    """Write the brokerage as of `end`; returns the number of interactions written. `listing_of`
    may rewrite which listing each interaction was with (e.g. to scramble the training window)."""
    explicit = data.explicit_at(end).set_index("contact_id")
    buyers = set(data.buyers())
    locations = data.contacts.groupby("contact_id")["location_id"].first()
    for location in sorted(data.feed["location_id"].unique()):
        add_location(session, str(location))
        save_custom_fields(session, str(location), FIELDS)
    session.add_all(
        Contact(
            location_id=str(location),
            id=str(contact),
            name=f"Lead {contact[:6]}",
            tags=["buyer"] if contact in buyers else ["seller"],
            custom_fields=_custom_fields(explicit.loc[contact]) if contact in explicit.index else {},
        )
        for contact, location in locations.items()
    )
    feed = data.listings_at(end)
    session.add_all(
        Listing(
            location_id=row.location_id,
            id=row.listing_id,
            status=row.status,
            list_price=row.list_price,
            bedrooms=int(row.bedrooms),
            bathrooms=row.bathrooms,
            living_area_sqft=int(row.living_area_sqft),
            property_type=row.property_type,
            city=row.city,
            postal_code=row.postal_code,
            latitude=row.latitude,
            longitude=row.longitude,
            year_built=int(row.year_built),
            features={"amenities": list(row.features)},
        )
        for row in feed.itertuples(index=False)
    )
    session.flush()
    log = data.interactions[data.interactions["at"] <= pd.Timestamp(end)]
    listing_ids = listing_of(log) if listing_of is not None else log["listing_id"]
    session.add_all(
        ListingInteraction(
            location_id=location, contact_id=contact, listing_id=listing, kind=kind, at=at.to_pydatetime()
        )
        for location, contact, listing, kind, at in zip(
            log["location_id"], log["contact_id"], listing_ids, log["kind"], log["at"], strict=True
        )
    )
    session.flush()
    return len(log)

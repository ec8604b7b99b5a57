"""Builders for listings tests: a feed as CSV text, listings and matches in the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.store.models import Listing, ListingMatch
from tests.hub.workflows.builders import T0

HEADER = (
    "ListingKey,MLS #,Status,List Price,Beds,Baths,SqFt,Year Built,Type,Address,City,Zip,Lat,Lng,DOM,"
    "Features,Photos"
)


def feed_row(key: str, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "ListingKey": key,
        "MLS #": f"MLS{key}",
        "Status": "Active",
        "List Price": "$450,000",
        "Beds": "3",
        "Baths": "2",
        "SqFt": "1850",
        "Year Built": "1998",
        "Type": "Single Family Residence",
        "Address": f"{key} Oak St",
        "City": "Austin",
        "Zip": "78704",
        "Lat": "30.25",
        "Lng": "-97.76",
        "DOM": "4",
        "Features": "garage; pool",
        "Photos": "12",
    }
    values.update(overrides)
    return ",".join(f'"{v}"' if "," in str(v) else str(v) for v in values.values())


def feed(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def add_listing(session: Session, listing_id: str, location_id: str = "L1", **overrides: Any) -> Listing:
    values: dict[str, Any] = {
        "status": "Active",
        "list_price": 450_000.0,
        "bedrooms": 3,
        "bathrooms": 2.0,
        "living_area_sqft": 1850,
        "property_type": "Single Family Residence",
        "address": f"{listing_id} Oak St",
        "city": "Austin",
        "postal_code": "78704",
        "features": {"amenities": ["garage"]},
        "photos_count": 5,
        "open_houses": [],
    }
    values.update(overrides)
    listing = Listing(location_id=location_id, id=listing_id, **values)
    session.add(listing)
    session.flush()
    return listing


def add_match(
    session: Session,
    contact_id: str,
    listing_id: str,
    rank: int,
    *,
    location_id: str = "L1",
    score: float | None = None,
    at: datetime = T0,
) -> ListingMatch:
    match = ListingMatch(
        location_id=location_id,
        contact_id=contact_id,
        listing_id=listing_id,
        score=score if score is not None else 1.0 - rank / 100,
        rank=rank,
        reasons=[f"reason for {listing_id}"],
        model_version="rules",
        matched_at=at,
    )
    session.add(match)
    session.flush()
    return match

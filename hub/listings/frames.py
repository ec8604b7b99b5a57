"""The store's listings and listing interactions as the plain frames ml.matching takes.

Listings of every status are handed over (what a buyer saved last month and has since sold still
says what they like); ml.matching only ever matches the Active ones. Listings without a price
(placeholders created by an interaction before the feed delivered the listing) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.listings.columns import LISTING_FRAME_COLUMNS, LISTING_NUMERIC_COLUMNS
from hub.listings.fields import amenities
from hub.store.models import Listing, ListingAlertItem, ListingInteraction

CHUNK = 1000


def listings_frame(session: Session, location_id: str) -> pd.DataFrame:
    rows = session.scalars(
        sa.select(Listing)
        .where(Listing.location_id == location_id, Listing.list_price > 0)
        .order_by(Listing.id)
    )
    records = [
        {
            "listing_id": row.id,
            "location_id": row.location_id,
            "status": row.status,
            "list_price": row.list_price,
            "bedrooms": row.bedrooms,
            "bathrooms": row.bathrooms,
            "living_area_sqft": row.living_area_sqft,
            "property_type": row.property_type,
            "city": row.city,
            "postal_code": row.postal_code,
            "latitude": row.latitude,
            "longitude": row.longitude,
            "days_on_market": row.days_on_market,
            "year_built": row.year_built,
            "features": amenities(row.features),
        }
        for row in rows
    ]
    frame = pd.DataFrame(records, columns=list(LISTING_FRAME_COLUMNS))
    for column in (*LISTING_NUMERIC_COLUMNS, "year_built"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame


def interactions_frame(
    session: Session, location_id: str, contact_ids: Sequence[str], *, until: datetime
) -> pd.DataFrame:
    """What these contacts did with listings up to `until`, oldest first."""
    records: list[tuple[str, str, str, datetime]] = []
    for start in range(0, len(contact_ids), CHUNK):
        records.extend(
            session.execute(
                sa.select(
                    ListingInteraction.contact_id,
                    ListingInteraction.listing_id,
                    ListingInteraction.kind,
                    ListingInteraction.at,
                )
                .where(
                    ListingInteraction.location_id == location_id,
                    ListingInteraction.contact_id.in_(list(contact_ids[start : start + CHUNK])),
                    ListingInteraction.at <= until,
                )
                .order_by(ListingInteraction.at, ListingInteraction.id)
            ).tuples()
        )
    frame = pd.DataFrame(records, columns=["contact_id", "listing_id", "kind", "at"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def alerted_pairs(session: Session, location_id: str, contact_ids: Sequence[str]) -> pd.DataFrame:
    """(contact_id, listing_id) already named in an alert to the contact: never matched again."""
    records: list[tuple[str, str]] = []
    for start in range(0, len(contact_ids), CHUNK):
        records.extend(
            session.execute(
                sa.select(ListingAlertItem.contact_id, ListingAlertItem.listing_id).where(
                    ListingAlertItem.location_id == location_id,
                    ListingAlertItem.contact_id.in_(list(contact_ids[start : start + CHUNK])),
                )
            ).tuples()
        )
    return pd.DataFrame(records, columns=["contact_id", "listing_id"])

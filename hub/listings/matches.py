"""Stored matches: replace a batch of buyers' matches with a fresh ranking, and read them back
("this lead's top matches", "who should I call about this listing?").

A run stamps every row it writes with its start time; once every batch of a location succeeded,
rows with an older stamp (buyers that left, listings no longer ranked) are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.listings.fields import amenities
from hub.listings.status import ACTIVE
from hub.store.models import Contact, Listing, ListingAlertItem, ListingInteraction, ListingMatch

if TYPE_CHECKING:
    import pandas as pd

CHUNK = 1000


@dataclass(frozen=True, slots=True)
class NewMatch:
    listing_id: str
    score: float
    rank: int


def replace_matches(
    session: Session,
    location_id: str,
    contact_ids: Sequence[str],
    ranked: pd.DataFrame,
    *,
    matched_at: datetime,
) -> dict[str, list[NewMatch]]:
    """Store `ranked` (ml.matching.rank_matches output) as these contacts' matches, replacing their
    previous ones; returns, per contact, the matches that were not among their previous ones."""
    previous: set[tuple[str, str]] = set()
    for start in range(0, len(contact_ids), CHUNK):
        chunk = list(contact_ids[start : start + CHUNK])
        where = (ListingMatch.location_id == location_id, ListingMatch.contact_id.in_(chunk))
        previous.update(
            session.execute(
                sa.select(ListingMatch.contact_id, ListingMatch.listing_id).where(*where)
            ).tuples()
        )
        session.execute(sa.delete(ListingMatch).where(*where))
    rows: list[dict[str, Any]] = []
    fresh: dict[str, list[NewMatch]] = {}
    for r in ranked.itertuples(index=False):
        match = NewMatch(str(r.listing_id), float(r.score), int(r.rank))
        contact_id = str(r.contact_id)
        reasons = [] if r.reasons is None else [str(reason) for reason in r.reasons]
        rows.append(
            {
                "location_id": location_id,
                "contact_id": contact_id,
                "listing_id": match.listing_id,
                "score": match.score,
                "rank": match.rank,
                "reasons": reasons,
                "model_version": str(r.scorer)[:64],
                "matched_at": matched_at,
            }
        )
        if (contact_id, match.listing_id) not in previous:
            fresh.setdefault(contact_id, []).append(match)
    if rows:
        session.execute(sa.insert(ListingMatch), rows)
    return fresh


def drop_stale_matches(session: Session, location_id: str, *, before: datetime) -> int:
    """Delete the location's matches a run older than `before` wrote."""
    result = session.execute(
        sa.delete(ListingMatch).where(
            ListingMatch.location_id == location_id, ListingMatch.matched_at < before
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


class ListingSummary(BaseModel):
    listing_id: str
    mls_number: str | None
    status: str
    list_price: float | None
    bedrooms: int | None
    bathrooms: float | None
    living_area_sqft: int | None
    property_type: str | None
    address: str | None
    city: str | None
    postal_code: str | None
    features: list[str]
    photos_count: int
    open_houses: list[dict[str, Any]]


class LeadMatch(BaseModel):
    rank: int
    score: float
    reasons: list[str]
    model_version: str
    matched_at: datetime
    listing: ListingSummary


class ListingBuyer(BaseModel):
    contact_id: str
    name: str | None
    phone: str | None
    email: str | None
    assigned_user_id: str | None
    rank: int  # where this listing ranks among the buyer's matches (1 = their best)
    score: float
    reasons: list[str]
    alerted: bool


def summary(listing: Listing) -> ListingSummary:
    return ListingSummary(
        listing_id=listing.id,
        mls_number=listing.mls_number,
        status=listing.status,
        list_price=listing.list_price,
        bedrooms=listing.bedrooms,
        bathrooms=listing.bathrooms,
        living_area_sqft=listing.living_area_sqft,
        property_type=listing.property_type,
        address=listing.address,
        city=listing.city,
        postal_code=listing.postal_code,
        features=amenities(listing.features),
        photos_count=listing.photos_count,
        open_houses=list(listing.open_houses or []),
    )


def _not_rejected() -> sa.ColumnElement[bool]:
    # "Not interested" hides a match at once, without waiting for the next match run.
    return ~sa.exists().where(
        ListingInteraction.location_id == ListingMatch.location_id,
        ListingInteraction.contact_id == ListingMatch.contact_id,
        ListingInteraction.listing_id == ListingMatch.listing_id,
        ListingInteraction.kind == "not_interested",
    )


def shown_matches(*columns: Any, location_id: str, contact_id: str) -> sa.Select[Any]:
    """Select `columns` of the lead's matches that may be shown, best first: listings that left
    Active or that the lead marked "not interested" never are (the lead's page, alerts)."""
    return (
        sa.select(*columns)
        .join(
            Listing,
            sa.and_(Listing.location_id == ListingMatch.location_id, Listing.id == ListingMatch.listing_id),
        )
        .where(
            ListingMatch.location_id == location_id,
            ListingMatch.contact_id == contact_id,
            Listing.status == ACTIVE,
            _not_rejected(),
        )
        .order_by(ListingMatch.rank, ListingMatch.listing_id)
    )


def lead_matches(session: Session, location_id: str, contact_id: str, *, limit: int = 10) -> list[LeadMatch]:
    """The lead's current matches, best first (`shown_matches`)."""
    query = shown_matches(ListingMatch, Listing, location_id=location_id, contact_id=contact_id)
    rows = session.execute(query.limit(limit)).tuples()
    return [
        LeadMatch(
            rank=match.rank,
            score=match.score,
            reasons=list(match.reasons),
            model_version=match.model_version,
            matched_at=match.matched_at,
            listing=summary(listing),
        )
        for match, listing in rows
    ]


def listing_buyers(
    session: Session, location_id: str, listing_id: str, *, limit: int = 20
) -> list[ListingBuyer]:
    """The buyers this listing fits best: those for whom it ranks highest, then by score."""
    alerted = sa.exists().where(
        ListingAlertItem.location_id == ListingMatch.location_id,
        ListingAlertItem.contact_id == ListingMatch.contact_id,
        ListingAlertItem.listing_id == ListingMatch.listing_id,
    )
    rows = session.execute(
        sa.select(ListingMatch, Contact, alerted.label("alerted"))
        .join(
            Contact,
            sa.and_(Contact.location_id == ListingMatch.location_id, Contact.id == ListingMatch.contact_id),
        )
        .where(
            ListingMatch.location_id == location_id,
            ListingMatch.listing_id == listing_id,
            Contact.deleted.is_(False),
            _not_rejected(),
        )
        .order_by(ListingMatch.rank, ListingMatch.score.desc(), ListingMatch.contact_id)
        .limit(limit)
    ).tuples()
    return [
        ListingBuyer(
            contact_id=contact.id,
            name=contact.name,
            phone=contact.phone,
            email=contact.email,
            assigned_user_id=contact.assigned_user_id,
            rank=match.rank,
            score=match.score,
            reasons=list(match.reasons),
            alerted=bool(was_alerted),
        )
        for match, contact, was_alerted in rows
    ]

"""The matching frames of a simulated brokerage (benchmarks and tests), through the real intake path.

Deliveries are normalised into the lead timeline exactly as the hub does (`ml.timeline`), so
interactions and stated preferences are what the hub would hold; listings come from the MLS feed
of the world. `latent_affinity` (hub.simulator.listings) scores pairs by the buyers' true taste:
the oracle ranking. Nothing here is used when serving.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from hub.errors import TrainingDataError
from hub.simulator.listings import latent_affinity
from ml.catalog import catalog_from_world
from ml.timeline import timeline_from_deliveries

_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SimulatedMatching:
    """Listings, interactions and stated preferences of a simulation, readable at any moment."""

    feed: pd.DataFrame  # every listing with its static status and listed_at (the feed at the end)
    interactions: pd.DataFrame  # contact_id, listing_id, kind, at, received_at, location_id
    contacts: pd.DataFrame  # timeline contact rows: stated preferences and tags as they changed
    start: pd.Timestamp

    def listings_at(self, as_of: datetime) -> pd.DataFrame:
        """The feed as of `as_of`: not yet listed → ComingSoon, listed coming-soon ones → Active."""
        moment = pd.Timestamp(as_of)
        feed = self.feed.copy()
        listed = feed["listed_at"] <= moment
        status = feed["static_status"].where(feed["static_status"] != "ComingSoon", "Active")
        feed["status"] = status.where(listed, "ComingSoon")
        days = (moment - feed["listed_at"]) / _DAY
        feed["days_on_market"] = np.floor(days).where(listed)
        return feed.drop(columns=["static_status"])

    def explicit_at(self, as_of: datetime) -> pd.DataFrame:
        """Stated preferences (custom fields) the hub had received by `as_of`, one row per contact."""
        rows = self.contacts[self.contacts["received_at"] <= pd.Timestamp(as_of)]
        latest = rows.groupby("contact_id", sort=True)[
            ["location_id", "budget", "pref_beds", "pref_areas", "pref_property_type"]
        ].last()  # last non-null value of each field
        return pd.DataFrame(
            {
                "contact_id": latest.index.astype(str),
                "location_id": latest["location_id"].to_numpy(),
                "budget_max": latest["budget"].to_numpy(dtype=float),
                "budget_min": np.nan,
                "beds_min": latest["pref_beds"].to_numpy(dtype=float),
                "areas": [
                    value.split(",") if isinstance(value, str) else [] for value in latest["pref_areas"]
                ],
                "property_types": [
                    [value] if isinstance(value, str) else [] for value in latest["pref_property_type"]
                ],
                "must_haves": [[] for _ in range(len(latest))],
            }
        )

    def buyers(self) -> list[str]:
        """Contacts tagged "buyer" when they were created (sellers never get listing matches)."""
        first = self.contacts.dropna(subset=["tags"]).groupby("contact_id")["tags"].first()
        return sorted(str(c) for c, tags in first.items() if "buyer" in str(tags).split(","))

    def interactions_until(self, as_of: datetime) -> pd.DataFrame:
        """Interactions received by `as_of` (what a profile at as_of may read)."""
        return self.interactions[self.interactions["received_at"] <= pd.Timestamp(as_of)]


def simulated_matching(
    world: Any, deliveries: Sequence[Any], start: datetime, *, events: pd.DataFrame | None = None
) -> SimulatedMatching:
    """Build the frames from a simulation's `world` and `deliveries` (what a model may see); pass
    `events` (an `ml.timeline` Timeline's events built from them) to skip normalising again."""
    if events is None:
        events = timeline_from_deliveries(deliveries, catalog=catalog_from_world(world)).events
    begin = pd.Timestamp(start)
    listings = list(world.listings)
    feed = pd.DataFrame(
        {
            "listing_id": [x.listing_id for x in listings],
            "location_id": [x.location_id for x in listings],
            "static_status": [x.standard_status for x in listings],
            "list_price": [float(x.list_price) for x in listings],
            "bedrooms": [float(x.bedrooms_total) for x in listings],
            "bathrooms": [float(x.bathrooms_total) for x in listings],
            "living_area_sqft": [float(x.living_area_sqft) for x in listings],
            "property_type": [x.property_sub_type for x in listings],
            "city": [x.city for x in listings],
            "postal_code": [x.postal_code for x in listings],
            "latitude": [x.latitude for x in listings],
            "longitude": [x.longitude for x in listings],
            "year_built": [float(x.year_built) for x in listings],
            "features": [list(x.features) for x in listings],
            "listed_at": [begin + x.listed_day * _DAY for x in listings],
        }
    )
    website = events[events["kind"] == "listing"]
    interactions = pd.DataFrame(
        {
            "contact_id": website["contact_id"].astype(str).to_numpy(),
            "listing_id": website["item_id"].astype(str).to_numpy(),
            "kind": website["action"].astype(str).to_numpy(),
            "at": website["at"].to_numpy(),
            "received_at": website["received_at"].to_numpy(),
            "location_id": website["location_id"].astype(str).to_numpy(),
        }
    )
    interactions["at"] = pd.to_datetime(interactions["at"], utc=True)
    interactions["received_at"] = pd.to_datetime(interactions["received_at"], utc=True)
    contacts = events[events["kind"] == "contact"][
        [
            "contact_id",
            "location_id",
            "received_at",
            "tags",
            "budget",
            "pref_beds",
            "pref_areas",
            "pref_property_type",
        ]
    ].sort_values(["contact_id", "received_at"], kind="stable")
    return SimulatedMatching(
        feed, interactions.reset_index(drop=True), contacts.reset_index(drop=True), begin
    )


def oracle_scores(
    oracle_leads: pd.DataFrame,
    listings: pd.DataFrame,
    contact_ids: np.ndarray[Any, Any],
    listing_ids: np.ndarray[Any, Any],
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The true latent affinity of each (contact, listing) pair, from the oracle's per-lead truth."""
    buyers = oracle_leads.drop_duplicates("contact_id").reset_index(drop=True)
    buyer_position = pd.Index(buyers["contact_id"].astype(str)).get_indexer(contact_ids.astype(str))
    listing_position = pd.Index(listings["listing_id"].astype(str)).get_indexer(listing_ids.astype(str))
    if (buyer_position < 0).any() or (listing_position < 0).any():
        raise TrainingDataError("oracle_scores got a contact or listing the simulation does not have")
    return latent_affinity(
        buyers, listings, buyer_position.astype(np.int64), listing_position.astype(np.int64)
    )


def oracle_rankings(
    listings: pd.DataFrame,
    profiles: pd.DataFrame,
    oracle_leads: pd.DataFrame,
    *,
    top_k: int = 10,
    budget_stretch: float = 0.15,
    chunk_size: int = 256,
) -> pd.DataFrame:
    """The oracle's top_k per buyer: the same hard filters as `rank_matches`, ranked by the buyers'
    true latent affinity (contact_id, listing_id, score, rank)."""
    from ml.matching.encode import blocked_pairs, candidate_blocks, encode
    from ml.matching.rank import top_per_row

    encoded = encode(listings, profiles)
    blocked = blocked_pairs(encoded, None, include_seen=False)
    parts: list[pd.DataFrame] = []
    for block in candidate_blocks(encoded, blocked, budget_stretch=budget_stretch, chunk=chunk_size):
        r, c = np.nonzero(block.mask)
        contacts = encoded.buyers.ids[block.buyers[r]]
        listing_ids = encoded.listings.ids[block.listings[c]]
        dense = np.full(block.mask.shape, -np.inf)
        dense[r, c] = oracle_scores(oracle_leads, listings, contacts, listing_ids)
        rows, columns, values = top_per_row(dense, top_k)
        parts.append(
            pd.DataFrame(
                {
                    "contact_id": encoded.buyers.ids[block.buyers[rows]].astype(str),
                    "listing_id": encoded.listings.ids[block.listings[columns]].astype(str),
                    "score": values,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["contact_id", "listing_id", "score", "rank"])
    out = pd.concat(parts, ignore_index=True)
    out["rank"] = out.groupby("contact_id").cumcount() + 1  # top_per_row returns best first
    return out

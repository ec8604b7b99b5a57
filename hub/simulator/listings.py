"""The listing inventory (RESO-like records) and the preference-driven way leads pick listings.

A buyer's website views and saves are drawn from listings weighted by closeness to the buyer's
latent budget (log-price distance), bedrooms, property type and preferred areas, so that property
matching can later be learned from the interaction log. Some listings come on the market during
the window (`listed_day` > 0); a lead can only see a listing once it is listed.

`taste_weight` is that latent pick weight; `latent_affinity` evaluates it for any buyer × listing
pairs from saved simulation files — the oracle a property-matching model is scored against
(docs/matching.md).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hub.simulator.geography import Metro

if TYPE_CHECKING:
    from hub.simulator.world import Market

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
PROPERTY_TYPES = ("Single Family Residence", "Townhouse", "Condominium")
_TYPE_PRICE = np.array([1.0, 0.88, 0.78])
_BEDS = (np.arange(2, 7), np.arange(2, 5), np.arange(1, 4))
_BEDS_P = (np.array([0.12, 0.35, 0.33, 0.15, 0.05]), np.array([0.3, 0.5, 0.2]), np.array([0.3, 0.5, 0.2]))
FEATURES = (
    "garage",
    "pool",
    "fireplace",
    "updated kitchen",
    "large yard",
    "home office",
    "solar panels",
    "basement",
    "hardwood floors",
    "open floor plan",
    "new roof",
    "walk-in closet",
    "mountain view",
    "water view",
    "EV charger",
    "guest suite",
)
_STREETS = (
    "Oak",
    "Maple",
    "Cedar",
    "Willow",
    "Pecan",
    "Juniper",
    "Magnolia",
    "Birch",
    "Aspen",
    "Hickory",
    "Sycamore",
    "Laurel",
    "Elm",
    "Spruce",
    "Chestnut",
    "Mesquite",
)
_SUFFIXES = ("St", "Ave", "Dr", "Ln", "Ct", "Way", "Blvd", "Trl")


@dataclass(frozen=True, slots=True)
class Listing:
    """One MLS listing, with RESO Data Dictionary-style fields."""

    listing_id: str
    location_id: str
    market_id: str
    standard_status: str
    list_price: int
    bedrooms_total: int
    bathrooms_total: float
    living_area_sqft: int
    property_sub_type: str
    unparsed_address: str
    city: str
    state_or_province: str
    postal_code: str
    latitude: float
    longitude: float
    listed_day: int
    listing_contract_date: str
    days_on_market: int | None
    year_built: int
    features: tuple[str, ...]


def build_inventory(
    rng: np.random.Generator,
    location_id: str,
    metro: Metro,
    markets: tuple[Market, ...],
    per_area: int,
    start_ms: int,
    days: int,
) -> tuple[Listing, ...]:
    """Draw `per_area` listings in every market of a location (vectorised per market)."""
    start = datetime.fromtimestamp(start_ms / 1000, UTC)
    listings: list[Listing] = []
    for market_index, (market, area) in enumerate(zip(markets, metro.areas, strict=True)):
        n = per_area
        kinds = rng.choice(3, size=n, p=[0.7, 0.15, 0.15])
        beds = np.array([rng.choice(_BEDS[k], p=_BEDS_P[k]) for k in kinds])
        sqft = (500 + 480 * beds) * rng.lognormal(0.0, 0.18, n) * np.where(kinds == 2, 0.85, 1.0)
        price = market.median_price * (sqft / 1_900) ** 0.85 * _TYPE_PRICE[kinds] * rng.lognormal(0, 0.15, n)
        baths = np.maximum(1.0, beds - 1 + rng.choice([0.0, 0.5, 1.0], size=n))
        future = rng.random(n) < 0.2
        listed_day = np.where(future, rng.integers(0, max(days, 1), n), -rng.geometric(1 / 35, n))
        lat = area.lat + rng.normal(0, 0.012, n)
        lon = area.lon + rng.normal(0, 0.012, n)
        status_draw = rng.random(n)
        year_built = rng.integers(1955, 2026, n)
        numbers = rng.integers(100, 9_900, n)
        streets = rng.integers(0, len(_STREETS), (n, 2))
        feature_counts = rng.integers(2, 6, n)
        for i in range(n):
            day = int(listed_day[i])
            if day >= 0:
                status = "ComingSoon"
            else:
                status = (
                    "Active"
                    if status_draw[i] < 0.85
                    else ("Pending" if status_draw[i] < 0.97 else "ActiveUnderContract")
                )
            chosen = rng.choice(len(FEATURES), size=int(feature_counts[i]), replace=False)
            listings.append(
                Listing(
                    listing_id=f"{metro.state}{market_index}{len(listings):05d}{int(numbers[i]) % 97:02d}",
                    location_id=location_id,
                    market_id=market.id,
                    standard_status=status,
                    list_price=int(round(float(price[i]), -3)),
                    bedrooms_total=int(beds[i]),
                    bathrooms_total=float(baths[i]),
                    living_area_sqft=int(sqft[i]),
                    property_sub_type=PROPERTY_TYPES[int(kinds[i])],
                    unparsed_address=f"{numbers[i]} {_STREETS[streets[i, 0]]} {_SUFFIXES[streets[i, 1] % 8]}",
                    city=area.name,
                    state_or_province=metro.state,
                    postal_code=area.postal_code,
                    latitude=round(float(lat[i]), 6),
                    longitude=round(float(lon[i]), 6),
                    listed_day=day,
                    listing_contract_date=(start + timedelta(days=day)).date().isoformat(),
                    days_on_market=None if day >= 0 else -day,
                    year_built=int(year_built[i]),
                    features=tuple(FEATURES[j] for j in sorted(chosen.tolist())),
                )
            )
    return tuple(listings)


class ListingIndex:
    """A location's listings sorted by the day they come on the market, as numpy columns."""

    def __init__(self, listings: tuple[Listing, ...], market_ids: tuple[str, ...]) -> None:
        ordered = sorted(listings, key=lambda listing: (listing.listed_day, listing.listing_id))
        self.listings = tuple(ordered)
        self.listed_day = [listing.listed_day for listing in ordered]
        self.log_price = np.log(np.array([listing.list_price for listing in ordered], dtype=float))
        self.beds = np.array([listing.bedrooms_total for listing in ordered], dtype=float)
        self.kind = np.array([PROPERTY_TYPES.index(listing.property_sub_type) for listing in ordered])
        position = {market_id: i for i, market_id in enumerate(market_ids)}
        self.market = np.array([position[listing.market_id] for listing in ordered])

    def visible(self, day: int) -> int:
        """How many listings (a prefix of the sorted order) are on the market on `day`."""
        return bisect.bisect_right(self.listed_day, day)


def taste_weight(
    log_price: FloatArray,
    beds: FloatArray,
    same_kind: BoolArray,
    in_area: BoolArray,
    *,
    log_budget: FloatArray | float,
    beds_pref: FloatArray | float,
) -> FloatArray:
    """How strongly a lead is drawn to a listing (the latent truth behind views, saves, showings).

    exp(−½((ln price − ln budget)/0.18)²) × exp(−0.9·|beds − beds_pref|) × (1 if the property
    type matches else 0.25) × (1 if in a preferred area else 0.04); arrays broadcast, so the same
    function weighs one lead's whole inventory (`Taste`) or any buyer × listing pairs (the
    matching oracle, `latent_affinity`).
    """
    price_fit = np.exp(-0.5 * ((log_price - log_budget) / 0.18) ** 2)
    beds_fit = np.exp(-0.9 * np.abs(beds - beds_pref))
    kind_fit = np.where(same_kind, 1.0, 0.25)
    area_fit = np.where(in_area, 1.0, 0.04)
    weight: FloatArray = price_fit * beds_fit * kind_fit * area_fit
    return weight


def latent_affinity(
    buyers: pd.DataFrame,
    listings: pd.DataFrame,
    buyer_index: NDArray[np.int64],
    listing_index: NDArray[np.int64],
) -> FloatArray:
    """The true `taste_weight` of each (buyer, listing) pair, from saved simulation files.

    `buyers` has the oracle's per-lead columns `budget`, `beds`, `property_type` and `areas`
    (comma-joined area names, as in oracle.parquet); `listings` has `list_price`, `bedrooms`
    (or `bedrooms_total`), `property_type` (or `property_sub_type`) and `city`. Pair i is
    (buyers.iloc[buyer_index[i]], listings.iloc[listing_index[i]]); vectorised over the pairs.
    Only meaningful for a buyer and a listing of the same location (areas are named per metro).
    """
    beds_column = "bedrooms" if "bedrooms" in listings.columns else "bedrooms_total"
    type_column = "property_type" if "property_type" in listings.columns else "property_sub_type"
    cities, city_code = np.unique(listings["city"].astype(str).to_numpy(), return_inverse=True)
    position = {name: j for j, name in enumerate(cities.tolist())}
    # A (buyer × city) membership table: tiny (a metro has a handful of areas), built once.
    wants = np.zeros((len(buyers), len(cities)), dtype=bool)
    for row, areas in enumerate(buyers["areas"].astype(str).tolist()):
        for name in areas.split(","):
            if name in position:
                wants[row, position[name]] = True
    weight = taste_weight(
        np.log(listings["list_price"].to_numpy(dtype=float))[listing_index],
        listings[beds_column].to_numpy(dtype=float)[listing_index],
        listings[type_column].astype(str).to_numpy()[listing_index]
        == buyers["property_type"].astype(str).to_numpy()[buyer_index],
        wants[buyer_index, city_code[listing_index]],
        log_budget=np.log(buyers["budget"].to_numpy(dtype=float))[buyer_index],
        beds_pref=buyers["beds"].to_numpy(dtype=float)[buyer_index],
    )
    return weight


class Taste:
    """One lead's latent listing preferences as cumulative pick weights over a `ListingIndex`."""

    def __init__(self, index: ListingIndex, budget: float, beds: int, kind: int, markets: list[int]) -> None:
        weight = taste_weight(
            index.log_price,
            index.beds,
            index.kind == kind,
            np.isin(index.market, markets),
            log_budget=float(np.log(budget)),
            beds_pref=beds,
        )
        self.index = index
        self.cumulative = np.cumsum(weight + 1e-9).tolist()

    def liked(self, day: int, u: float) -> Listing | None:
        """A listing the lead is drawn to on `day` (weighted by fit), None if nothing is listed yet."""
        visible = self.index.visible(day)
        if visible == 0:
            return None
        target = u * self.cumulative[visible - 1]
        return self.index.listings[min(bisect.bisect_left(self.cumulative, target), visible - 1)]

    def any(self, day: int, u: float) -> Listing | None:
        """A listing seen at random (e.g. on a portal feed) — mostly a poor fit."""
        visible = self.index.visible(day)
        return self.index.listings[int(u * visible)] if visible else None

"""The seed's fixed-weight rule scorer, ported faithfully as the baseline and the no-model fallback.

Source: the seed repository's `EnhancedPropertyMatcher` (ghl_real_estate_ai/services/
enhanced_property_matcher.py) with `FACTOR_WEIGHTS_BASE` (models/matching_models.py). The overall
score is, capped at 1.0:

    0.20·budget + 0.15·location + 0.10·bedrooms + 0.05·bathrooms + 0.05·property type + 0.05·sqft
    + 0.25·lifestyle + 0.10·contextual + 0.05·market timing

- budget: price ≤ budget → 1.0 (ANY price under budget scores 1.0: the savings bonus is capped),
  ≤ 1.05× → 0.8, ≤ 1.10× → 0.5, else 0.1; no budget → 0.5. Listings over 1.15× budget are
  filtered out before scoring (the seed's stretch filter = rank_matches' budget_stretch 0.15).
- location: the stated area in the listing's city → 1.0; any word of it in the city → 0.8; in the
  postal code → 0.9 (checked after the word match, as in the seed); else 0.2; none stated → 0.5.
  The seed takes one location string; a buyer with several areas gets the best of them.
- bedrooms vs the stated number: equal 1.0, one more 0.9, more 0.8, one fewer 0.5, else 0.2;
  none stated → 0.5. Bathrooms and sqft are never stated in the hub's custom fields → 0.5.
- property type: stated type contained in the listing's type → 1.0, "single" stated and "house"
  in the type → 0.9, else 0.3; none → 0.5 (best of several stated types).
- lifestyle (the seed's basic version, there being no school/commute/crime data): schools 0,
  commute / walkability / safety 0.5 of their weights (0.06, 0.06, 0.05) + 0.02·0.5.
- contextual: HOA 1.0·0.03 (no HOA data, no limit), lot size 0.5·0.03, home age
  max(0.5, 1 − age/50)·0.02 (year_built, 2000 when unknown), parking 0.8 if a feature mentions
  garage/parking/carport/driveway else 0.3 (·0.02), condition by age (<5 y 1.0, <15 0.8, <30 0.6,
  else 0.4) + 0.1 per updated/new/renovated/remodeled/upgraded mention (≤ 0.3), capped 1.0 (·0.02).
- market timing: days-on-market score (≤7 d 0.3, ≤21 0.6, ≤60 0.9, else 1.0; unknown → 0)
  ·0.6 + 0.5·0.3 + 0.5·0.1.

Not ported: the seed's `min_score` cut (0.6) — it would return nothing for buyers without stated
preferences, so the baseline here ranks every candidate (which can only help it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ml.matching.encode import Encoded, encode

RULE_WEIGHTS: dict[str, float] = {
    "budget": 0.20,
    "location": 0.15,
    "bedrooms": 0.10,
    "bathrooms": 0.05,
    "property_type": 0.05,
    "sqft": 0.05,
    "schools": 0.08,
    "commute": 0.06,
    "walkability": 0.06,
    "safety": 0.05,
    "hoa_fee": 0.03,
    "lot_size": 0.03,
    "home_age": 0.02,
    "parking": 0.02,
    "market_timing": 0.05,
}
_PROPERTY_CONDITION_WEIGHT = 0.02  # weights.get("property_condition", 0.02) in the seed
_LIFESTYLE_SHARE = 0.25
_CONTEXTUAL_SHARE = 0.10
_PARKING_WORDS = ("garage", "parking", "carport", "driveway")
_UPDATE_WORDS = ("updated", "new", "renovated", "remodeled", "upgraded")


def _location_score(preferred: str, city: str, postal: str) -> float:
    pref = preferred.lower()
    place = city.lower()
    if pref in place:
        return 1.0
    if any(word in place for word in pref.split()):
        return 0.8
    if postal and pref in postal:
        return 0.9
    return 0.2


def _type_score(preferred: str, listing_type: str) -> float:
    pref, kind = preferred.lower(), listing_type.lower()
    if pref in kind:
        return 1.0
    if "single" in pref and "house" in kind:
        return 0.9
    return 0.3


def _dom_score(days: NDArray[np.float64]) -> NDArray[np.float64]:
    days = np.nan_to_num(days, nan=0.0)
    return np.select([days <= 7, days <= 21, days <= 60], [0.3, 0.6, 0.9], 1.0)


@dataclass(frozen=True, slots=True)
class RuleTables:
    """Per-buyer and per-listing parts of the rule score, computed once per `Encoded`."""

    place: NDArray[np.int64]  # listing -> (city, postal) code
    location: NDArray[np.float64]  # (buyers × places)
    kind: NDArray[np.int64]  # listing -> property type string code
    property_type: NDArray[np.float64]  # (buyers × type strings)
    constant: NDArray[np.float64]  # listing-only part of the score


def rule_tables(encoded: Encoded, as_of_year: int) -> RuleTables:
    feed, profiles = encoded.listings.frame, encoded.buyers.frame
    cities = feed["city"].fillna("").astype(str)
    postals = feed["postal_code"].fillna("").astype(str)
    places, place = np.unique(
        np.char.add(np.char.add(cities.to_numpy(dtype=str), "\x1f"), postals.to_numpy(dtype=str)),
        return_inverse=True,
    )
    split = [name.split("\x1f") for name in places.tolist()]
    types, kind = np.unique(
        feed["property_type"].fillna("").astype(str).to_numpy(dtype=str), return_inverse=True
    )

    n_b = len(profiles)
    location = np.full((n_b, len(places)), 0.5)
    property_type = np.full((n_b, len(types)), 0.5)
    # Per buyer (not per pair): the best score of the stated areas / types against each place / type.
    for row, (areas, wanted) in enumerate(zip(profiles["areas"], profiles["property_types"], strict=True)):
        if isinstance(areas, list) and areas:
            location[row] = [max(_location_score(a, c, p) for a in areas) for c, p in split]
        if isinstance(wanted, list) and wanted:
            property_type[row] = [max(_type_score(w, t) for w in wanted) for t in types.tolist()]

    w = RULE_WEIGHTS
    lifestyle = (
        0.0 * w["schools"] + 0.5 * w["commute"] + 0.5 * w["walkability"] + 0.5 * w["safety"] + 0.02 * 0.5
    )
    year_built = (
        feed["year_built"].fillna(2000.0).to_numpy(dtype=float)
        if "year_built" in feed.columns
        else np.full(len(feed), 2000.0)
    )
    age = as_of_year - year_built
    lowered = [[f.lower() for f in features] for features in feed["features"]]
    parking = np.array([any(word in f for f in fs for word in _PARKING_WORDS) for fs in lowered])
    updates = np.array(
        [sum(1 for f in fs for word in _UPDATE_WORDS if word in f) for fs in lowered], dtype=float
    )
    condition_base = np.select([age < 5, age < 15, age < 30], [1.0, 0.8, 0.6], 0.4)
    contextual = (
        1.0 * w["hoa_fee"]
        + 0.5 * w["lot_size"]
        + np.maximum(0.5, 1.0 - age / 50.0) * w["home_age"]
        + np.where(parking, 0.8, 0.3) * w["parking"]
        + np.minimum(1.0, condition_base + np.minimum(0.3, updates * 0.1)) * _PROPERTY_CONDITION_WEIGHT
    )
    timing = _dom_score(feed["days_on_market"].to_numpy(dtype=float)) * 0.6 + 0.5 * 0.3 + 0.5 * 0.1
    constant = (
        0.5 * w["bathrooms"]
        + 0.5 * w["sqft"]
        + lifestyle * _LIFESTYLE_SHARE
        + contextual * _CONTEXTUAL_SHARE
        + timing * w["market_timing"]
    )
    return RuleTables(place.astype(np.int64), location, kind.astype(np.int64), property_type, constant)


def encoded_rule_scores(
    encoded: Encoded, tables: RuleTables, buyer: NDArray[np.int64], listing: NDArray[np.int64]
) -> NDArray[np.float64]:
    """The rule score of pairs given as index arrays (any shape; they broadcast)."""
    b, l_ = encoded.buyers, encoded.listings
    price = l_.price[listing]
    budget = b.budget_max[buyer]
    budget_score = np.select(
        [~(budget > 0), price <= budget, price <= budget * 1.05, price <= budget * 1.10],
        [0.5, 1.0, 0.8, 0.5],
        0.1,
    )
    wanted = np.nan_to_num(b.beds_min[buyer], nan=0.0)
    beds = np.nan_to_num(l_.beds[listing], nan=0.0)
    beds_score = np.select(
        [wanted == 0, beds == wanted, beds == wanted + 1, beds > wanted, beds == wanted - 1],
        [0.5, 1.0, 0.9, 0.8, 0.5],
        0.2,
    )
    w = RULE_WEIGHTS
    total = (
        w["budget"] * budget_score
        + w["location"] * tables.location[buyer, tables.place[listing]]
        + w["bedrooms"] * beds_score
        + w["property_type"] * tables.property_type[buyer, tables.kind[listing]]
        + tables.constant[listing]
    )
    # Rounded so that pairs the seed scores equal tie exactly (then the lower listing id wins)
    # instead of being ordered by float noise from the summation order.
    result: NDArray[np.float64] = np.round(np.minimum(total, 1.0), 10).astype(np.float64)
    return result


def rule_scores(
    listings: pd.DataFrame,
    profiles: pd.DataFrame,
    buyer_index: NDArray[np.int64],
    listing_index: NDArray[np.int64],
    *,
    as_of_year: int,
) -> NDArray[np.float64]:
    """Seed-style score in [0, 1] of each pair (profiles.iloc[buyer_index[i]],
    listings.iloc[listing_index[i]]), from the stated preferences only. Vectorised over the pairs;
    no hard filter is applied here (see rank_matches)."""
    encoded = encode(listings, profiles)
    return encoded_rule_scores(
        encoded, rule_tables(encoded, as_of_year), np.asarray(buyer_index), np.asarray(listing_index)
    )

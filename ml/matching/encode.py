"""Listings and buyer profiles as numpy arrays, and the hard filters over (buyer × listing) blocks.

Cities, property types and listing features become integer codes shared by both sides, so a
buyer's area shares are a dense (buyers × cities) matrix and a pair's share is one gather. All
pair work happens on blocks of `chunk` buyers × the listings of their location, with numpy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hub.errors import TrainingDataError
from hub.listings.columns import EXPLICIT_COLUMNS
from ml.matching.distributions import Distributions, area_cooccurrence, build_distributions, in_stock
from ml.matching.frames import ACTIVE_STATUSES, validate_exclude, validate_listings
from ml.matching.popularity import Popularity, build_popularity

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def _norm(text: object) -> str:
    return str(text).strip().lower()


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Codes of the cities, property types and listing features seen on either side."""

    cities: tuple[str, ...]
    types: tuple[str, ...]
    features: tuple[str, ...]  # lower-cased

    def city_codes(self, values: list[object]) -> IntArray:
        index = {name: i for i, name in enumerate(self.cities)}
        return np.array([index.get(str(v), -1) if v is not None else -1 for v in values], dtype=np.int64)

    def type_codes(self, values: list[object]) -> IntArray:
        index = {name: i for i, name in enumerate(self.types)}
        return np.array([index.get(str(v), -1) if v is not None else -1 for v in values], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class ListingArrays:
    frame: pd.DataFrame  # the validated listings frame (row i = listing i)
    ids: NDArray[np.object_]
    price: FloatArray
    log_price: FloatArray
    beds: FloatArray
    baths: FloatArray
    log_sqft: FloatArray
    city: IntArray  # -1 = unknown
    kind: IntArray  # property type code, -1 = unknown
    location: IntArray  # location code, 0 when the frames carry no location
    city_median_log_price: FloatArray  # median ln(price) of the feed's listings in the same city
    active: BoolArray
    listed_ns: NDArray[np.int64] | None  # listed_at in ns since epoch, None when not given
    features: BoolArray  # (listings × vocabulary features)


@dataclass(frozen=True, slots=True)
class BuyerArrays:
    frame: pd.DataFrame  # the profiles frame (row i = buyer i)
    ids: NDArray[np.object_]
    location: IntArray  # -2 = unknown while listings carry locations (matches nothing)
    budget_max: FloatArray
    budget_min: FloatArray
    beds_min: FloatArray
    price_mean: FloatArray
    price_std: FloatArray
    beds_mean: FloatArray
    sqft_mean: FloatArray
    weight: FloatArray
    interactions: FloatArray  # views + saves + showings, unweighted
    area_share: NDArray[np.float32]  # (buyers × cities) learned shares
    type_share: NDArray[np.float32]  # (buyers × types)
    area_stated: BoolArray  # (buyers × cities)
    has_areas: BoolArray
    type_stated: BoolArray  # (buyers × types)
    has_types: BoolArray
    must: BoolArray  # (buyers × features) required features
    must_count: IntArray
    must_unknown: BoolArray  # a must-have no listing of the feed has: nothing can match
    type_popularity: NDArray[np.float32]  # (types,) mean learned type share over buyers with behaviour
    area_from_stated: NDArray[np.float32]  # (buyers × cities) co-occurrence via stated areas (NaN: none)
    area_from_liked: NDArray[np.float32]  # (buyers × cities) co-occurrence via liked areas (NaN: none)
    anchor_area_log_price: FloatArray  # median ln(price) of the buyer's stated areas, else liked areas
    market_log_price: FloatArray  # median ln(price) of the buyer's liked areas, by liked share


@dataclass(frozen=True, slots=True)
class Encoded:
    vocabulary: Vocabulary
    listings: ListingArrays
    buyers: BuyerArrays
    by_location: bool
    distributions: Distributions
    popularity: Popularity


_PROFILE_NEEDS = (
    *EXPLICIT_COLUMNS,
    "weight",
    "n_views",
    "n_saves",
    "n_showings",
    "price_log_mean",
    "price_log_std",
    "beds_mean",
    "sqft_log_mean",
    "area_weights",
    "type_weights",
    "beds_weights",
    "price_weights",
    "seen_listing_ids",
    "as_of",
)


def _floats(frame: pd.DataFrame, column: str) -> FloatArray:
    values: FloatArray = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    return values


def _lists(frame: pd.DataFrame, column: str) -> list[list[str]]:
    return [list(v) if isinstance(v, list | tuple) else [] for v in frame[column].tolist()]


def _dicts(frame: pd.DataFrame, column: str) -> list[dict[object, float]]:
    return [v if isinstance(v, dict) else {} for v in frame[column].tolist()]


def encode(listings: pd.DataFrame, profiles: pd.DataFrame, *, validated: bool = False) -> Encoded:
    """Arrays of both sides with shared codes (profiles as returned by `buyer_profiles`)."""
    feed = listings if validated else validate_listings(listings)
    missing = [column for column in _PROFILE_NEEDS if column not in profiles.columns]
    if missing:
        raise TrainingDataError(f"profiles lack column(s) {missing}; build them with buyer_profiles()")
    profiles = profiles.reset_index(drop=True)
    areas = _lists(profiles, "areas")
    types = _lists(profiles, "property_types")
    musts = [[_norm(m) for m in row] for row in _lists(profiles, "must_haves")]
    area_weights = _dicts(profiles, "area_weights")
    type_weights = _dicts(profiles, "type_weights")

    city_names = {str(c) for c in feed["city"] if c is not None}
    city_names.update(str(a) for row in areas for a in row)
    city_names.update(str(a) for row in area_weights for a in row)
    type_names = {str(t) for t in feed["property_type"] if t is not None}
    type_names.update(str(t) for row in types for t in row)
    type_names.update(str(t) for row in type_weights for t in row)
    feature_names = sorted({_norm(f) for row in feed["features"] for f in row})
    vocabulary = Vocabulary(tuple(sorted(city_names)), tuple(sorted(type_names)), tuple(feature_names))
    city_index = {name: i for i, name in enumerate(vocabulary.cities)}
    type_index = {name: i for i, name in enumerate(vocabulary.types)}
    feature_index = {name: i for i, name in enumerate(vocabulary.features)}

    n_l, n_b = len(feed), len(profiles)
    listing_features = np.zeros((n_l, len(feature_names)), dtype=bool)
    for row, names in enumerate(feed["features"]):
        for name in names:
            listing_features[row, feature_index[_norm(name)]] = True

    by_location = "location_id" in feed.columns and "location_id" in profiles.columns
    if by_location:
        location_names = sorted(set(feed["location_id"].astype(str)))
        location_index = {name: i for i, name in enumerate(location_names)}
        listing_location = np.array([location_index[str(v)] for v in feed["location_id"]], dtype=np.int64)
        buyer_location = np.array(
            [location_index.get(str(v), -2) if v is not None else -2 for v in profiles["location_id"]],
            dtype=np.int64,
        )
    else:
        listing_location = np.zeros(n_l, dtype=np.int64)
        buyer_location = np.zeros(n_b, dtype=np.int64)

    sqft = feed["living_area_sqft"].to_numpy(dtype=np.float64)
    listed_ns = (
        feed["listed_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        if "listed_at" in feed.columns
        else None
    )
    city_code = vocabulary.city_codes(feed["city"].tolist())
    log_price = np.log(feed["list_price"].to_numpy(dtype=np.float64))
    medians = pd.Series(log_price).groupby(city_code).median()
    city_median = np.where(city_code >= 0, medians.reindex(city_code).to_numpy(dtype=float), np.nan)
    listing_arrays = ListingArrays(
        frame=feed,
        ids=feed["listing_id"].to_numpy(dtype=object),
        price=feed["list_price"].to_numpy(dtype=np.float64),
        log_price=log_price,
        beds=feed["bedrooms"].to_numpy(dtype=np.float64),
        baths=feed["bathrooms"].to_numpy(dtype=np.float64),
        log_sqft=np.log(np.where(sqft > 0, sqft, np.nan)),
        city=city_code,
        kind=vocabulary.type_codes(feed["property_type"].tolist()),
        location=listing_location,
        city_median_log_price=city_median,
        active=feed["status"].isin(ACTIVE_STATUSES).to_numpy(),
        listed_ns=listed_ns,
        features=listing_features,
    )

    area_share = np.zeros((n_b, len(vocabulary.cities)), dtype=np.float32)
    type_share = np.zeros((n_b, len(vocabulary.types)), dtype=np.float32)
    area_stated = np.zeros((n_b, len(vocabulary.cities)), dtype=bool)
    type_stated = np.zeros((n_b, len(vocabulary.types)), dtype=bool)
    must = np.zeros((n_b, len(feature_names)), dtype=bool)
    must_unknown = np.zeros(n_b, dtype=bool)
    # One pass over buyers (not pairs) to scatter their small dicts and lists into the matrices.
    for row in range(n_b):
        for name, share in area_weights[row].items():
            area_share[row, city_index[str(name)]] = share
        for name, share in type_weights[row].items():
            type_share[row, type_index[str(name)]] = share
        for name in areas[row]:
            area_stated[row, city_index[str(name)]] = True
        for name in types[row]:
            type_stated[row, type_index[str(name)]] = True
        for name in musts[row]:
            if name in feature_index:
                must[row, feature_index[name]] = True
            else:
                must_unknown[row] = True
    has_behaviour = type_share.sum(axis=1) > 0
    # Price level of the buyer's areas: a price prior for buyers who stated no budget yet.
    city_median_by_code = np.full(len(vocabulary.cities), np.nan)
    city_median_by_code[medians.index[medians.index >= 0].to_numpy()] = medians[medians.index >= 0]
    known_median = ~np.isnan(city_median_by_code)
    stated_in = area_stated & known_median
    stated_median = np.array(
        [np.median(city_median_by_code[row]) if row.any() else np.nan for row in stated_in], dtype=np.float64
    )
    liked_mass = area_share[:, known_median].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        market = area_share[:, known_median] @ city_median_by_code[known_median] / liked_mass
    market = np.where(liked_mass > 0, market, np.nan)
    from_stated, from_liked = area_cooccurrence(area_share, area_stated)
    as_of = pd.Timestamp(profiles["as_of"].dropna().iloc[0]) if profiles["as_of"].notna().any() else None
    buyer_arrays = BuyerArrays(
        frame=profiles,
        ids=profiles["contact_id"].astype(str).to_numpy(dtype=object),
        location=buyer_location,
        budget_max=_floats(profiles, "budget_max"),
        budget_min=_floats(profiles, "budget_min"),
        beds_min=_floats(profiles, "beds_min"),
        price_mean=_floats(profiles, "price_log_mean"),
        price_std=_floats(profiles, "price_log_std"),
        beds_mean=_floats(profiles, "beds_mean"),
        sqft_mean=_floats(profiles, "sqft_log_mean"),
        weight=_floats(profiles, "weight"),
        interactions=(
            _floats(profiles, "n_views") + _floats(profiles, "n_saves") + _floats(profiles, "n_showings")
        ),
        area_share=area_share,
        type_share=type_share,
        area_stated=area_stated,
        has_areas=np.asarray(area_stated.any(axis=1), dtype=bool),
        type_stated=type_stated,
        has_types=np.asarray(type_stated.any(axis=1), dtype=bool),
        must=must,
        must_count=must.sum(axis=1).astype(np.int64),
        must_unknown=must_unknown,
        type_popularity=(
            type_share[has_behaviour].mean(axis=0)
            if has_behaviour.any()
            else np.zeros(len(vocabulary.types), dtype=np.float32)
        ),
        area_from_stated=from_stated,
        area_from_liked=from_liked,
        anchor_area_log_price=np.where(np.isnan(stated_median), market, stated_median),
        market_log_price=market,
    )
    distributions = build_distributions(
        listing_log_price=log_price,
        listing_beds=listing_arrays.beds,
        listing_city=city_code,
        listing_kind=listing_arrays.kind,
        listing_location=listing_location,
        in_stock=in_stock(feed, as_of),
        n_cities=len(vocabulary.cities),
        n_types=len(vocabulary.types),
        beds_weights=_dicts(profiles, "beds_weights"),
        price_weights=_dicts(profiles, "price_weights"),
    )
    seen = profiles[["contact_id", "seen_listing_ids"]].explode("seen_listing_ids").dropna()
    popularity = build_popularity(
        area_share=area_share,
        buyer_location=buyer_location,
        stock_city=distributions.stock_city,
        seen=seen.rename(columns={"seen_listing_ids": "listing_id"}),
        listing_ids=listing_arrays.ids,
        listing_location=listing_location,
        in_stock=in_stock(feed, as_of),
    )
    return Encoded(vocabulary, listing_arrays, buyer_arrays, by_location, distributions, popularity)


def blocked_pairs(
    encoded: Encoded, exclude: pd.DataFrame | None, *, include_seen: bool
) -> tuple[IntArray, IntArray]:
    """(buyer, listing) index pairs never to return, sorted by buyer: `exclude` plus, unless
    include_seen, every listing the buyer already interacted with."""
    buyers, listings = encoded.buyers, encoded.listings
    pairs = validate_exclude(exclude)
    frames = [pairs]
    if not include_seen:
        seen = buyers.frame[["contact_id", "seen_listing_ids"]].explode("seen_listing_ids").dropna()
        frames.append(seen.rename(columns={"seen_listing_ids": "listing_id"}).astype(str))
    every = pd.concat(frames, ignore_index=True)
    b = pd.Index(buyers.ids).get_indexer(every["contact_id"].astype(str))
    li = pd.Index(listings.ids).get_indexer(every["listing_id"].astype(str))
    keep = (b >= 0) & (li >= 0)
    order = np.lexsort((li[keep], b[keep]))
    return b[keep][order].astype(np.int64), li[keep][order].astype(np.int64)


@dataclass(frozen=True, slots=True)
class Block:
    """A block of buyers × the listings of their location, with the hard-filter mask."""

    buyers: IntArray  # buyer indices (rows)
    listings: IntArray  # listing indices (columns)
    mask: BoolArray  # (rows × columns): True = candidate


def candidate_blocks(
    encoded: Encoded,
    blocked: tuple[IntArray, IntArray],
    *,
    budget_stretch: float,
    chunk: int,
    require_active: bool = True,
    listed_by_ns: int | None = None,
    buyer_subset: IntArray | None = None,
) -> Iterator[Block]:
    """Hard filters, block by block: status (unless require_active is False, for training at past
    cutoffs), listed by `listed_by_ns` (when the feed has listed_at), stated budget ± stretch,
    must-haves, same location, not blocked."""
    if not 0 <= budget_stretch < 1:
        raise TrainingDataError(f"budget_stretch must be in [0, 1), got {budget_stretch}")
    if chunk < 1:
        raise TrainingDataError(f"chunk_size must be at least 1, got {chunk}")
    listings, buyers = encoded.listings, encoded.buyers
    available = listings.active.copy() if require_active else np.ones(len(listings.ids), dtype=bool)
    if listed_by_ns is not None and listings.listed_ns is not None:
        available &= listings.listed_ns <= listed_by_ns
    all_buyers = np.arange(len(buyers.ids), dtype=np.int64) if buyer_subset is None else buyer_subset
    blocked_b, blocked_l = blocked
    must_float = buyers.must.astype(np.float32)
    has_features = listings.features.astype(np.float32)
    for location in np.unique(buyers.location[all_buyers]):
        columns = np.flatnonzero(available & (listings.location == location)).astype(np.int64)
        rows_all = all_buyers[buyers.location[all_buyers] == location]
        if columns.size == 0 or rows_all.size == 0:
            continue
        price = listings.price[columns]
        column_position = np.full(len(listings.ids), -1, dtype=np.int64)
        column_position[columns] = np.arange(columns.size)
        for start in range(0, rows_all.size, chunk):
            rows = rows_all[start : start + chunk]
            # A hair of tolerance so that exactly 1.15 × budget (460k on 400k) is inside the stretch
            # despite binary floating point (400_000 * 1.15 = 459_999.99...).
            cap = buyers.budget_max[rows] * (1.0 + budget_stretch) * (1 + 1e-9)
            floor = buyers.budget_min[rows] * (1.0 - budget_stretch) * (1 - 1e-9)
            # NaN budgets compare False, so "no stated budget" passes through np.isnan.
            mask = (np.isnan(cap)[:, None] | (price[None, :] <= cap[:, None])) & (
                np.isnan(floor)[:, None] | (price[None, :] >= floor[:, None])
            )
            needs = buyers.must_count[rows]
            if needs.any():
                satisfied = must_float[rows] @ has_features[columns].T
                mask &= satisfied >= needs[:, None] - 0.5
            mask &= ~buyers.must_unknown[rows][:, None]
            # Blocked pairs of these buyers (rows are ascending but not always contiguous).
            lo = np.searchsorted(blocked_b, rows[0])
            hi = np.searchsorted(blocked_b, rows[-1], side="right")
            if hi > lo:
                bb, bl = blocked_b[lo:hi], blocked_l[lo:hi]
                r = np.minimum(np.searchsorted(rows, bb), rows.size - 1)
                c = column_position[bl]
                ok = (rows[r] == bb) & (c >= 0)
                mask[r[ok], c[ok]] = False
            yield Block(rows, columns, mask)

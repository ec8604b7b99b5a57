"""Pair features of (buyer, listing): how far the listing sits from what the buyer said and did.

The same function builds training and serving rows (no skew). Missing preferences are NaN, which
XGBoost routes on its own; nothing is imputed. The pre-score is a cheap hand-set version of the
same idea used only to shortlist candidates before the model (documented in docs/matching.md).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ml.matching.encode import Encoded

FEATURE_NAMES = (
    "price_vs_viewed",  # ln(price) − weighted mean ln(price) of what the buyer liked
    "price_vs_viewed_abs",
    "price_vs_viewed_z",  # the same over the buyer's own spread (floored at 0.05)
    "price_vs_budget",  # ln(price) − ln(stated budget_max)
    "price_vs_budget_min",  # ln(price) − ln(stated budget_min)
    "beds_vs_viewed",  # beds − weighted mean beds liked
    "beds_vs_viewed_abs",
    "beds_vs_stated",  # beds − stated beds_min
    "sqft_vs_viewed",  # ln(sqft) − weighted mean ln(sqft) liked
    "area_share",  # share of the buyer's (weighted) behaviour in this listing's city
    "area_stated",  # 1 if the city is a stated area, 0 if not, NaN if none stated
    "type_share",  # share of behaviour on this property type
    "type_stated",  # 1 / 0 / NaN as area_stated
    "buyer_weight",  # ln(1 + behaviour mass): how much the shares can be trusted
    "buyer_price_spread",  # the buyer's own price spread
    "affinity",  # the hand-set shortlist score (`affinity`): a strong prior the trees refine
    "area_mass",  # weighted behaviour in this city (share × mass): evidence, not just proportion
    "buyer_interactions",  # ln(1 + views + saves + showings), unweighted
    # Listing-side context, so that buyers with little history still get sensible priors:
    "listing_beds",
    "price_vs_city_median",  # ln(price) − median ln(price) of the feed's listings in the same city
    "type_popularity",  # mean share of this property type over the buyers being ranked
    # What the buyer liked against what was on the market (distributions.py); NaN without behaviour:
    "beds_share",  # the buyer's liked share at this listing's bed count
    "beds_lift",  # ln of that share over the inventory's share at this bed count
    "area_lift",  # ln(area share / the city's share of the inventory)
    "type_lift",
    "price_density",  # the buyer's smoothed liked-price density at this price
    "price_lift",  # ln of that density over the inventory's
    # Price priors from the buyer's areas (stated first), for buyers who stated no budget:
    "price_vs_area_anchor",  # ln(price) − median ln(price) of the buyer's stated (else liked) areas
    "buyer_price_vs_market",  # the buyer's liked mean ln(price) − the median of the areas they liked in
    # Collaborative: this listing's city among the buyers who stated / liked the same areas (encode.py):
    "area_from_stated",
    "area_from_liked",
    # Population priors from the other buyers' behaviour up to as_of (popularity.py):
    "city_popularity",  # ln(the city's share of buyers' attention / its share of the inventory)
    "listing_popularity",  # ln((buyers who saw this listing + 1) / (the location's mean + 1))
)
_LIFT_FLOOR = 0.02  # keeps a lift finite where the buyer or the inventory has (almost) nothing
_SPREAD_FLOOR = 0.05


def pair_features(
    encoded: Encoded, buyer: NDArray[np.int64], listing: NDArray[np.int64]
) -> NDArray[np.float32]:
    """(pairs × FEATURE_NAMES) float32 matrix for index arrays `buyer`, `listing` (same length)."""
    b, l_ = encoded.buyers, encoded.listings
    out = np.empty((buyer.size, len(FEATURE_NAMES)), dtype=np.float32)
    log_price = l_.log_price[listing]
    spread = b.price_std[buyer]
    price_gap = log_price - b.price_mean[buyer]
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, 0] = price_gap
        out[:, 1] = np.abs(price_gap)
        out[:, 2] = price_gap / np.maximum(spread, _SPREAD_FLOOR)
        out[:, 3] = log_price - np.log(b.budget_max[buyer])
        out[:, 4] = log_price - np.log(b.budget_min[buyer])
    beds = l_.beds[listing]
    beds_gap = beds - b.beds_mean[buyer]
    out[:, 5] = beds_gap
    out[:, 6] = np.abs(beds_gap)
    out[:, 7] = beds - b.beds_min[buyer]
    out[:, 8] = l_.log_sqft[listing] - b.sqft_mean[buyer]
    city, kind = l_.city[listing], l_.kind[listing]
    known_city, known_kind = city >= 0, kind >= 0
    out[:, 9] = np.where(known_city, b.area_share[buyer, np.maximum(city, 0)], np.nan)
    out[:, 10] = np.where(b.has_areas[buyer] & known_city, b.area_stated[buyer, np.maximum(city, 0)], np.nan)
    out[:, 11] = np.where(known_kind, b.type_share[buyer, np.maximum(kind, 0)], np.nan)
    out[:, 12] = np.where(b.has_types[buyer] & known_kind, b.type_stated[buyer, np.maximum(kind, 0)], np.nan)
    out[:, 13] = np.log1p(b.weight[buyer])
    out[:, 14] = spread
    out[:, 15] = affinity(encoded, buyer, listing)
    out[:, 16] = out[:, 9] * b.weight[buyer]
    out[:, 17] = np.log1p(b.interactions[buyer])
    out[:, 18] = beds
    out[:, 19] = log_price - l_.city_median_log_price[listing]
    out[:, 20] = np.where(known_kind, b.type_popularity[np.maximum(kind, 0)], np.nan)
    _lift_features(encoded, buyer, listing, out[:, 21:29])
    out[:, 29] = np.where(known_city, b.area_from_stated[buyer, np.maximum(city, 0)], np.nan)
    out[:, 30] = np.where(known_city, b.area_from_liked[buyer, np.maximum(city, 0)], np.nan)
    popularity = encoded.popularity
    out[:, 31] = np.where(known_city, popularity.city_lift[l_.location[listing], np.maximum(city, 0)], np.nan)
    out[:, 32] = popularity.listing_lift[listing]
    return out


def _lift(share: NDArray[np.floating], stock: NDArray[np.floating]) -> NDArray[np.float64]:
    lift: NDArray[np.float64] = np.log((share + _LIFT_FLOOR) / (stock + _LIFT_FLOOR))
    return lift


def _lift_features(
    encoded: Encoded, buyer: NDArray[np.int64], listing: NDArray[np.int64], out: NDArray[np.float32]
) -> None:
    """Columns beds_share .. buyer_price_vs_market of FEATURE_NAMES, written into `out`."""
    b, l_, d = encoded.buyers, encoded.listings, encoded.distributions
    behaviour = b.weight[buyer] > 0
    location = l_.location[listing]
    beds = d.listing_beds[listing]
    beds_at = np.maximum(beds, 0)
    beds_share = d.buyer_beds[buyer, beds_at]
    known_beds = behaviour & (beds >= 0)
    out[:, 0] = np.where(known_beds, beds_share, np.nan)
    out[:, 1] = np.where(known_beds, _lift(beds_share, d.stock_beds[location, beds_at]), np.nan)
    city, kind = l_.city[listing], l_.kind[listing]
    city_at, kind_at = np.maximum(city, 0), np.maximum(kind, 0)
    area = _lift(b.area_share[buyer, city_at], d.stock_city[location, city_at])
    out[:, 2] = np.where(behaviour & (city >= 0), area, np.nan)
    kinds = _lift(b.type_share[buyer, kind_at], d.stock_type[location, kind_at])
    out[:, 3] = np.where(behaviour & (kind >= 0), kinds, np.nan)
    price_bin = d.listing_price_bin[listing]
    density = d.buyer_price[buyer, price_bin]
    out[:, 4] = np.where(behaviour, density, np.nan)
    out[:, 5] = np.where(behaviour, _lift(density, d.stock_price[location, price_bin]), np.nan)
    out[:, 6] = l_.log_price[listing] - b.anchor_area_log_price[buyer]
    out[:, 7] = b.price_mean[buyer] - b.market_log_price[buyer]


def affinity(encoded: Encoded, buyer: NDArray[np.int64], listing: NDArray[np.int64]) -> NDArray[np.float64]:
    """Cheap hand-set affinity of pairs (index arrays that broadcast: pairs, or rows[:, None] ×
    columns[None, :] for a dense block): log smoothed area and type affinities plus a Gaussian price
    term and a beds term around what the buyer liked (else what they stated)."""
    b, l_ = encoded.buyers, encoded.listings
    anchor = np.where(np.isnan(b.price_mean), np.log(b.budget_max) - 0.1, b.price_mean)[buyer]
    beds_anchor = np.where(np.isnan(b.beds_mean), b.beds_min, b.beds_mean)[buyer]
    city, kind = l_.city[listing], l_.kind[listing]
    city_at, kind_at = np.maximum(city, 0), np.maximum(kind, 0)
    area = np.where(
        city >= 0, b.area_share[buyer, city_at] + 0.5 * b.area_stated[buyer, city_at] + 0.05, 0.05
    )
    kinds = np.where(kind >= 0, b.type_share[buyer, kind_at] + 0.5 * b.type_stated[buyer, kind_at] + 0.1, 0.1)
    price = -0.5 * ((l_.log_price[listing] - anchor) / 0.25) ** 2
    beds = -0.6 * np.abs(l_.beds[listing] - beds_anchor)
    score: NDArray[np.float64] = (
        np.log(area) + np.log(kinds) + np.nan_to_num(price, nan=0.0) + np.nan_to_num(beds, nan=0.0)
    )
    return score


def pre_scores(encoded: Encoded, rows: NDArray[np.int64], columns: NDArray[np.int64]) -> NDArray[np.float32]:
    """Dense (rows × columns) `affinity`, used to shortlist candidates before the model.

    Same value as `affinity(encoded, rows[:, None], columns[None, :])`, computed the cheap way: the
    per-buyer log area / type tables are built once per block (buyers × cities is tiny) and then
    gathered by column, instead of a 2-D fancy index per pair.
    """
    b, l_ = encoded.buyers, encoded.listings
    anchor = np.where(np.isnan(b.price_mean[rows]), np.log(b.budget_max[rows]) - 0.1, b.price_mean[rows])
    beds_anchor = np.where(np.isnan(b.beds_mean[rows]), b.beds_min[rows], b.beds_mean[rows])
    log_area = np.log(b.area_share[rows].astype(np.float64) + 0.5 * b.area_stated[rows] + 0.05)
    log_type = np.log(b.type_share[rows].astype(np.float64) + 0.5 * b.type_stated[rows] + 0.1)
    # Unknown city / type (code -1) → the smoothing floor, via an extra last column.
    log_area = np.concatenate([log_area, np.full((rows.size, 1), np.log(0.05))], axis=1)
    log_type = np.concatenate([log_type, np.full((rows.size, 1), np.log(0.1))], axis=1)
    score = log_area[:, l_.city[columns]] + log_type[:, l_.kind[columns]]
    price = (l_.log_price[columns][None, :] - anchor[:, None]) * 4.0  # / 0.25
    score -= np.nan_to_num(0.5 * price * price, nan=0.0)
    score -= np.nan_to_num(0.6 * np.abs(l_.beds[columns][None, :] - beds_anchor[:, None]), nan=0.0)
    return score.astype(np.float32)

"""What a buyer liked, divided by what there was to like: per-buyer distributions over beds and
price next to the inventory's, so that the ranker can tell taste from supply.

A buyer's views are drawn from what is on the market: a buyer who wants four bedrooms in a feed
that is mostly three-bedroom homes still views many three-bedroom ones, and the mean price of what
anyone views is pulled toward where listings are dense. The ratio of the buyer's share to the
inventory's share (a "lift") undoes that pull. Prices are binned on ln(price) (PRICE_BIN wide)
and smoothed with a small Gaussian kernel on both sides, so a buyer with three views still has a
density around them rather than three spikes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ml.matching.profiles import PRICE_BIN

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BEDS_LEVELS = 9  # 0..8 bedrooms; more is counted as 8
_KERNEL_BINS = 1.5  # smoothing sd in price bins (0.15 in ln price)
_PAD = 4  # bins of margin on each side of the grid, so smoothing never falls off it


@dataclass(frozen=True, slots=True)
class Distributions:
    """Buyer-side and inventory-side distributions, on shared codes."""

    price_origin: int  # the price bin of grid column 0
    listing_price_bin: IntArray  # (listings,) grid column of each listing
    listing_beds: IntArray  # (listings,) beds level, -1 when unknown
    buyer_beds: NDArray[np.float32]  # (buyers × BEDS_LEVELS) share of liked mass
    buyer_price: NDArray[np.float32]  # (buyers × grid) smoothed density (sums to 1; 0 without behaviour)
    stock_city: NDArray[np.float32]  # (locations × cities) share of the location's inventory
    stock_type: NDArray[np.float32]  # (locations × types)
    stock_beds: NDArray[np.float32]  # (locations × BEDS_LEVELS)
    stock_price: NDArray[np.float32]  # (locations × grid) smoothed density


def _smooth(matrix: FloatArray) -> FloatArray:
    """Rows convolved with a normalised Gaussian kernel along the price grid."""
    half = int(np.ceil(3 * _KERNEL_BINS))
    offsets = np.arange(-half, half + 1)
    kernel = np.exp(-0.5 * (offsets / _KERNEL_BINS) ** 2)
    kernel /= kernel.sum()
    out = np.zeros_like(matrix)
    width = matrix.shape[1]
    for offset, k in zip(offsets.tolist(), kernel.tolist(), strict=True):  # a few shifted adds
        lo, hi = max(0, offset), min(width, width + offset)
        out[:, lo:hi] += k * matrix[:, lo - offset : hi - offset]
    return out


def _shares(codes: IntArray, groups: IntArray, n_groups: int, n_codes: int) -> FloatArray:
    """(groups × codes) share of each group's rows per code (codes < 0 ignored)."""
    ok = codes >= 0
    counts = np.zeros((n_groups, n_codes))
    np.add.at(counts, (groups[ok], codes[ok]), 1.0)
    total = counts.sum(axis=1, keepdims=True)
    shares: FloatArray = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    return shares


def _beds_level(beds: FloatArray) -> IntArray:
    return np.where(np.isnan(beds), -1, np.clip(np.nan_to_num(beds), 0, BEDS_LEVELS - 1).round()).astype(
        np.int64
    )


def build_distributions(
    *,
    listing_log_price: FloatArray,
    listing_beds: FloatArray,
    listing_city: IntArray,
    listing_kind: IntArray,
    listing_location: IntArray,
    in_stock: NDArray[np.bool_],
    n_cities: int,
    n_types: int,
    beds_weights: list[dict[Any, float]],
    price_weights: list[dict[Any, float]],
) -> Distributions:
    """Encode the buyers' `beds_weights` / `price_weights` (from `buyer_profiles`) and the shares of
    the listings `in_stock` (what buyers could have seen) per location."""
    listing_bin = np.round(listing_log_price / PRICE_BIN).astype(np.int64)
    buyer_bins = [int(key) for row in price_weights for key in row]
    low = min([int(listing_bin.min(initial=0)), *buyer_bins]) - _PAD
    high = max([int(listing_bin.max(initial=0)), *buyer_bins]) + _PAD
    width = high - low + 1
    n_b = len(beds_weights)
    buyer_beds = np.zeros((n_b, BEDS_LEVELS))
    buyer_price = np.zeros((n_b, width))
    for row in range(n_b):  # one pass over buyers (not pairs): scatter their small dicts
        for beds, share in beds_weights[row].items():
            buyer_beds[row, min(max(int(beds), 0), BEDS_LEVELS - 1)] += share
        for key, share in price_weights[row].items():
            buyer_price[row, int(key) - low] += share
    n_locations = int(listing_location.max(initial=-1)) + 1
    location = listing_location[in_stock]
    beds_level = _beds_level(listing_beds)
    return Distributions(
        price_origin=low,
        listing_price_bin=listing_bin - low,
        listing_beds=beds_level,
        buyer_beds=buyer_beds.astype(np.float32),
        buyer_price=_smooth(buyer_price).astype(np.float32),
        stock_city=_shares(listing_city[in_stock], location, n_locations, n_cities).astype(np.float32),
        stock_type=_shares(listing_kind[in_stock], location, n_locations, n_types).astype(np.float32),
        stock_beds=_shares(beds_level[in_stock], location, n_locations, BEDS_LEVELS).astype(np.float32),
        stock_price=_smooth(_shares(listing_bin[in_stock] - low, location, n_locations, width)).astype(
            np.float32
        ),
    )


def in_stock(frame: pd.DataFrame, as_of: pd.Timestamp | None) -> NDArray[np.bool_]:
    """Listings a buyer could have come across by `as_of`: listed by then when the feed says when
    (training looks at past moments), else every listing of the feed."""
    if as_of is None or "listed_at" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    listed: NDArray[np.bool_] = (frame["listed_at"] <= as_of).to_numpy()
    return listed


def area_cooccurrence(
    area_share: NDArray[np.float32], area_stated: NDArray[np.bool_]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Where buyers like these look too, learned from the population being encoded.

    stated[a, c]: mean share of city c in the behaviour of buyers who stated area a; liked[a, c]:
    share of c in the behaviour of buyers, weighted by their share in a. A buyer's row is their
    stated areas' (resp. liked shares') mix of those rows, NaN when they stated (resp. did) nothing.
    It is how a buyer who named one area gets ranked on the other areas people like them visit.
    """
    share = area_share.astype(np.float64)
    active = share.sum(axis=1) > 0
    stated = area_stated.astype(np.float64)
    pairs = stated[active].T @ share[active]  # (stated area × liked city)
    counts = stated[active].sum(axis=0)[:, None]
    by_stated = np.divide(pairs, counts, out=np.zeros_like(pairs), where=counts > 0)
    mass = share.sum(axis=0)[:, None]
    by_liked = np.divide(share.T @ share, mass, out=np.zeros((share.shape[1],) * 2), where=mass > 0)
    n_stated = stated.sum(axis=1, keepdims=True)
    from_stated = np.where(n_stated > 0, (stated @ by_stated) / np.maximum(n_stated, 1), np.nan)
    from_liked = np.where(active[:, None], share @ by_liked, np.nan)
    return from_stated.astype(np.float32), from_liked.astype(np.float32)

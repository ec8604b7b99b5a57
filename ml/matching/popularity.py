"""Where everyone else looks: population priors for buyers who have revealed little themselves.

A buyer with no history gets ranked on what the other buyers of the location liked up to as_of:
the share of their attention each city gets over the city's share of the inventory (some areas
draw far more buyers than their stock), and how often each listing was looked at compared with the
location's average listing. Both are ratios, not counts, so the numbers mean the same on the
buyers of a training cutoff (those with a later interaction) and on every buyer when serving.
Point in time: profiles only hold interactions up to their as_of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_FLOOR = 0.02  # keeps a city lift finite where the stock or the attention is (almost) nothing


@dataclass(frozen=True, slots=True)
class Popularity:
    city_lift: NDArray[np.float32]  # (locations × cities) ln(attention share / inventory share)
    listing_lift: NDArray[np.float32]  # (listings,) ln((buyers who saw it + 1) / (location mean + 1))


def build_popularity(
    *,
    area_share: NDArray[np.float32],
    buyer_location: IntArray,
    stock_city: NDArray[np.float32],
    seen: pd.DataFrame,
    listing_ids: NDArray[np.object_],
    listing_location: IntArray,
    in_stock: NDArray[np.bool_],
) -> Popularity:
    """`area_share` (buyers × cities) and `buyer_location` from the encoded buyers, `stock_city` from
    `Distributions`, `seen` the (contact_id, listing_id) pairs of the profiles' seen_listing_ids."""
    n_locations = stock_city.shape[0]
    active = (area_share.sum(axis=1) > 0) & (buyer_location >= 0)
    attention = _location_mean(area_share, buyer_location, active, n_locations)
    total = attention.sum(axis=1, keepdims=True)
    city_lift = np.log((attention + _FLOOR) / (stock_city + _FLOOR))
    city_lift[total[:, 0] == 0] = 0.0  # nobody did anything yet: no evidence either way

    position = pd.Index(listing_ids).get_indexer(seen["listing_id"].astype(str))
    counts = np.bincount(position[position >= 0], minlength=len(listing_ids)).astype(np.float64)
    in_location = np.zeros(max(n_locations, int(listing_location.max(initial=-1)) + 1))
    stock = np.zeros_like(in_location)
    np.add.at(in_location, listing_location[in_stock], counts[in_stock])
    np.add.at(stock, listing_location[in_stock], 1.0)
    mean = np.divide(in_location, stock, out=np.zeros_like(in_location), where=stock > 0)
    listing_lift = np.log((counts + 1.0) / (mean[listing_location] + 1.0))
    return Popularity(city_lift.astype(np.float32), listing_lift.astype(np.float32))


def _location_mean(
    shares: NDArray[np.float32], location: IntArray, active: NDArray[np.bool_], n_locations: int
) -> FloatArray:
    """(locations × columns) mean of the active buyers' rows (each row sums to 1: every buyer with
    behaviour counts once, heavy browsers do not dominate); zeros where a location has none."""
    total = np.zeros((n_locations, shares.shape[1]))
    np.add.at(total, location[active], shares[active].astype(np.float64))
    mass = total.sum(axis=1, keepdims=True)
    mean: FloatArray = np.divide(total, mass, out=np.zeros_like(total), where=mass > 0)
    return mean

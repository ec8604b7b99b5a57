"""ANALYSIS, not the product: the "observable bound" of listing matching on a simulated brokerage.

A Bayes ranker that knows the simulator's generative prior (hub/simulator/leads.py: type, beds,
1-3 preferred areas among the metro's first three, budget around the first area's median;
story.py: which fields a lead states and how noisily; listings.taste_weight: how taste draws the
listings a lead views, saves and asks to tour) but only what the buyer has revealed by the test
cutoff: the stated fields and the liked interactions. Each liked interaction is a draw from
taste_weight over the listings visible that day, so the posterior over the latent taste h is

    P(h | data) ∝ prior(h) · P(stated | h) · Π_i w(h, j_i) / Z(h, day_i)

and a listing j is ranked by E[w(h, j) / Z(h, test day) | data], the posterior chance that the
buyer's next liked draw is j. No ranker that sees only the observable history can do better in
expectation, so NDCG(bound) / NDCG(oracle) tells how much of the oracle's edge is attainable at all.
The prior's constants are copied from the simulator on purpose; nothing here is used when serving.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hub.simulator.geography import METROS, Metro
from hub.simulator.listings import PROPERTY_TYPES, taste_weight
from ml.matching.encode import blocked_pairs, candidate_blocks, encode
from ml.matching.rank import top_per_row

FloatArray = NDArray[np.float64]
SUBSETS = [s for size in (1, 2, 3) for s in itertools.combinations(range(3), size)]
_P_SUBSET = {1: 0.45 / 3, 2: 0.4 / 3, 3: 0.15}  # market_count 1/2/3, each subset equally likely
_P_KIND = np.array([0.72, 0.14, 0.14])
_P_BEDS = np.array([[0.04, 0.2, 0.4, 0.28, 0.08]] * 2 + [[0.04, 0.2, 0.76, 0.0, 0.0]])  # by kind
_BUDGET_SD = 0.32  # ln budget around the first area's median
_STATED_SD = 0.104  # ln(stated / latent budget): two uniform ±10 % / ±15 % factors
_GRID_STEP = 0.04
_LIKED = ("view", "save", "showing_request")


def _metro(cities: set[str]) -> Metro:
    for metro in METROS:
        if cities <= {area.name for area in metro.areas}:
            return metro
    raise ValueError(f"no simulator metro has the areas {sorted(cities)}")


def _location_scores(
    part: pd.DataFrame, start: pd.Timestamp, test_day: int, log: pd.DataFrame, stated: pd.DataFrame
) -> FloatArray:
    """(buyers of `stated` × listings of `part`) posterior next-draw probabilities."""
    metro = _metro(set(part["city"].astype(str)))
    names = [area.name for area in metro.areas]
    medians = np.log([int(metro.median_price * area.price_factor) for area in metro.areas])
    listed = np.round((part["listed_at"] - start) / pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    kind = np.array([PROPERTY_TYPES.index(t) for t in part["property_type"]])
    area = np.array([names.index(c) for c in part["city"]])
    grid = np.arange(medians[:3].min() - 1.2, medians[:3].max() + 1.2, _GRID_STEP)
    hs, hk, hb, hx = (
        np.array(v)
        for v in zip(
            *itertools.product(range(len(SUBSETS)), range(3), range(1, 6), range(grid.size)), strict=True
        )
    )
    first = np.array([SUBSETS[s][0] for s in hs])
    with np.errstate(divide="ignore"):
        prior = (
            np.log([_P_SUBSET[len(SUBSETS[s])] for s in hs])
            + np.log(_P_KIND[hk])
            + np.log(_P_BEDS[hk, hb - 1])
            - 0.5 * ((grid[hx] - medians[first]) / _BUDGET_SD) ** 2
        )
    in_area = np.array([[a in subset for a in range(len(names))] for subset in SUBSETS])
    w = taste_weight(
        np.log(part["list_price"].to_numpy(dtype=float))[None, :],
        part["bedrooms"].to_numpy(dtype=float)[None, :],
        kind[None, :] == hk[:, None],
        in_area[hs][:, area],
        log_budget=grid[hx][:, None],
        beds_pref=hb[:, None].astype(float),
    )
    order = np.argsort(listed, kind="stable")
    visible_mass = np.cumsum(w[:, order], axis=1)  # Z(h, day) = mass of the first n(day) listed

    def log_z(days: NDArray[np.int64]) -> FloatArray:
        n = np.searchsorted(listed[order], days, side="right")
        return np.log(visible_mass[:, np.maximum(n, 1) - 1])  # (hypotheses × days)

    buyers = pd.Index(stated["contact_id"])
    b = buyers.get_indexer(log["contact_id"])
    j = pd.Index(part["listing_id"]).get_indexer(log["listing_id"])
    day = ((log["at"] - start) / pd.Timedelta(days=1)).to_numpy().astype(np.int64).clip(0, None)
    ok = (b >= 0) & (j >= 0)
    counts = np.zeros((len(buyers), len(part)))
    np.add.at(counts, (b[ok], j[ok]), 1.0)
    days = np.unique(day[ok]) if ok.any() else np.zeros(0, dtype=np.int64)
    by_day = np.zeros((len(buyers), days.size))
    np.add.at(by_day, (b[ok], np.searchsorted(days, day[ok])), 1.0)
    loglik = prior[None, :] + counts @ np.log(w).T - by_day @ log_z(days).T
    budget = stated["budget_max"].to_numpy(dtype=float)
    known = ~np.isnan(budget)
    loglik[known] -= 0.5 * ((np.log(budget[known])[:, None] - grid[hx][None, :]) / _STATED_SD) ** 2
    beds = stated["beds_min"].to_numpy(dtype=float)
    loglik[(~np.isnan(beds))[:, None] & (hb[None, :] != np.nan_to_num(beds)[:, None])] = -np.inf
    stated_area = np.array([names.index(a[0]) if a else -1 for a in stated["areas"]])
    loglik[(stated_area >= 0)[:, None] & (first[None, :] != stated_area[:, None])] = -np.inf
    stated_kind = np.array([PROPERTY_TYPES.index(t[0]) if t else -1 for t in stated["property_types"]])
    loglik[(stated_kind >= 0)[:, None] & (hk[None, :] != stated_kind[:, None])] = -np.inf
    impossible = ~np.isfinite(loglik.max(axis=1))  # a statement the prior cannot produce: ignore them
    loglik[impossible] = prior[None, :] + counts[impossible] @ np.log(w).T
    posterior = np.exp(loglik - loglik.max(axis=1, keepdims=True))
    posterior /= posterior.sum(axis=1, keepdims=True)
    z_test = np.exp(log_z(np.array([test_day]))[:, 0])
    scores: FloatArray = (posterior / z_test[None, :]) @ w
    return scores


def observable_bound_rankings(
    feed: pd.DataFrame,
    interactions: pd.DataFrame,
    explicit: pd.DataFrame,
    listings: pd.DataFrame,
    profiles: pd.DataFrame,
    start: pd.Timestamp,
    test_at: Any,
    *,
    top_k: int = 10,
    budget_stretch: float = 0.15,
) -> pd.DataFrame:
    """The bound's top_k per buyer of `profiles` behind the same hard filters as `rank_matches`.
    `feed`: every listing with `listed_at`; `interactions`: those received by test_at;
    `explicit`: the stated preferences at test_at (SimulatedMatching.explicit_at)."""
    test_day = int((pd.Timestamp(test_at) - start) / pd.Timedelta(days=1))
    liked = interactions[interactions["kind"].isin(_LIKED)]
    stated = profiles[["contact_id", "location_id"]].merge(
        explicit.drop(columns=["location_id"]), on="contact_id", how="left"
    )
    stated["areas"] = [a if isinstance(a, list) else [] for a in stated["areas"]]
    stated["property_types"] = [t if isinstance(t, list) else [] for t in stated["property_types"]]
    encoded = encode(listings, profiles)
    scores = np.full((len(encoded.buyers.ids), len(encoded.listings.ids)), -np.inf)
    for location, part in feed.groupby("location_id"):
        rows = np.flatnonzero(stated["location_id"].to_numpy() == location)
        columns = pd.Index(encoded.listings.ids).get_indexer(part["listing_id"])
        found = _location_scores(part.reset_index(drop=True), start, test_day, liked, stated.iloc[rows])
        scores[np.ix_(rows, columns)] = found
    parts = []
    blocked = blocked_pairs(encoded, None, include_seen=False)
    for block in candidate_blocks(encoded, blocked, budget_stretch=budget_stretch, chunk=256):
        dense = np.where(block.mask, scores[np.ix_(block.buyers, block.listings)], -np.inf)
        r, c, values = top_per_row(dense, top_k)
        parts.append(
            pd.DataFrame(
                {
                    "contact_id": encoded.buyers.ids[block.buyers[r]].astype(str),
                    "listing_id": encoded.listings.ids[block.listings[c]].astype(str),
                    "score": values,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["rank"] = out.groupby("contact_id").cumcount() + 1
    return out

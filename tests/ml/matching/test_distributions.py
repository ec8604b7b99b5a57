"""Taste against supply (lifts), area co-occurrence and the area price prior: small hand-made frames."""

from __future__ import annotations

import math

import pytest

from ml.matching import buyer_profiles
from tests.ml.matching.builders import (
    AS_OF,
    explicit,
    interaction,
    interactions,
    listing,
    listings,
    pair_feature_values,
    stated,
)


def test_profiles_keep_the_beds_and_price_distributions_of_what_was_liked() -> None:
    feed = listings(
        listing("a", bedrooms=3.0, list_price=400_000.0),
        listing("b", bedrooms=4.0, list_price=400_000.0),
        listing("c", bedrooms=4.0, list_price=800_000.0),
    )
    log = interactions(
        interaction("c1", "a", "view", 0),
        interaction("c1", "b", "view", 0),
        interaction("c1", "c", "view", 0),
        interaction("c1", "a", "not_interested", 0),  # counted, never learned as a liking
    )
    profile = buyer_profiles(log, feed, None, AS_OF, half_life_days=1e6).iloc[0]
    assert profile["beds_weights"] == pytest.approx({3: 1 / 3, 4: 2 / 3}, rel=1e-6)
    bins = {round(math.log(400_000) / 0.1): 2 / 3, round(math.log(800_000) / 0.1): 1 / 3}
    assert profile["price_weights"] == pytest.approx(bins, rel=1e-6)


def test_beds_lift_corrects_for_what_the_market_offers() -> None:
    # Nine three-bed homes, one four-bed; the buyer viewed two three-beds and the only four-bed:
    # by share three beds wins (2/3), by lift over the inventory (9/10 vs 1/10) four beds does.
    feed = listings(
        *(listing(f"three{i}", bedrooms=3.0) for i in range(9)),
        listing("four", bedrooms=4.0),
        listing("new-three", bedrooms=3.0),
        listing("new-four", bedrooms=4.0),
    )
    log = interactions(
        interaction("c1", "three0", "view", 1),
        interaction("c1", "three1", "view", 1),
        interaction("c1", "four", "view", 1),
    )
    profiles = buyer_profiles(log, feed, None, AS_OF)
    three = pair_feature_values(feed, profiles, "c1", "new-three")
    four = pair_feature_values(feed, profiles, "c1", "new-four")
    assert three["beds_share"] > four["beds_share"]
    assert four["beds_lift"] > three["beds_lift"]


def test_a_buyer_without_behaviour_gets_no_lift_but_a_price_prior_from_their_area() -> None:
    feed = listings(
        listing("h1", city="Heights", list_price=400_000.0),
        listing("h2", city="Heights", list_price=600_000.0),
        listing("m1", city="Montrose", list_price=900_000.0),
    )
    profiles = buyer_profiles(interactions(), feed, explicit(stated("c1", areas=["Heights"])), AS_OF)
    row = pair_feature_values(feed, profiles, "c1", "m1")
    for name in ("beds_share", "beds_lift", "area_lift", "type_lift", "price_density", "price_lift"):
        assert math.isnan(row[name]), name
    heights_median = math.log(math.sqrt(400_000.0 * 600_000.0))  # median of two ln prices
    assert row["price_vs_area_anchor"] == pytest.approx(math.log(900_000.0) - heights_median, abs=1e-5)


def test_buyers_who_name_an_area_are_ranked_on_where_people_like_them_look() -> None:
    feed = listings(
        listing("h1", city="Heights"),
        listing("m1", city="Montrose"),
        listing("k1", city="Katy"),
        listing("m-new", city="Montrose"),
        listing("k-new", city="Katy"),
    )
    # Two buyers who stated Heights also looked in Montrose, never in Katy; c3 only stated Heights.
    log = interactions(
        interaction("c1", "h1", "view", 1),
        interaction("c1", "m1", "view", 1),
        interaction("c2", "m1", "save", 2),
    )
    stated_frame = explicit(
        stated("c1", areas=["Heights"]), stated("c2", areas=["Heights"]), stated("c3", areas=["Heights"])
    )
    profiles = buyer_profiles(log, feed, stated_frame, AS_OF)
    montrose = pair_feature_values(feed, profiles, "c3", "m-new")
    katy = pair_feature_values(feed, profiles, "c3", "k-new")
    assert montrose["area_from_stated"] == pytest.approx(0.75)  # mean of c1's 1/2 and c2's 1
    assert katy["area_from_stated"] == 0.0
    assert math.isnan(montrose["area_from_liked"])  # c3 did nothing yet

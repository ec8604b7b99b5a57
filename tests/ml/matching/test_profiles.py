"""Buyer profiles: stated plus learned preferences, point in time, recency-weighted."""

from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from hub.errors import TrainingDataError
from ml.matching import PROFILE_COLUMNS, buyer_profiles
from tests.ml.matching.builders import AS_OF, explicit, interaction, interactions, listing, listings, stated

FEED = listings(
    listing("cheap", list_price=300_000.0, bedrooms=2.0, city="Montrose", property_type="Condominium"),
    listing("mid", list_price=500_000.0, bedrooms=3.0, city="Heights"),
    listing("dear", list_price=800_000.0, bedrooms=4.0, city="Heights"),
)


def test_learned_preferences_are_kind_and_recency_weighted() -> None:
    log = interactions(
        interaction("c1", "cheap", "view", 0),  # weight 1 (view, today)
        interaction("c1", "mid", "save", 21),  # weight 3 x 0.5 = 1.5 (save, one half-life ago)
        interaction("c1", "dear", "not_interested", 1),  # counted, never liked
    )
    profile = buyer_profiles(log, FEED, None, AS_OF).set_index("contact_id").loc["c1"]
    assert profile["weight"] == pytest.approx(2.5)
    mean = (1 * math.log(300_000) + 1.5 * math.log(500_000)) / 2.5
    assert profile["price_log_mean"] == pytest.approx(mean)
    assert profile["beds_mean"] == pytest.approx((2 * 1 + 3 * 1.5) / 2.5)
    assert profile["area_weights"] == pytest.approx({"Montrose": 0.4, "Heights": 0.6})
    assert profile["type_weights"] == pytest.approx({"Condominium": 0.4, "Single Family Residence": 0.6})
    assert (profile["n_views"], profile["n_saves"], profile["n_not_interested"]) == (1, 1, 1)
    assert profile["saved_beds"] == {3: 1} and profile["area_saves"] == {"Heights": 1}
    assert profile["seen_listing_ids"] == ["cheap", "dear", "mid"]


def test_future_interactions_never_change_a_profile() -> None:
    past = interactions(interaction("c1", "mid", "view", 3), interaction("c2", "cheap", "save", 1))
    future = interactions(
        interaction("c1", "dear", "showing_request", -2),  # two days after as_of
        interaction("c3", "dear", "view", -1),  # a buyer who only appears later
    )
    stated_frame = explicit(stated("c1", budget_max=550_000.0, areas=["Heights"]))
    before = buyer_profiles(past, FEED, stated_frame, AS_OF)
    after = buyer_profiles(pd.concat([past, future], ignore_index=True), FEED, stated_frame, AS_OF)
    assert_frame_equal(before, after)
    assert list(before.columns) == list(PROFILE_COLUMNS)
    # ... while a later as_of does see them.
    later = buyer_profiles(
        pd.concat([past, future], ignore_index=True), FEED, stated_frame, AS_OF + timedelta(days=3)
    )
    assert later.set_index("contact_id").loc["c1", "n_showings"] == 1


def test_stated_preferences_are_kept_and_buyers_without_behaviour_included() -> None:
    stated_frame = explicit(
        stated(
            "c9",
            budget_max=450_000.0,
            beds_min=3.0,
            areas=["Heights"],
            must_haves=["garage"],
            location_id="L1",
        )
    )
    profile = buyer_profiles(interactions(), FEED, stated_frame, AS_OF).set_index("contact_id").loc["c9"]
    assert (profile["budget_max"], profile["beds_min"], profile["areas"], profile["must_haves"]) == (
        450_000.0,
        3.0,
        ["Heights"],
        ["garage"],
    )
    assert (
        profile["weight"] == 0.0 and math.isnan(profile["price_log_mean"]) and profile["area_weights"] == {}
    )
    assert profile["location_id"] == "L1"


def test_location_is_inferred_from_the_listings_interacted_with() -> None:
    feed = FEED.assign(location_id=["A", "B", "B"])
    log = interactions(interaction("c1", "mid", "view", 1), interaction("c1", "dear", "view", 2))
    profile = buyer_profiles(log, feed, None, AS_OF).set_index("contact_id").loc["c1"]
    assert profile["location_id"] == "B"


def test_bad_input_names_the_frame_column_and_row() -> None:
    with pytest.raises(TrainingDataError, match=r"interactions\.kind .*row 1 \(contact_id='c1'\) has 'like'"):
        buyer_profiles(
            interactions(interaction("c1", "mid", "view", 1), interaction("c1", "mid", "like", 1)),
            FEED,
            None,
            AS_OF,
        )
    with pytest.raises(TrainingDataError, match=r"listings frame lacks column\(s\) \['status'\]"):
        buyer_profiles(interactions(), FEED.drop(columns=["status"]), None, AS_OF)
    with pytest.raises(
        TrainingDataError, match=r"explicit\.areas must be a list of strings, row 0 .* 'Heights'"
    ):
        buyer_profiles(interactions(), FEED, explicit(stated("c1", areas="Heights")), AS_OF)
    with pytest.raises(
        TrainingDataError, match=r"listings\.list_price must be a positive number; row 1 \(listing_id='mid'\)"
    ):
        buyer_profiles(interactions(), FEED.assign(list_price=[1.0, 0.0, 2.0]), None, AS_OF)
    naive = interactions(interaction("c1", "mid", "view", 1)).assign(
        at=lambda f: f["at"].dt.tz_localize(None)
    )
    with pytest.raises(TrainingDataError, match="timezone-aware"):
        buyer_profiles(naive, FEED, None, AS_OF)
    with pytest.raises(TrainingDataError, match="as_of must be timezone-aware"):
        buyer_profiles(interactions(), FEED, None, AS_OF.replace(tzinfo=None))

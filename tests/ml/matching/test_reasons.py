"""Reasons are plain words built from the real values of the buyer and the listing."""

from __future__ import annotations

from ml.matching import buyer_profiles, rank_matches
from ml.matching.reasons import money
from tests.ml.matching.builders import AS_OF, explicit, interaction, interactions, listing, listings, stated


def test_reasons_quote_saves_budget_and_tours() -> None:
    saved = [
        listing(f"s{i}", bedrooms=3.0, city="Heights", list_price=480_000.0 + i * 10_000) for i in range(4)
    ]
    candidate = listing("new", bedrooms=3.0, city="Heights", list_price=500_000.0, days_on_market=30.0)
    feed = listings(*saved, candidate)
    log = interactions(
        *(interaction("c1", f"s{i}", "save", 3 + i) for i in range(4)),
        interaction("c1", "s0", "showing_request", 2),
        interaction("c1", "s1", "showing_request", 1),
    )
    profiles = buyer_profiles(log, feed, explicit(stated("c1", budget_max=515_000.0)), AS_OF)
    match = rank_matches(feed, profiles, None).iloc[0]
    assert match["listing_id"] == "new"
    assert match["reasons"] == [
        "in Heights, where you asked to tour twice",
        "3 beds like the 4 homes you saved",
        "$15k under your budget",
    ]


def test_reasons_for_stated_preferences_only() -> None:
    feed = listings(
        listing(
            "a",
            bedrooms=4.0,
            city="Bellaire",
            property_type="Townhouse",
            list_price=1_250_000.0,
            features=["pool", "garage"],
            days_on_market=2.0,
        )
    )
    buyer = stated("c1", beds_min=3.0, areas=["Bellaire"], property_types=["Townhouse"], must_haves=["pool"])
    match = rank_matches(feed, buyer_profiles(interactions(), feed, explicit(buyer), AS_OF), None).iloc[0]
    assert match["reasons"] == [
        "has the pool you asked for",
        "in Bellaire, one of your areas",
        "4 beds (you asked for at least 3)",
    ]


def test_at_most_three_reasons_and_none_invented() -> None:
    feed = listings(listing("a", days_on_market=40.0))
    match = rank_matches(
        feed, buyer_profiles(interactions(), feed, explicit(stated("c1")), AS_OF), None
    ).iloc[0]
    assert match["reasons"] == []  # nothing known about the buyer, nothing claimed


def test_money_wording() -> None:
    assert [money(15_000), money(449_600), money(1_250_000), money(2_000_000)] == [
        "$15k",
        "$450k",
        "$1.2M",
        "$2M",
    ]

"""Hard filters of rank_matches: status, budget stretch, must-haves, location, exclusions."""

from __future__ import annotations

import pandas as pd

from ml.matching import buyer_profiles, rank_matches
from tests.ml.matching.builders import (
    AS_OF,
    explicit,
    interaction,
    interactions,
    listing,
    listings,
    stated,
)


def _matched(
    feed: pd.DataFrame, stated_frame: pd.DataFrame, log: pd.DataFrame | None = None, **kw: object
) -> set[str]:
    profiles = buyer_profiles(log if log is not None else interactions(), feed, stated_frame, AS_OF)
    matches = rank_matches(feed, profiles, None, top_k=50, **kw)  # type: ignore[arg-type]
    return set(matches["listing_id"])


def test_only_active_listings_are_matched() -> None:
    feed = listings(
        listing("active"),
        listing("pending", status="Pending"),
        listing("under-contract", status="ActiveUnderContract"),
        listing("coming", status="ComingSoon"),
        listing("closed", status="Closed"),
    )
    assert _matched(feed, explicit(stated("c1"))) == {"active"}


def test_budget_stretch_is_fifteen_percent_over_the_stated_maximum() -> None:
    feed = listings(
        listing("at-budget", list_price=400_000.0),
        listing("stretch-edge", list_price=460_000.0),  # exactly 1.15 x 400k
        listing("too-dear", list_price=461_000.0),
    )
    assert _matched(feed, explicit(stated("c1", budget_max=400_000.0))) == {"at-budget", "stretch-edge"}
    # A wider stretch lets the dearer one in; without a stated budget nothing is cut.
    assert "too-dear" in _matched(feed, explicit(stated("c1", budget_max=400_000.0)), budget_stretch=0.2)
    assert _matched(feed, explicit(stated("c1"))) == {"at-budget", "stretch-edge", "too-dear"}


def test_budget_minimum_is_stretched_downwards() -> None:
    feed = listings(listing("cheap", list_price=300_000.0), listing("ok", list_price=350_000.0))
    assert _matched(feed, explicit(stated("c1", budget_min=400_000.0))) == {"ok"}  # 400k x 0.85 = 340k


def test_every_must_have_is_required_case_insensitively() -> None:
    feed = listings(
        listing("both", features=["Pool", "garage", "fireplace"]),
        listing("pool-only", features=["pool"]),
        listing("none", features=[]),
    )
    assert _matched(feed, explicit(stated("c1", must_haves=["pool", "Garage"]))) == {"both"}
    # A must-have no listing has means no match at all rather than an ignored requirement.
    assert _matched(feed, explicit(stated("c1", must_haves=["helipad"]))) == set()


def test_a_buyer_only_sees_listings_of_their_own_location() -> None:
    feed = listings(listing("here", location_id="loc-a"), listing("there", location_id="loc-b"))
    buyers = explicit(stated("c1", location_id="loc-a"), stated("c2", location_id="loc-b"), stated("c3"))
    profiles = buyer_profiles(interactions(), feed, buyers, AS_OF)
    matches = rank_matches(feed, profiles, None)
    assert sorted(zip(matches["contact_id"], matches["listing_id"], strict=True)) == [
        ("c1", "here"),
        ("c2", "there"),
    ]  # c3 has no location: it matches nothing rather than every location's listings


def test_excluded_and_already_seen_listings_are_not_matched_again() -> None:
    feed = listings(listing("alerted"), listing("viewed"), listing("rejected"), listing("fresh"))
    log = interactions(
        interaction("c1", "viewed", "view", 3),
        interaction("c1", "rejected", "not_interested", 2),
    )
    sent = pd.DataFrame({"contact_id": ["c1", "c2"], "listing_id": ["alerted", "fresh"]})
    assert _matched(feed, explicit(stated("c1")), log, exclude=sent) == {"fresh"}
    assert _matched(feed, explicit(stated("c1")), log, exclude=sent, include_seen=True) == {
        "fresh",
        "viewed",
        "rejected",
    }


def test_top_k_and_ranks() -> None:
    feed = listings(*(listing(f"l{i}", list_price=300_000.0 + 10_000 * i) for i in range(8)))
    profiles = buyer_profiles(interactions(), feed, explicit(stated("c1"), stated("c2")), AS_OF)
    matches = rank_matches(feed, profiles, None, top_k=3)
    assert matches.groupby("contact_id")["rank"].apply(list).to_dict() == {"c1": [1, 2, 3], "c2": [1, 2, 3]}
    assert list(matches.columns) == ["contact_id", "listing_id", "score", "rank", "reasons", "scorer"]
    assert (matches["scorer"] == "rules").all()
    assert matches.groupby("contact_id")["score"].apply(lambda s: s.is_monotonic_decreasing).all()

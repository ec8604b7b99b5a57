"""Population priors (popularity.py): small hand-made frames."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

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


def _feed() -> pd.DataFrame:
    # Half the inventory in each city; other buyers only ever look in Heights, at h0 most of all.
    return listings(
        *(listing(f"h{i}", city="Heights") for i in range(4)),
        *(listing(f"m{i}", city="Montrose") for i in range(4)),
    )


def _crowd() -> list[dict[str, object]]:
    rows = [interaction(f"other{i}", "h0", "view", 2) for i in range(5)]
    rows += [interaction("other0", "h1", "view", 3), interaction("other1", "h2", "save", 3)]
    return rows


def test_a_new_buyer_is_pointed_to_the_areas_and_listings_the_crowd_likes() -> None:
    feed = _feed()
    profiles = buyer_profiles(interactions(*_crowd()), feed, explicit(stated("new")), AS_OF)
    heights = pair_feature_values(feed, profiles, "new", "h0")
    montrose = pair_feature_values(feed, profiles, "new", "m0")
    quiet_heights = pair_feature_values(feed, profiles, "new", "h3")
    assert heights["city_popularity"] > 0 > montrose["city_popularity"]
    # h0: 5 buyers saw it, the location's mean is 7/8; h3 and m0: nobody did.
    assert heights["listing_popularity"] == np.float32(np.log(6 / (7 / 8 + 1)))
    assert (
        heights["listing_popularity"] > quiet_heights["listing_popularity"] == montrose["listing_popularity"]
    )


def test_no_behaviour_anywhere_gives_no_city_evidence() -> None:
    feed = _feed()
    profiles = buyer_profiles(interactions(), feed, explicit(stated("new"), stated("other")), AS_OF)
    row = pair_feature_values(feed, profiles, "new", "m0")
    assert row["city_popularity"] == 0.0 and row["listing_popularity"] == 0.0


def test_popularity_is_point_in_time() -> None:
    feed = _feed()
    later = [interaction(f"late{i}", "m1", "view", 0.5) for i in range(9)]
    before = buyer_profiles(interactions(*_crowd()), feed, explicit(stated("new")), AS_OF - timedelta(days=1))
    after = buyer_profiles(
        interactions(*_crowd(), *later), feed, explicit(stated("new")), AS_OF - timedelta(days=1)
    )
    same = [pair_feature_values(feed, p, "new", "m1") for p in (before, after)]
    assert same[0]["listing_popularity"] == same[1]["listing_popularity"]
    moved = buyer_profiles(interactions(*_crowd(), *later), feed, explicit(stated("new")), AS_OF)
    assert pair_feature_values(feed, moved, "new", "m1")["listing_popularity"] > same[0]["listing_popularity"]

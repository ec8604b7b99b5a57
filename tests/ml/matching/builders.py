"""Small hand-made matching frames: every value visible in the test that uses it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ml.matching.encode import encode
from ml.matching.features import FEATURE_NAMES, pair_features

AS_OF = datetime(2026, 5, 1, tzinfo=UTC)


def listing(listing_id: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "listing_id": listing_id,
        "status": "Active",
        "list_price": 500_000.0,
        "bedrooms": 3.0,
        "bathrooms": 2.0,
        "living_area_sqft": 1_800.0,
        "property_type": "Single Family Residence",
        "city": "Heights",
        "postal_code": "77008",
        "latitude": 29.79,
        "longitude": -95.40,
        "days_on_market": 20.0,
        "year_built": 2005.0,
        "features": ["garage"],
    }
    row.update(values)
    return row


def listings(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def interaction(contact_id: str, listing_id: str, kind: str, days_before: float) -> dict[str, Any]:
    return {
        "contact_id": contact_id,
        "listing_id": listing_id,
        "kind": kind,
        "at": AS_OF - timedelta(days=days_before),
    }


def interactions(*rows: dict[str, Any]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(
            {
                "contact_id": pd.Series(dtype=str),
                "listing_id": pd.Series(dtype=str),
                "kind": pd.Series(dtype=str),
                "at": pd.Series(dtype="datetime64[ns, UTC]"),
            }
        )
    return pd.DataFrame(list(rows))


def stated(contact_id: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "contact_id": contact_id,
        "budget_max": float("nan"),
        "budget_min": float("nan"),
        "beds_min": float("nan"),
        "areas": [],
        "property_types": [],
        "must_haves": [],
    }
    row.update(values)
    return row


def explicit(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def pair_feature_values(
    feed: pd.DataFrame, profiles: pd.DataFrame, contact: str, listing_id: str
) -> dict[str, float]:
    """The ranker's features of one (buyer, listing) pair, by name."""
    encoded = encode(feed, profiles)
    b = int(np.flatnonzero(encoded.buyers.ids == contact)[0])
    li = int(np.flatnonzero(encoded.listings.ids == listing_id)[0])
    row = pair_features(encoded, np.array([b]), np.array([li]))[0]
    return dict(zip(FEATURE_NAMES, row.tolist(), strict=True))

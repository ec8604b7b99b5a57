"""Website (IDX) features: views, saves, showing requests, and the price / beds / area spread of what
the lead looked at — the clearest behavioural trace of a buyer's intent and taste."""

from __future__ import annotations

import numpy as np

from ml.features.block import Block, ratio
from ml.features.events import FloatArray
from ml.features.feature import Feature

_VIEW = "workflow property_viewed"
_LOOKED = "workflow property_viewed/property_saved (customData price, beds, city)"
FEATURES = (
    Feature(
        "listing_views_1d",
        "Listing views in the last 24 hours.",
        "1 d",
        _VIEW,
        "viewed {value:int} home{s} in the last 24 h",
        zero="viewed no homes in the last 24 h",
    ),
    Feature(
        "listing_views_7d",
        "Listing views in the last 7 days.",
        "7 d",
        _VIEW,
        "viewed {value:int} home{s} in the last 7 days",
        zero="viewed no homes in the last 7 days",
    ),
    Feature(
        "listing_views_30d",
        "Listing views in the last 30 days.",
        "30 d",
        _VIEW,
        "viewed {value:int} home{s} up to {viewed_price_max_30d:money} in the last 30 days",
        zero="viewed no homes in the last 30 days",
    ),
    Feature(
        "listing_saves_7d",
        "Listings saved in the last 7 days.",
        "7 d",
        "workflow property_saved",
        "saved {value:int} home{s} in the last 7 days",
        zero="saved no homes in the last 7 days",
    ),
    Feature(
        "listing_saves_30d",
        "Listings saved in the last 30 days.",
        "30 d",
        "workflow property_saved",
        "saved {value:int} home{s} in the last 30 days",
        zero="saved no homes in the last 30 days",
    ),
    Feature(
        "showing_requests_30d",
        "Showing requests from the website in the last 30 days.",
        "30 d",
        "workflow showing_requested",
        "requested {value:int} showing{s} in the last 30 days",
        zero="requested no showings in the last 30 days",
    ),
    Feature(
        "showing_requests_total",
        "Showing requests from the website since the lead was created.",
        "ever",
        "workflow showing_requested",
        "requested {value:int} showing{s} so far",
        zero="has never requested a showing",
    ),
    Feature(
        "not_interested_30d",
        'Listings marked "not interested" in the last 30 days.',
        "30 d",
        "workflow not_interested",
        'marked {value:int} home{s} "not interested" this month',
        zero='marked no homes "not interested" this month',
    ),
    Feature(
        "distinct_listings_viewed_30d",
        "Different listings viewed in the last 30 days.",
        "30 d",
        _VIEW,
        "looked at {value:int} different home{s} this month",
        zero="looked at no homes this month",
    ),
    Feature(
        "viewed_price_typical_30d",
        "Typical (geometric mean) price of homes viewed or saved in the last 30 days.",
        "30 d",
        _LOOKED,
        "looks at homes around {value:money}",
        missing="has not looked at homes this month",
    ),
    Feature(
        "viewed_price_max_30d",
        "Highest price of a home viewed or saved in the last 30 days.",
        "30 d",
        _LOOKED,
        "looked at homes up to {value:money}",
        missing="has not looked at homes this month",
    ),
    Feature(
        "viewed_price_spread_30d",
        "Spread (std of log price) of homes viewed or saved in the last 30 days; 0.1 ≈ ±10 %.",
        "30 d",
        _LOOKED,
        "the prices they look at vary by about ±{value:pct}",
        zero="looks at homes at one price",
        missing="has not looked at homes this month",
    ),
    Feature(
        "viewed_price_to_budget_30d",
        "Typical viewed price divided by the latest stated budget.",
        "30 d",
        _LOOKED + "; budget custom field",
        "looks at homes at {value:pct} of their stated budget",
        missing="no stated budget or no recent views to compare",
    ),
    Feature(
        "viewed_beds_mean_30d",
        "Mean bedrooms of homes viewed or saved in the last 30 days.",
        "30 d",
        _LOOKED,
        "looks at {value:1f}-bedroom homes",
        missing="has not looked at homes this month",
    ),
    Feature(
        "viewed_beds_spread_30d",
        "Std of bedrooms of homes viewed or saved in the last 30 days.",
        "30 d",
        _LOOKED,
        "the bedroom counts they look at vary by ±{value:1f}",
        zero="looks at one bedroom count only",
        missing="has not looked at homes this month",
    ),
    Feature(
        "viewed_areas_30d",
        "Different areas (cities) of homes viewed or saved in the last 30 days.",
        "30 d",
        _LOOKED,
        "looked in {value:int} area{s} this month",
        zero="looked in no areas this month",
    ),
    Feature(
        "saves_per_view_30d",
        "Saves per view in the last 30 days.",
        "30 d",
        "workflow property_viewed, property_saved",
        "saves {value:pct} of the homes they view",
        zero="saves none of the homes they view",
        missing="viewed no homes this month",
    ),
)


def compute(b: Block) -> dict[str, FloatArray]:
    view, save = b.mask("view"), b.mask("save")
    d1, d7, d30 = b.within(1), b.within(7), b.within(30)
    looked = (view | save) & d30
    price = b.col("price").astype(float)
    log_price = np.log(np.where(price > 0, price, np.nan))
    beds = b.col("beds").astype(float)
    views_30 = b.count(view & d30)
    typical = np.exp(b.mean(log_price, looked))
    budget = b.last_value(b.col("budget").astype(float), b.mask("contact"))
    return {
        "listing_views_1d": b.count(view & d1),
        "listing_views_7d": b.count(view & d7),
        "listing_views_30d": views_30,
        "listing_saves_7d": b.count(save & d7),
        "listing_saves_30d": b.count(save & d30),
        "showing_requests_30d": b.count(b.mask("showing_request") & d30),
        "showing_requests_total": b.count(b.mask("showing_request")),
        "not_interested_30d": b.count(b.mask("not_interested") & d30),
        "distinct_listings_viewed_30d": b.nunique(b.col("listing_code").astype(np.int64), view & d30),
        "viewed_price_typical_30d": typical,
        "viewed_price_max_30d": b.maximum(price, looked),
        "viewed_price_spread_30d": b.std(log_price, looked),
        "viewed_price_to_budget_30d": ratio(typical, np.where(budget > 0, budget, 0.0)),
        "viewed_beds_mean_30d": b.mean(beds, looked),
        "viewed_beds_spread_30d": b.std(beds, looked),
        "viewed_areas_30d": b.nunique(b.col("area_code").astype(np.int64), looked),
        "saves_per_view_30d": ratio(b.count(save & d30), views_30),
    }

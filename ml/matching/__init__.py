"""Property matching: which active listings to show each buyer, best first, and why.

    profiles = buyer_profiles(interactions, listings, explicit, as_of)      # one row per buyer
    model = train_ranker(listings, interactions, explicit, cutoffs)          # XGBoost rank:ndcg
    version = model.save(registry)                                           # kind "listing-match"
    run = train_and_compare(listings, interactions, explicit, plan_split(interactions, end=now))
    run.decision.promote                    # training.py: beats the rules on the held-out window?
    matches = rank_matches(listings, profiles, MatchModel.champion(registry), top_k=10, exclude=sent)

Every function takes and returns plain pandas DataFrames; nothing here touches the store, the
network or the clock (`as_of` is always passed in).

Input frames (extra columns are ignored; a missing required column or a bad value raises
`hub.errors.TrainingDataError` naming the frame, the column and the first bad row):

listings — one row per listing of the location's feed:
    listing_id (str, unique), status (str, RESO StandardStatus: only "Active" is matched),
    list_price (float > 0), bedrooms (float, NaN allowed), bathrooms (float, NaN allowed),
    living_area_sqft (float, NaN allowed), property_type (str or None), city (str or None),
    postal_code (str or None), latitude, longitude (float, NaN allowed),
    days_on_market (float, NaN allowed), features (list[str]; None = no features).
    Optional: location_id (str) — when both `listings` and `profiles` carry it, a buyer is only
    ever matched to listings of their own location; year_built (float); listed_at (UTC
    datetime: when the listing came on the market — training uses it so that a past cutoff only
    sees listings already listed then).

interactions — one row per thing a contact did with a listing:
    contact_id (str), listing_id (str), kind (one of INTERACTION_KINDS), at (tz-aware UTC).
    Rows whose listing_id is not in `listings` are kept in counts but carry no price/beds/area.

explicit — stated preferences (custom fields), at most one row per contact, every value optional:
    contact_id (str), budget_max (float, NaN), budget_min (float, NaN), beds_min (float, NaN),
    areas (list[str] or None: city / neighbourhood names as in listings.city),
    property_types (list[str] or None), must_haves (list[str] or None: listing features that
    are required, e.g. ["garage", "pool"]). Optional: location_id (str).

Output of `rank_matches` — one row per (buyer, listing) match, at most `top_k` per buyer:
    contact_id, listing_id, score (float, higher is better; comparable within one call),
    rank (int, 1 = best), reasons (list[str], at most 3 plain-language strings built from the
    real values, e.g. "3 beds like the 4 homes you saved", "$15k under your budget",
    "in Heights, where you asked to tour twice"), scorer ("model:<version>" or "rules").
Buyers with no candidate listing get no rows.
"""

from __future__ import annotations

from hub.listings.columns import EXPLICIT_COLUMNS, LISTING_COLUMNS
from ml.matching.evaluation import RankingMetrics, evaluate_rankings, future_relevance
from ml.matching.frames import (
    ACTIVE_STATUSES,
    INTERACTION_COLUMNS,
    INTERACTION_KINDS,
    MATCH_COLUMNS,
)
from ml.matching.model import MATCH_KIND, MatchModel, train_ranker
from ml.matching.profiles import PROFILE_COLUMNS, buyer_profiles
from ml.matching.rank import rank_matches
from ml.matching.rules import RULE_WEIGHTS, rule_scores

__all__ = [
    "ACTIVE_STATUSES",
    "EXPLICIT_COLUMNS",
    "INTERACTION_COLUMNS",
    "INTERACTION_KINDS",
    "LISTING_COLUMNS",
    "MATCH_COLUMNS",
    "MATCH_KIND",
    "PROFILE_COLUMNS",
    "RULE_WEIGHTS",
    "MatchModel",
    "RankingMetrics",
    "buyer_profiles",
    "evaluate_rankings",
    "future_relevance",
    "rank_matches",
    "rule_scores",
    "train_ranker",
]

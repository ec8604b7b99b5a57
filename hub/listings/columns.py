"""The columns of the listings and stated-preferences frames: one definition for the store loaders
(`hub.listings.frames`, `hub.listings.preferences`) and the matcher that reads the frames
(`ml.matching.frames`), so the two cannot drift apart.

hub never imports ml, so the contract lives here and ml.matching imports it.
"""

from __future__ import annotations

# Every listings frame has these (ml.matching refuses a frame that lacks one).
LISTING_COLUMNS = (
    "listing_id",
    "status",
    "list_price",
    "bedrooms",
    "bathrooms",
    "living_area_sqft",
    "property_type",
    "city",
    "postal_code",
    "latitude",
    "longitude",
    "days_on_market",
    "features",
)
# Numbers (float, NaN allowed) among them.
LISTING_NUMERIC_COLUMNS = (
    "list_price",
    "bedrooms",
    "bathrooms",
    "living_area_sqft",
    "latitude",
    "longitude",
    "days_on_market",
)
# What the store loader hands over: the required columns plus the location (matching keeps each
# buyer to their own location's listings) and the year built (a rule-scorer factor).
LISTING_FRAME_COLUMNS = (*LISTING_COLUMNS, "location_id", "year_built")

# A buyer's stated preferences (custom fields), one row per contact: `explicit_preferences` builds
# the frame, ml.matching reads it (every column but contact_id may be empty).
EXPLICIT_COLUMNS = (
    "contact_id",
    "budget_max",
    "budget_min",
    "beds_min",
    "areas",
    "property_types",
    "must_haves",
)

"""Buyer profiles: stated preferences plus what the buyer's own behaviour says, as of a moment.

Behaviour is summarised as weighted distributions over what the buyer viewed, saved, asked to tour
or clicked in an alert: the weight of an interaction is its kind's weight (a showing request says
more than a view) times a recency factor that halves every `half_life_days` before `as_of`, so a
buyer whose search moved from condos to houses is matched on houses. "Not interested" is only
counted, never learned from as a liking.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from hub.errors import TrainingDataError
from hub.listings.columns import EXPLICIT_COLUMNS
from ml.matching.frames import validate_explicit, validate_interactions, validate_listings

PROFILE_COLUMNS = (
    "contact_id",
    "location_id",  # from explicit, else the location of the listings interacted with; None if unknown
    *EXPLICIT_COLUMNS[1:],  # stated (explicit) preferences, as given (after contact_id)
    # raw counts of interactions up to as_of
    "n_views",
    "n_saves",
    "n_showings",
    "n_not_interested",
    "n_alert_clicks",
    # learned from behaviour: recency-weighted (half-life) over viewed / saved / toured / clicked
    "weight",  # total recency- and kind-weighted mass (0 = no behaviour)
    "price_log_mean",  # weighted mean of ln(list_price); NaN without behaviour
    "price_log_std",
    "beds_mean",
    "sqft_log_mean",
    "area_weights",  # dict city -> share of the weighted mass (sums to 1; {} without behaviour)
    "type_weights",  # dict property_type -> share
    "beds_weights",  # dict beds (int) -> share
    "price_weights",  # dict price bin (round(ln price / PRICE_BIN)) -> share
    # plain counts behind the reasons
    "saved_beds",  # dict beds -> number of distinct homes saved with that many beds
    "viewed_beds",  # dict beds -> number of distinct homes viewed with that many beds
    "area_views",  # dict city -> distinct homes viewed there
    "area_saves",  # dict city -> distinct homes saved there
    "area_showings",  # dict city -> showings requested there
    "seen_listing_ids",  # list of listings the buyer already viewed/saved/toured/rejected/clicked
    "last_at",  # time of the last interaction (NaT if none)
    "as_of",
)

PRICE_BIN = 0.1  # width of a price bin in ln(price): ~10 % apart
KIND_WEIGHTS = {"view": 1.0, "alert_click": 1.5, "save": 3.0, "showing_request": 5.0, "not_interested": 0.0}
_DAY_S = 86_400.0


def _as_of(as_of: datetime) -> pd.Timestamp:
    moment = pd.Timestamp(as_of)
    if moment.tzinfo is None:
        raise TrainingDataError("as_of must be timezone-aware (UTC), e.g. datetime(2026, 4, 1, tzinfo=UTC)")
    return moment.tz_convert("UTC")


def _aligned(series: pd.Series, contacts: list[str]) -> pd.Series:
    """`series` (indexed by contact) in the order of `contacts`, NaN/NaT where absent (works when empty)."""
    return pd.Series(series.reindex(pd.Index(contacts, dtype=object)).to_numpy(), dtype=series.dtype)


def _shares(frame: pd.DataFrame, key: str) -> dict[str, dict[Any, float]]:
    """contact -> {value of `key`: share of the contact's weighted mass}."""
    rows = frame.dropna(subset=[key])
    if rows.empty:
        return {}
    mass = rows.groupby(["contact_id", key], sort=True)["w"].sum()
    total = mass.groupby(level=0).transform("sum")
    share = (mass / total)[total > 0]
    out: dict[str, dict[Any, float]] = {}
    for (contact, value), part in share.items():
        out.setdefault(str(contact), {})[value] = float(part)
    return out


def _counts(frame: pd.DataFrame, key: str, *, distinct: bool) -> dict[str, dict[Any, int]]:
    """contact -> {value of `key`: number of (distinct) listings}."""
    rows = frame.dropna(subset=[key])
    if rows.empty:
        return {}
    if distinct:
        rows = rows.drop_duplicates(["contact_id", "listing_id"])
    counted = rows.groupby(["contact_id", key], sort=True).size()
    out: dict[str, dict[Any, int]] = {}
    for (contact, value), n in counted.items():
        out.setdefault(str(contact), {})[value] = int(n)
    return out


def buyer_profiles(
    interactions: pd.DataFrame,
    listings: pd.DataFrame,
    explicit: pd.DataFrame | None,
    as_of: datetime,
    *,
    half_life_days: float = 21.0,
) -> pd.DataFrame:
    """One row per buyer (every contact in `explicit` or with an interaction at or before `as_of`),
    with the columns PROFILE_COLUMNS, sorted by contact_id.

    Only interactions with `at <= as_of` are used, so appending later interactions never changes a
    profile (point in time). Behaviour is weighted by kind (KIND_WEIGHTS: view 1, alert_click 1.5,
    save 3, showing_request 5; not_interested only counted) and by recency (the weight halves every
    `half_life_days` before as_of). Listing attributes come from `listings` (the current feed);
    interactions with a listing missing from it count but teach nothing about price, beds or area.
    """
    if not half_life_days > 0:
        raise TrainingDataError(f"half_life_days must be positive, got {half_life_days}")
    moment = _as_of(as_of)
    feed = validate_listings(listings)
    stated = validate_explicit(explicit)
    log = validate_interactions(interactions)
    log = log[log["at"] <= moment]

    attributes = pd.DataFrame(
        {
            "listing_id": feed["listing_id"],
            "log_price": np.log(feed["list_price"].to_numpy()),
            "beds": feed["bedrooms"],
            "log_sqft": np.log(feed["living_area_sqft"].where(feed["living_area_sqft"] > 0)),
            "city": feed["city"],
            "property_type": feed["property_type"],
            "listing_location": feed["location_id"] if "location_id" in feed.columns else None,
        }
    )
    rows = log.merge(attributes, on="listing_id", how="left")
    age_days = (moment - rows["at"]).dt.total_seconds().to_numpy() / _DAY_S
    rows["w"] = rows["kind"].map(KIND_WEIGHTS).to_numpy(dtype=float) * np.power(
        0.5, age_days / half_life_days
    )
    liked = rows[rows["w"] > 0]

    contacts = sorted(set(stated["contact_id"]).union(rows["contact_id"]))
    profile = pd.DataFrame({"contact_id": pd.Series(contacts, dtype=object)})

    counts = rows.groupby(["contact_id", "kind"]).size().unstack(fill_value=0)
    for column, kind in (
        ("n_views", "view"),
        ("n_saves", "save"),
        ("n_showings", "showing_request"),
        ("n_not_interested", "not_interested"),
        ("n_alert_clicks", "alert_click"),
    ):
        series = counts[kind] if kind in counts.columns else pd.Series(dtype="int64")
        profile[column] = _aligned(series.astype("float64"), contacts).fillna(0).astype("int64")

    known = liked.dropna(subset=["log_price"])
    total = known.groupby("contact_id")["w"].sum()
    profile["weight"] = _aligned(liked.groupby("contact_id")["w"].sum(), contacts).fillna(0.0)

    def weighted_mean(column: str) -> pd.Series:
        part = known.dropna(subset=[column])
        mass = part.groupby("contact_id")["w"].sum()
        return (part[column] * part["w"]).groupby(part["contact_id"]).sum() / mass

    price_mean = weighted_mean("log_price")
    profile["price_log_mean"] = _aligned(price_mean, contacts)
    deviation = known["log_price"].to_numpy() - price_mean.reindex(known["contact_id"]).to_numpy(dtype=float)
    variance = (
        pd.Series(deviation**2 * known["w"].to_numpy(), index=known.index).groupby(known["contact_id"]).sum()
        / total
    )
    profile["price_log_std"] = _aligned(np.sqrt(variance), contacts)
    profile["beds_mean"] = _aligned(weighted_mean("beds"), contacts)
    profile["sqft_log_mean"] = _aligned(weighted_mean("log_sqft"), contacts)

    def per_contact(table: dict[str, dict[Any, Any]]) -> list[dict[Any, Any]]:
        return [table.get(contact, {}) for contact in contacts]

    profile["area_weights"] = per_contact(_shares(liked, "city"))
    profile["type_weights"] = per_contact(_shares(liked, "property_type"))
    # Whole distributions, not just means: matching divides them by the inventory's (distributions.py).
    binned = liked.assign(
        beds_int=liked["beds"].round().astype("Int64"),
        price_bin=np.round(liked["log_price"] / PRICE_BIN).astype("Int64"),
    )
    profile["beds_weights"] = per_contact(_shares(binned, "beds_int"))
    profile["price_weights"] = per_contact(_shares(binned, "price_bin"))
    beds_int = rows.assign(beds=rows["beds"].round().astype("Int64"))
    profile["saved_beds"] = per_contact(_counts(beds_int[beds_int["kind"] == "save"], "beds", distinct=True))
    profile["viewed_beds"] = per_contact(_counts(beds_int[beds_int["kind"] == "view"], "beds", distinct=True))
    profile["area_views"] = per_contact(_counts(rows[rows["kind"] == "view"], "city", distinct=True))
    profile["area_saves"] = per_contact(_counts(rows[rows["kind"] == "save"], "city", distinct=True))
    profile["area_showings"] = per_contact(
        _counts(rows[rows["kind"] == "showing_request"], "city", distinct=False)
    )
    seen = rows.drop_duplicates(["contact_id", "listing_id"]).groupby("contact_id")["listing_id"].agg(list)
    profile["seen_listing_ids"] = [sorted(seen.get(contact, [])) for contact in contacts]
    last = rows.groupby("contact_id")["at"].max()
    profile["last_at"] = pd.to_datetime(last.reindex(pd.Index(contacts, dtype=object)).to_numpy(), utc=True)

    merged = profile.merge(stated, on="contact_id", how="left", suffixes=("", "_stated"))
    for column in ("areas", "property_types", "must_haves"):
        merged[column] = [value if isinstance(value, list) else [] for value in merged[column]]
    location = (
        merged["location_id"] if "location_id" in merged.columns else pd.Series(None, index=merged.index)
    )
    location = location.astype(object).where(location.notna(), None)
    with_location = rows.dropna(subset=["listing_location"]) if "listing_location" in rows else rows.iloc[:0]
    if not with_location.empty:
        tally = with_location.groupby(["contact_id", "listing_location"]).size().reset_index(name="n")
        usual = tally.sort_values(["contact_id", "n"], ascending=[True, False]).drop_duplicates("contact_id")
        inferred = merged["contact_id"].map(usual.set_index("contact_id")["listing_location"])
        location = location.where(location.notna(), inferred)
    merged["location_id"] = location.astype(object).where(location.notna(), None)
    merged["as_of"] = moment
    return merged.loc[:, list(PROFILE_COLUMNS)].reset_index(drop=True)

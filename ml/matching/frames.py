"""The column contracts of the matching frames, and their validation.

Validation returns a normalised copy (numeric columns as float64, list columns as lists, `at` as
UTC timestamps) and raises `TrainingDataError` naming the frame, the column and the first bad row,
so a caller loading from the store learns exactly which record to fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from hub.errors import TrainingDataError
from hub.listings.columns import EXPLICIT_COLUMNS, LISTING_COLUMNS, LISTING_NUMERIC_COLUMNS

INTERACTION_KINDS = ("view", "save", "showing_request", "not_interested", "alert_click")
ACTIVE_STATUSES = ("Active",)
INTERACTION_COLUMNS = ("contact_id", "listing_id", "kind", "at")
MATCH_COLUMNS = ("contact_id", "listing_id", "score", "rank", "reasons", "scorer")

_EXPLICIT_NUMERIC = ("budget_max", "budget_min", "beds_min")
_EXPLICIT_LISTS = ("areas", "property_types", "must_haves")


def _require(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TrainingDataError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise TrainingDataError(
            f"{name} frame lacks column(s) {missing}; it needs {list(columns)} (see ml/matching/__init__.py)"
        )


def _row_label(frame: pd.DataFrame, position: int, key: str) -> str:
    value = frame[key].iloc[position] if key in frame.columns else None
    return f"row {position} ({key}={value!r})"


def _numeric(frame: pd.DataFrame, column: str, name: str, key: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise TrainingDataError(
            f"{name}.{column} must be a number or empty; {_row_label(frame, position, key)} has "
            f"{frame[column].iloc[position]!r}"
        )
    return values


def _as_list(value: Any) -> list[str] | None:
    """The value as a list of strings, None when it cannot be one."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return None
    if isinstance(value, dict):  # the store keeps listing features as JSON: {"garage": true, ...}
        return [str(key) for key, flag in value.items() if flag]
    try:
        items = list(value)
    except TypeError:
        return None
    return [str(item) for item in items if item is not None and str(item) != ""]


def _lists(frame: pd.DataFrame, column: str, name: str, key: str) -> list[list[str]]:
    out: list[list[str]] = []
    for position, value in enumerate(frame[column].tolist()):
        items = _as_list(value)
        if items is None:
            hint = "; split it into a list (e.g. ['garage', 'pool'])" if isinstance(value, str) else ""
            raise TrainingDataError(
                f"{name}.{column} must be a list of strings, {_row_label(frame, position, key)} has "
                f"{value!r}{hint}"
            )
        out.append(items)
    return out


def _text(series: pd.Series) -> pd.Series:
    """Strings with None for missing (never the string 'nan')."""
    return series.astype(object).where(series.notna(), None)


def validate_listings(listings: pd.DataFrame) -> pd.DataFrame:
    """A normalised copy of `listings`; raises TrainingDataError on a missing column or bad value."""
    _require(listings, LISTING_COLUMNS, "listings")
    out = listings.reset_index(drop=True).copy()
    out["listing_id"] = out["listing_id"].astype(str)
    duplicated = out["listing_id"].duplicated()
    if duplicated.any():
        position = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise TrainingDataError(
            f"listings.listing_id must be unique; {_row_label(out, position, 'listing_id')} repeats an "
            "earlier row — keep the latest version of each listing"
        )
    for column in LISTING_NUMERIC_COLUMNS:
        out[column] = _numeric(out, column, "listings", "listing_id")
    bad_price = ~(out["list_price"] > 0)
    if bad_price.any():
        position = int(np.flatnonzero(bad_price.to_numpy())[0])
        raise TrainingDataError(
            f"listings.list_price must be a positive number; {_row_label(out, position, 'listing_id')} has "
            f"{listings['list_price'].iloc[position]!r} — drop listings without a price before matching"
        )
    if "year_built" in out.columns:
        out["year_built"] = _numeric(out, "year_built", "listings", "listing_id")
    out["status"] = out["status"].astype(str)
    for column in ("property_type", "city", "postal_code"):
        out[column] = _text(out[column])
    out["features"] = _lists(out, "features", "listings", "listing_id")
    if "location_id" in out.columns:
        out["location_id"] = out["location_id"].astype(str)
    if "listed_at" in out.columns:
        out["listed_at"] = _utc(out, "listed_at", "listings", "listing_id")
    return out


def _utc(frame: pd.DataFrame, column: str, name: str, key: str) -> pd.Series:
    try:
        values = pd.to_datetime(frame[column], utc=False)
    except (ValueError, TypeError) as error:
        raise TrainingDataError(f"{name}.{column} must hold datetimes: {error}") from error
    if getattr(values.dt, "tz", None) is None and len(values):
        raise TrainingDataError(
            f"{name}.{column} must be timezone-aware UTC datetimes (naive ones are ambiguous); "
            "convert with pd.to_datetime(..., utc=True)"
        )
    values = values.dt.tz_convert("UTC") if len(values) else pd.to_datetime(values, utc=True)
    if values.isna().any():
        position = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise TrainingDataError(f"{name}.{column} is empty in {_row_label(frame, position, key)}")
    return values


def validate_interactions(interactions: pd.DataFrame) -> pd.DataFrame:
    """A normalised copy of `interactions`; raises TrainingDataError on an unknown kind or bad time."""
    _require(interactions, INTERACTION_COLUMNS, "interactions")
    out = interactions.reset_index(drop=True).copy()
    out["contact_id"] = out["contact_id"].astype(str)
    out["listing_id"] = out["listing_id"].astype(str)
    out["kind"] = out["kind"].astype(str)
    unknown = ~out["kind"].isin(INTERACTION_KINDS)
    if unknown.any():
        position = int(np.flatnonzero(unknown.to_numpy())[0])
        raise TrainingDataError(
            f"interactions.kind must be one of {INTERACTION_KINDS}; "
            f"{_row_label(out, position, 'contact_id')} "
            f"has {out['kind'].iloc[position]!r}"
        )
    out["at"] = _utc(out, "at", "interactions", "contact_id")
    return out


def validate_explicit(explicit: pd.DataFrame | None) -> pd.DataFrame:
    """A normalised copy of `explicit` (an empty frame for None); one row per contact."""
    if explicit is None:
        explicit = pd.DataFrame({column: pd.Series(dtype=object) for column in EXPLICIT_COLUMNS})
    _require(explicit, ("contact_id",), "explicit")
    out = explicit.reset_index(drop=True).copy()
    for column in EXPLICIT_COLUMNS:
        if column not in out.columns:
            out[column] = None if column in _EXPLICIT_LISTS else np.nan
    out["contact_id"] = out["contact_id"].astype(str)
    duplicated = out["contact_id"].duplicated()
    if duplicated.any():
        position = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise TrainingDataError(
            f"explicit must have one row per contact; {_row_label(out, position, 'contact_id')} repeats"
        )
    for column in _EXPLICIT_NUMERIC:
        out[column] = _numeric(out, column, "explicit", "contact_id")
        negative = out[column] < 0
        if negative.any():
            position = int(np.flatnonzero(negative.to_numpy())[0])
            raise TrainingDataError(
                f"explicit.{column} cannot be negative; {_row_label(out, position, 'contact_id')} has "
                f"{out[column].iloc[position]}"
            )
    for column in _EXPLICIT_LISTS:
        out[column] = _lists(out, column, "explicit", "contact_id")
    if "location_id" in out.columns:
        out["location_id"] = _text(out["location_id"])
    return out


def validate_exclude(exclude: pd.DataFrame | None) -> pd.DataFrame:
    """(contact_id, listing_id) pairs never to return; an empty frame for None."""
    if exclude is None:
        return pd.DataFrame({"contact_id": pd.Series(dtype=str), "listing_id": pd.Series(dtype=str)})
    _require(exclude, ("contact_id", "listing_id"), "exclude")
    return pd.DataFrame(
        {"contact_id": exclude["contact_id"].astype(str), "listing_id": exclude["listing_id"].astype(str)}
    )

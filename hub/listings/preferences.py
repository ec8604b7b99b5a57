"""Buyers and their stated preferences, read from contacts' custom fields.

GHL contacts carry custom fields as bare `{field id: value}`; a location's definitions (synced from
GET /locations/{id}/customFields, `save_custom_fields`) give each id a key. The keys below are the
ones the simulator's brokerages and common GHL real-estate snapshots use; anything else is ignored.
A value that cannot be read (budget "call me") leaves that preference unknown, never guessed, and
is counted so the run can report it.

    defs = save_custom_fields(session, "loc1", response["customFields"])   # GHL's JSON shape
    frame, unreadable = explicit_preferences(session, "loc1", contact_ids)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.listings import values
from hub.listings.columns import EXPLICIT_COLUMNS
from hub.store.models import Contact, CustomFieldDefinition

# custom field key (lower-case, after "contact.") -> the explicit-preference column it feeds
PREFERENCE_KEYS: dict[str, str] = {
    **dict.fromkeys(("budget", "max_price", "price_max", "budget_max", "max_budget"), "budget"),
    **dict.fromkeys(("min_price", "price_min", "budget_min", "min_budget"), "budget_min"),
    **dict.fromkeys(("beds", "bedrooms", "beds_min", "min_beds", "min_bedrooms"), "beds_min"),
    **dict.fromkeys(
        ("areas", "area", "preferred_areas", "neighborhoods", "neighbourhoods", "cities"), "areas"
    ),
    **dict.fromkeys(("property_type", "property_types", "home_type", "home_types"), "property_types"),
    **dict.fromkeys(("must_haves", "must_have", "amenities", "features"), "must_haves"),
}
SELLER_ONLY_TAG = "seller"
BUYER_TAG = "buyer"


def field_key(definition: Mapping[str, Any]) -> str:
    """GHL's `fieldKey` ("contact.budget") without its prefix, else the name in snake case."""
    raw = str(definition.get("fieldKey") or definition.get("key") or definition.get("name") or "")
    raw = raw.removeprefix("contact.")
    return re.sub(r"[^a-z0-9]+", "_", raw.lower()).strip("_")


def save_custom_fields(
    session: Session, location_id: str, definitions: Iterable[Mapping[str, Any]]
) -> list[CustomFieldDefinition]:
    """Store a location's custom-field definitions (GHL's GET /locations/{id}/customFields items:
    id, name, fieldKey, dataType, picklistOptions); an id seen before is updated."""
    saved: list[CustomFieldDefinition] = []
    for item in definitions:
        field_id = str(item.get("id") or "").strip()
        if not field_id:
            raise ValueError(f"a custom field definition has no id: {dict(item)!r}")
        row = session.get(CustomFieldDefinition, (location_id, field_id)) or CustomFieldDefinition(
            location_id=location_id, id=field_id
        )
        row.key = field_key(item)
        row.name = str(item.get("name") or row.key)
        row.data_type = item.get("dataType") or item.get("data_type")
        row.options = list(item.get("picklistOptions") or item.get("options") or [])
        session.add(row)
        saved.append(row)
    session.flush()
    return saved


def preference_fields(session: Session, location_id: str) -> dict[str, str]:
    """custom field id -> preference name, for the location's fields that carry a preference."""
    rows = session.execute(
        sa.select(CustomFieldDefinition.id, CustomFieldDefinition.key).where(
            CustomFieldDefinition.location_id == location_id
        )
    )
    return {field_id: PREFERENCE_KEYS[key] for field_id, key in rows if key in PREFERENCE_KEYS}


def buyer_ids(session: Session, location_id: str) -> list[str]:
    """Live contacts of the location that may be buying: everyone but deleted contacts and those
    tagged seller without also being tagged buyer."""
    rows = session.execute(
        sa.select(Contact.id, Contact.tags)
        .where(Contact.location_id == location_id, Contact.deleted.is_(False))
        .order_by(Contact.id)
    )
    buyers = []
    for contact_id, tags in rows:
        lowered = {str(tag).lower() for tag in tags or []}
        if SELLER_ONLY_TAG in lowered and BUYER_TAG not in lowered:
            continue
        buyers.append(contact_id)
    return buyers


def explicit_preferences(
    session: Session, location_id: str, contact_ids: Sequence[str]
) -> tuple[pd.DataFrame, int]:
    """One row per contact with any stated preference (ml.matching's `explicit` frame), and the
    number of custom-field values that could not be read."""
    fields = preference_fields(session, location_id)
    rows: list[dict[str, Any]] = []
    unreadable = 0
    if fields:
        contacts = session.execute(
            sa.select(Contact.id, Contact.custom_fields).where(
                Contact.location_id == location_id, Contact.id.in_(list(contact_ids))
            )
        )
        for contact_id, custom in contacts:
            stated, bad = read_preferences(custom or {}, fields)
            unreadable += bad
            if stated:
                rows.append({"contact_id": contact_id, **stated})
    frame = pd.DataFrame(rows, columns=list(EXPLICIT_COLUMNS))
    for column in ("budget_max", "budget_min", "beds_min"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame, unreadable


def read_preferences(custom: Mapping[str, Any], fields: Mapping[str, str]) -> tuple[dict[str, Any], int]:
    """The stated preferences in one contact's custom fields, and how many values were unreadable."""
    stated: dict[str, Any] = {}
    bad = 0
    for field_id, raw in custom.items():
        name = fields.get(field_id)
        if name is None or raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            stated.update(_read(name, raw))
        except ValueError:
            bad += 1
    return stated, bad


def _read(name: str, raw: Any) -> dict[str, Any]:
    if name == "budget":
        low, high = _budget(raw)
        return {"budget_max": high, **({"budget_min": low} if low is not None else {})}
    if name == "budget_min":
        return {"budget_min": values.money(raw)}
    if name == "beds_min":
        return {"beds_min": float(values.whole(_leading_number(raw), low=0, high=50, what="bedrooms"))}
    items = values.word_list(raw)
    if not items:
        raise ValueError("empty list")
    return {name: items}


def _budget(raw: Any) -> tuple[float | None, float]:
    """ "450000", "$450,000", "400k-500k", "$400,000 to $500,000" → (min or None, max)."""
    if isinstance(raw, str):
        parts = [p for p in re.split(r"\s*(?:-|–|to)\s*", raw.strip().lower()) if p]
        if len(parts) == 2:
            low, high = values.money(parts[0]), values.money(parts[1])
            return (min(low, high), max(low, high))
    amount = values.money(raw)
    if amount <= 0 or math.isnan(amount):
        raise ValueError(f"{raw!r} is not a budget")
    return None, amount


def _leading_number(raw: Any) -> Any:
    # "3+" and "3 bedrooms" are how forms write a minimum.
    if isinstance(raw, str):
        found = re.match(r"\s*(\d+(?:\.0+)?)", raw)
        if found:
            return found.group(1)
    return raw

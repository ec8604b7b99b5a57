"""Stated buyer preferences from contacts' custom fields (via the location's field definitions)."""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from hub.listings.preferences import (
    buyer_ids,
    explicit_preferences,
    field_key,
    read_preferences,
    save_custom_fields,
)
from tests.hub.workflows.builders import add_lead, add_location

FIELDS = {
    "f-budget": "budget",
    "f-min": "budget_min",
    "f-beds": "beds_min",
    "f-areas": "areas",
    "f-must": "must_haves",
}


def test_values_as_forms_write_them() -> None:
    stated, bad = read_preferences(
        {"f-budget": "$400k - $500k", "f-beds": "3+", "f-areas": "Austin; Round Rock", "f-must": ["garage"]},
        FIELDS,
    )
    assert bad == 0
    assert stated == {
        "budget_min": 400000.0,
        "budget_max": 500000.0,
        "beds_min": 3.0,
        "areas": ["Austin", "Round Rock"],
        "must_haves": ["garage"],
    }
    assert read_preferences({"f-budget": 650000, "f-min": "500000"}, FIELDS)[0] == {
        "budget_max": 650000.0,
        "budget_min": 500000.0,
    }


def test_unreadable_values_are_unknown_and_counted_never_guessed() -> None:
    stated, bad = read_preferences(
        {"f-budget": "call me", "f-beds": "lots", "f-areas": "", "other": "x"}, FIELDS
    )
    assert stated == {} and bad == 2


def test_field_keys_from_ghl_definitions() -> None:
    assert field_key({"fieldKey": "contact.preferred_areas", "name": "Preferred Areas"}) == "preferred_areas"
    assert field_key({"name": "Must Haves"}) == "must_haves"


def test_explicit_frame_and_buyers_from_the_store(session: Session) -> None:
    add_location(session)
    save_custom_fields(
        session,
        "L1",
        [
            {"id": "cf1", "name": "Budget", "fieldKey": "contact.budget", "dataType": "MONETORY"},
            {"id": "cf2", "name": "Bedrooms", "fieldKey": "contact.beds", "dataType": "NUMERICAL"},
            {"id": "cf3", "name": "Timeline", "fieldKey": "contact.timeline"},
        ],
    )
    add_lead(session, contact_id="C1", custom_fields={"cf1": "450000", "cf2": "3", "cf3": "0-3 months"})
    add_lead(session, contact_id="C2", custom_fields={"cf3": "asap"})
    add_lead(session, contact_id="S1", tags=["seller"], custom_fields={"cf1": "900000"})
    add_lead(session, contact_id="S2", tags=["seller", "buyer"], custom_fields={"cf1": "bad"})
    add_lead(session, contact_id="D1", deleted=True)
    session.commit()
    buyers = buyer_ids(session, "L1")
    assert buyers == ["C1", "C2", "S2"]
    frame, unreadable = explicit_preferences(session, "L1", buyers)
    assert unreadable == 1 and frame["contact_id"].tolist() == ["C1"]
    row = frame.iloc[0]
    assert (row["budget_max"], row["beds_min"]) == (450000.0, 3.0) and math.isnan(row["budget_min"])
    # A redefinition (same id) updates the stored key.
    [updated] = save_custom_fields(
        session, "L1", [{"id": "cf3", "name": "Must haves", "fieldKey": "contact.must_haves"}]
    )
    assert updated.key == "must_haves"

"""The store → ml bridge (tasks/ml_data.py): custom-field ids resolve through the synced definitions.

Runs on SQLite and PostgreSQL (tests/store_fixtures.py). Contacts carry custom fields as bare
`[{id, value}]`; only the location's definitions (GET /locations/{id}/customFields, stored as
CustomFieldDefinition rows) say which id is the budget — without them the budget stays unknown.
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.store.event_log import mark_processed
from hub.store.models import CustomFieldDefinition, Event
from hub.tenancy import register_location
from ml.catalog import profile_field_key
from ml.features import features_for_lead
from tasks.ml_data import catalog_from_store, timeline_from_store
from tests.hub.leads.payloads import CID, LOC, at, contact, log_event


def _store_lead(session: Session) -> None:
    register_location(session, LOC, name="Austin office", timezone="America/Chicago")
    fields = [
        {"id": "cfBudget01", "value": "$450,000"},
        {"id": "cfBeds02", "value": "3"},
        {"id": "cfWhen03", "value": "0-3 months"},
        {"id": "cfOther04", "value": "blue"},
    ]
    log_event(session, contact(customFields=fields), at(0))
    mark_processed(session, session.scalars(sa.select(Event.id)).all())


def _define(session: Session, **keys: str) -> None:
    for field_id, key in keys.items():
        session.add(CustomFieldDefinition(location_id=LOC, id=field_id, key=key, name=key.title()))
    session.flush()


def test_synced_custom_fields_resolve_budget_beds_and_timeline(session: Session) -> None:
    _store_lead(session)
    # "bedrooms" and "timeframe" are other snapshots' keys for the same fields.
    _define(session, cfBudget01="budget", cfBeds02="bedrooms", cfWhen03="timeframe", cfOther04="color")
    catalog = catalog_from_store(session)
    assert dict(catalog.custom_fields) == {
        "cfBudget01": "budget",
        "cfBeds02": "beds",
        "cfWhen03": "timeline",
    }
    timeline = timeline_from_store(session, LOC)
    profile = timeline.profiles.iloc[0]
    assert (profile["budget"], profile["beds"], profile["stated_timeline"]) == (450_000, 3, "0-3 months")
    values = features_for_lead(timeline.events, profile, at(60))
    assert values["budget"] == 450_000
    assert values["preferred_beds"] == 3
    assert values["stated_timeline_months"] == 1.5


def test_without_synced_definitions_the_preferences_stay_unknown(session: Session) -> None:
    _store_lead(session)
    timeline = timeline_from_store(session, LOC, [CID])
    values = features_for_lead(timeline.events, timeline.profiles.iloc[0], at(60))
    assert math.isnan(values["budget"]) and math.isnan(values["preferred_beds"])


def test_profile_field_key_aliases() -> None:
    assert profile_field_key("contact.Budget") == "budget"
    assert profile_field_key("max_price") == "budget"
    assert profile_field_key("preferred_areas") == "areas"
    assert profile_field_key("favourite_colour") is None

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub.ghl.models import Contact, ContactFields, DndSettings, Pipeline, SearchContactsRequest, SearchFilter
from tests.hub.ghl.conftest import make_contact


def test_contact_reads_ghl_camel_case_and_keeps_unknown_fields() -> None:
    contact = Contact.model_validate(make_contact(attributionSource={"medium": "zillow"}))
    assert contact.first_name == "Dana"
    assert contact.location_id == "LocA"
    assert contact.model_extra == {"attributionSource": {"medium": "zillow"}}
    assert contact.model_dump()["firstName"] == "Dana"


@pytest.mark.parametrize(
    ("overrides", "channel", "blocked"),
    [
        ({}, "SMS", False),
        ({"dndSettings": {"SMS": {"status": "active", "message": "STOP", "code": "103"}}}, "SMS", True),
        ({"dndSettings": {"SMS": {"status": "permanent"}}}, "SMS", True),
        ({"dndSettings": {"SMS": {"status": "active"}}}, "Email", False),
        ({"dnd": True}, "Email", True),
        ({"dndSettings": None}, "SMS", False),
    ],
)
def test_is_dnd_combines_global_flag_and_channel_status(
    overrides: dict[str, object], channel: str, blocked: bool
) -> None:
    contact = Contact.model_validate(make_contact(**overrides))
    assert contact.is_dnd(channel) is blocked  # type: ignore[arg-type]


def test_dnd_settings_round_trip_with_ghl_channel_keys() -> None:
    settings = DndSettings.model_validate({"SMS": {"status": "active"}, "WhatsApp": {"status": "inactive"}})
    assert settings.channel("SMS") is not None and settings.channel("SMS").blocks  # type: ignore[union-attr]
    assert settings.model_dump(exclude_none=True) == {
        "SMS": {"status": "active"},
        "WhatsApp": {"status": "inactive"},
    }


def test_request_models_refuse_unknown_fields_by_name() -> None:
    with pytest.raises(ValidationError, match="tags"):
        ContactFields.model_validate({"first_name": "Dana", "tags": ["x"]})


def test_search_request_dumps_the_documented_body_shape() -> None:
    body = SearchContactsRequest(
        location_id="LocA",
        page_limit=50,
        filters=[SearchFilter(field="dndSettings.SMS.status", operator="eq", value="active")],
    ).model_dump(mode="json", exclude_none=True)
    assert body == {
        "locationId": "LocA",
        "page": 1,
        "pageLimit": 50,
        "filters": [{"field": "dndSettings.SMS.status", "operator": "eq", "value": "active"}],
        "sort": [],
    }


def test_pipeline_resolves_stage_names_from_ids() -> None:
    pipeline = Pipeline.model_validate(
        {"id": "P1", "name": "Buyers", "stages": [{"id": "s1", "name": "New"}]}
    )
    assert pipeline.stage_name("s1") == "New"
    assert pipeline.stage_name("nope") is None

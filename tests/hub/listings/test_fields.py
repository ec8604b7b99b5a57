"""Header mapping and cell parsing of listings feeds: aliases, precedence, tolerant values, clear errors."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from hub.listings import values
from hub.listings.fields import SPECS, map_columns, missing_required, normalise_header
from hub.listings.status import standard_status

CHICAGO = ZoneInfo("America/Chicago")


def test_no_alias_belongs_to_two_fields() -> None:
    owners: dict[str, str] = {}
    for spec in SPECS:
        for alias in {normalise_header(a) for a in (spec.label, *spec.aliases)}:
            assert owners.setdefault(alias, spec.name) == spec.name, alias


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("ListPrice", "list_price"),
        ("list_price", "list_price"),
        ("Price", "list_price"),
        ("LIST-PRICE", "list_price"),
        ("BedroomsTotal", "bedrooms"),
        ("beds", "bedrooms"),
        ("MLS #", "mls_number"),
        ("ListingId", "mls_number"),
        ("ListingKey", "id"),
        ("Zip", "postal_code"),
        ("lng", "longitude"),
        ("Open House Times", "open_houses"),
    ],
)
def test_common_aliases_map_to_their_field(header: str, field: str) -> None:
    mapping = map_columns([header])
    assert mapping.columns == {field: [header]} and mapping.unknown == []


def test_precedence_and_unknown_columns() -> None:
    mapping = map_columns(["PropertyType", "PropertySubType", "Agent Notes", "InteriorFeatures", "Features"])
    # RESO's PropertySubType ("Townhouse") says more than PropertyType ("Residential").
    assert mapping.columns["property_type"] == ["PropertySubType", "PropertyType"]
    assert mapping.columns["features"] == ["Features", "InteriorFeatures"]
    assert mapping.unknown == ["Agent Notes"]


def test_missing_required_columns_are_named_with_what_is_accepted() -> None:
    missing = missing_required(map_columns(["Bedz", "Prce"]))
    assert len(missing) == 3
    assert missing[0].startswith("a listing id (ListingKey or ListingId")
    assert "StandardStatus (accepted: StandardStatus, status" in missing[1]
    assert "ListPrice (accepted: ListPrice, list_price, price" in missing[2]
    assert missing_required(map_columns(["mls_number", "Status", "Price"])) == []


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("450000", 450000.0),
        ("$450,000", 450000.0),
        ("450k", 450000.0),
        ("1.2M", 1200000.0),
        (399999.5, 399999.5),
    ],
)
def test_money_accepts_how_feeds_write_prices(raw: object, amount: float) -> None:
    assert values.money(raw) == amount


@pytest.mark.parametrize("raw", ["45O000", "-5", "$", True, "call"])
def test_money_refuses_what_is_not_an_amount(raw: object) -> None:
    with pytest.raises(ValueError, match=r"amount|negative"):
        values.money(raw)


def test_whole_numbers_and_ranges() -> None:
    assert values.whole("3.0", low=0, high=50, what="bedrooms") == 3
    with pytest.raises(ValueError, match="not a whole number of bedrooms"):
        values.whole("3.5", low=0, high=50, what="bedrooms")
    with pytest.raises(ValueError, match=r"outside 0\.\.50 bedrooms"):
        values.whole(99, low=0, high=50, what="bedrooms")


def test_lists_postal_codes_and_statuses() -> None:
    assert values.word_list("garage; pool | Pool, heated") == ["garage", "pool", "Pool, heated"]
    assert values.word_list("garage, pool") == ["garage", "pool"]
    assert values.word_list('["garage", "garage", "pool"]') == ["garage", "pool"]
    assert values.postal_code(2134) == "02134" and values.postal_code(" 78701-1234 ") == "78701-1234"
    assert [standard_status(s) for s in ("active", "Sold", "Under Contract", "pending")] == [
        "Active",
        "Closed",
        "ActiveUnderContract",
        "Pending",
    ]
    with pytest.raises(ValueError, match="not a listing status; use a RESO StandardStatus"):
        standard_status("maybe")


def test_open_houses_in_local_time_and_shorthand() -> None:
    parsed = values.open_houses("2026-09-12T10:00/12:00; 2026-09-13T13:00Z/2026-09-13T15:00Z", CHICAGO)
    assert parsed == [
        {"start": "2026-09-12T10:00:00-05:00", "end": "2026-09-12T12:00:00-05:00"},
        {"start": "2026-09-13T13:00:00+00:00", "end": "2026-09-13T15:00:00+00:00"},
    ]
    assert values.open_houses([{"start": "2026-09-12T10:00"}], CHICAGO) == [
        {"start": "2026-09-12T10:00:00-05:00"}
    ]
    with pytest.raises(ValueError, match="ends before it starts"):
        values.open_houses("2026-09-12T10:00/09:00", CHICAGO)
    with pytest.raises(ValueError, match="not an ISO date-time"):
        values.open_houses("Saturday 10-12", CHICAGO)

"""Importing listing feeds into the store (SQLite and PostgreSQL): good rows kept, bad rows named by
row and field, status changes drop pending matches, absent columns leave stored values alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.errors import ListingImportError
from hub.listings.importer import import_listings
from hub.store.models import Listing, ListingMatch
from tests.hub.listings.builders import HEADER, add_listing, add_match, feed, feed_row
from tests.hub.workflows.builders import add_lead, add_location


@pytest.fixture
def location(session: Session) -> str:
    add_location(session)
    session.commit()
    return "L1"


def _listing(session: Session, listing_id: str) -> Listing:
    found = session.get(Listing, ("L1", listing_id))
    assert found is not None
    return found


def test_valid_rows_are_imported_and_bad_rows_named_by_row_and_field(session: Session, location: str) -> None:
    data = feed(
        feed_row("A1"),
        feed_row("A2", **{"List Price": "45O000"}),
        feed_row("A3", Beds="3.5", Lat="123"),
        feed_row("A4", Status="sold", **{"Features": ""}),
        feed_row("", **{"MLS #": ""}),
    )
    report = import_listings(session, location, data, name="feed.csv")
    session.commit()
    assert report.rows == 5 and report.created == ["A1", "A4"] and report.imported == 2
    assert [str(e) for e in report.errors] == [
        "row 2 (line 3), listing A2, field ListPrice (column 'List Price'): "
        "'45O000' is not an amount; write dollars like 450000 or $450,000",
        "row 3 (line 4), listing A3, field BedroomsTotal (column 'Beds'): "
        "'3.5' is not a whole number of bedrooms",
        "row 3 (line 4), listing A3, field Latitude (column 'Lat'): "
        "'123' is outside -90..90 degrees of latitude",
        "row 5 (line 6), field ListingKey: is empty; every listing needs its ListingKey or ListingId",
    ]
    a1 = _listing(session, "A1")
    assert (a1.mls_number, a1.status, a1.list_price, a1.bedrooms, a1.bathrooms) == (
        "MLSA1",
        "Active",
        450000.0,
        3,
        2.0,
    )
    assert (a1.living_area_sqft, a1.year_built, a1.postal_code, a1.photos_count) == (1850, 1998, "78704", 12)
    assert a1.features == {"amenities": ["garage", "pool"]} and a1.latitude == 30.25
    a4 = _listing(session, "A4")
    assert a4.status == "Closed" and a4.features == {"amenities": []}
    assert session.get(Listing, ("L1", "A2")) is None


def test_missing_required_columns_import_nothing_and_say_which(session: Session, location: str) -> None:
    data = b"ListingKey,Prce,Bedz\nA1,450000,3\n"
    with pytest.raises(ListingImportError) as caught:
        import_listings(session, location, data, name="feed.csv")
    message = str(caught.value)
    assert message.startswith(
        "feed.csv: missing required column(s): StandardStatus (accepted: StandardStatus"
    )
    assert "ListPrice (accepted: ListPrice, list_price, price" in message
    assert "columns not recognised: Prce, Bedz" in message
    assert session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0


def test_unknown_columns_are_reported_not_fatal(session: Session, location: str) -> None:
    report = import_listings(
        session, location, b"listing_id,status,price,Agent Notes\nX9,active,300k,call me\n"
    )
    assert report.imported == 1 and report.unknown_columns == ["Agent Notes"]
    # ListingId alone doubles as the key.
    assert _listing(session, "X9").mls_number == "X9" and _listing(session, "X9").list_price == 300000.0


def test_json_feeds_in_reso_web_api_shape(session: Session, location: str) -> None:
    document = {
        "@odata.context": "…",
        "value": [
            {
                "ListingKey": "J1",
                "StandardStatus": "Active",
                "ListPrice": 510000,
                "BedroomsTotal": 4,
                "PostalCode": 2134,
                "Features": ["garage", "EV charger"],
                "OpenHouse": [{"start": "2026-09-12T10:00", "end": "2026-09-12T12:00"}],
            },
            {"ListingKey": "J2", "StandardStatus": "Active", "ListPrice": "n/a"},
            "not an object",
        ],
    }
    report = import_listings(session, location, json.dumps(document).encode(), name="feed.json")
    assert report.created == ["J1"]
    assert [str(e) for e in report.errors] == [
        "row 2, listing J2, field ListPrice: 'n/a' is not an amount; write dollars like 450000 or $450,000",
        "row 3: is str, not a listing object",
    ]
    j1 = _listing(session, "J1")
    assert j1.postal_code == "02134" and j1.features == {"amenities": ["garage", "EV charger"]}
    assert j1.open_houses == [{"start": "2026-09-12T10:00:00-05:00", "end": "2026-09-12T12:00:00-05:00"}]


def test_leaving_active_drops_pending_matches_and_partial_feeds_keep_other_fields(
    session: Session, location: str
) -> None:
    add_lead(session)
    import_listings(session, location, feed(feed_row("A1"), feed_row("A2")))
    add_match(session, "C1", "A1", 1)
    add_match(session, "C1", "A2", 2)
    session.commit()
    report = import_listings(
        session, location, b"ListingKey,StandardStatus,ListPrice\nA1,Pending,440000\nA2,Active,450000\n"
    )
    session.commit()
    assert report.updated == ["A1", "A2"] and report.left_active == ["A1"] and report.matches_removed == 1
    assert session.scalars(sa.select(ListingMatch.listing_id)).all() == ["A2"]
    a1 = _listing(session, "A1")
    # Columns the second file did not have are untouched.
    assert (a1.status, a1.list_price, a1.bedrooms, a1.photos_count) == ("Pending", 440000.0, 3, 12)
    back = import_listings(session, location, b"ListingKey,StandardStatus,ListPrice\nA1,active,440000\n")
    assert back.became_active == ["A1"]


def test_a_listing_twice_in_one_file_is_an_error_on_the_second_row(session: Session, location: str) -> None:
    report = import_listings(session, location, feed(feed_row("D1"), feed_row("D1", Beds="4")))
    assert report.created == ["D1"] and _listing(session, "D1").bedrooms == 3
    assert [str(e) for e in report.errors] == [
        "row 2 (line 3), listing D1, field ListingKey: listing 'D1' already appeared on row 1; "
        "list each listing once per file"
    ]


def test_placeholder_listings_from_interactions_are_completed_by_the_feed(
    session: Session, location: str
) -> None:
    add_listing(session, "P1", status="Unknown", list_price=None, bedrooms=None)
    report = import_listings(session, location, feed(feed_row("P1")))
    assert report.updated == ["P1"] and report.became_active == ["P1"]
    assert _listing(session, "P1").bedrooms == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the listings file is empty"),
        (b"\xff\xfeA,B", "is not UTF-8"),
        (b'{"rows": []}', "must hold the listings as a list under 'value' or 'listings' (found keys: rows)"),
        (b"[1,", "line 1 column 4: not valid JSON"),
        (HEADER.replace("Beds", "Status").encode() + b"\n", "names 'Status' more than once"),
    ],
)
def test_unreadable_files(session: Session, location: str, data: bytes, message: str) -> None:
    with pytest.raises(ListingImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_listings(session, location, data)


def test_an_unknown_location_is_refused(session: Session) -> None:
    with pytest.raises(ListingImportError, match="no location 'nope'; register it first"):
        import_listings(session, "nope", feed(feed_row("A1")))


def test_extra_cells_in_a_row_are_reported(session: Session, location: str) -> None:
    report = import_listings(session, location, b"ListingKey,Status,Price\nA1,Active,450,000\nA2,Active,1\n")
    assert report.created == ["A2"]
    assert str(report.errors[0]) == (
        "row 1 (line 2): has 4 cells but the header names 3 columns (an unquoted separator inside a value?)"
    )


def test_the_example_in_the_docs_imports_cleanly(session: Session, location: str) -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "listings.md").read_text()
    example = docs.split("```csv\n", 1)[1].split("```", 1)[0]
    report = import_listings(session, location, example.encode(), name="docs example")
    assert report.errors == [] and report.unknown_columns == [] and len(report.created) == 3
    first = _listing(session, "TX100231")
    assert (first.mls_number, first.list_price, first.open_houses[0]["end"]) == (
        "MLS-88121",
        450000.0,
        "2026-09-12T12:00:00-05:00",
    )
    assert _listing(session, "TX100233").status == "Closed"

"""The fields a listings feed may carry, their accepted column names, and the header mapping.

Headers are compared after lower-casing and dropping everything but letters and digits, so
`ListPrice`, `list_price`, `List Price` and `LIST-PRICE` are one column. RESO Data Dictionary names
come first in each alias list; when a file has two columns for one field (PropertySubType and
PropertyType), the earlier alias wins for a row unless its cell is empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from hub.listings import values
from hub.listings.status import standard_status

Parser = Callable[[Any, ZoneInfo], Any]
# A stored listing keeps its feature list under this key of `listings.features` (a JSON object,
# so that more structured feature data can sit next to it later).
FEATURES_KEY = "amenities"
ACRE_SQFT = 43_560.0


def _plain(parse: Callable[[Any], Any]) -> Parser:
    return lambda value, _zone: parse(value)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One listing field: its store attribute, the RESO name shown in messages, accepted headers."""

    name: str
    label: str
    aliases: tuple[str, ...]
    parse: Parser
    # The column is required in every file (a row may still leave a non-required cell empty).
    required: bool = False
    # Values of all columns mapped here are merged (features from several feature columns).
    merge: bool = False
    # Converts a given alias's value into the field's unit (LotSizeAcres → square feet).
    scale: dict[str, float] = field(default_factory=dict)


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9#]", "", header.lower()).replace("#", "number")


SPECS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "id",
        "ListingKey",
        ("ListingKey", "listing_key", "key", "id", "property_id"),
        _plain(lambda v: values.text(v, max_length=64)),
    ),
    FieldSpec(
        "mls_number",
        "ListingId",
        ("ListingId", "listing_id", "mls_number", "mls", "mls_id", "mls#", "MLSNumber"),
        _plain(lambda v: values.text(v, max_length=64)),
    ),
    FieldSpec(
        "status",
        "StandardStatus",
        ("StandardStatus", "status", "MlsStatus", "listing_status"),
        _plain(lambda v: standard_status(str(v))),
        required=True,
    ),
    FieldSpec(
        "list_price",
        "ListPrice",
        ("ListPrice", "list_price", "price", "asking_price"),
        _plain(values.money),
        required=True,
    ),
    FieldSpec(
        "bedrooms",
        "BedroomsTotal",
        ("BedroomsTotal", "beds", "bedrooms", "bedrooms_total", "br"),
        _plain(lambda v: values.whole(v, low=0, high=50, what="bedrooms")),
    ),
    FieldSpec(
        "bathrooms",
        "BathroomsTotalDecimal",
        (
            "BathroomsTotalDecimal",
            "BathroomsTotalInteger",
            "BathroomsTotal",
            "baths",
            "bathrooms",
            "bathrooms_total",
            "ba",
        ),
        _plain(lambda v: values.decimal(v, low=0, high=50, what="bathrooms")),
    ),
    FieldSpec(
        "living_area_sqft",
        "LivingArea",
        ("LivingArea", "sqft", "living_area", "living_area_sqft", "square_feet", "BuildingAreaTotal"),
        _plain(lambda v: round(values.decimal(v, low=0, high=1_000_000, what="sq ft"))),
    ),
    FieldSpec(
        "lot_size_sqft",
        "LotSizeSquareFeet",
        ("LotSizeSquareFeet", "lot_size_sqft", "lot_sqft", "lot", "lot_size", "LotSizeAcres", "lot_acres"),
        _plain(lambda v: values.decimal(v, low=0, high=1e9, what="sq ft of lot")),
        scale={"lotsizeacres": ACRE_SQFT, "lotacres": ACRE_SQFT},
    ),
    FieldSpec(
        "year_built",
        "YearBuilt",
        ("YearBuilt", "year_built", "built"),
        _plain(lambda v: values.whole(v, low=1600, high=2100, what="(a year)")),
    ),
    FieldSpec(
        "property_type",
        "PropertySubType",
        ("PropertySubType", "PropertyType", "property_type", "property_sub_type", "type", "home_type"),
        _plain(lambda v: values.text(v, max_length=64)),
    ),
    FieldSpec(
        "address",
        "UnparsedAddress",
        ("UnparsedAddress", "address", "street_address", "full_address"),
        _plain(lambda v: values.text(v, max_length=300)),
    ),
    FieldSpec("city", "City", ("City", "town"), _plain(lambda v: values.text(v, max_length=100))),
    FieldSpec(
        "postal_code",
        "PostalCode",
        ("PostalCode", "postal_code", "zip", "zipcode", "zip_code", "postcode"),
        _plain(values.postal_code),
    ),
    FieldSpec(
        "latitude",
        "Latitude",
        ("Latitude", "lat"),
        _plain(lambda v: values.decimal(v, low=-90, high=90, what="degrees of latitude")),
    ),
    FieldSpec(
        "longitude",
        "Longitude",
        ("Longitude", "lon", "lng", "long"),
        _plain(lambda v: values.decimal(v, low=-180, high=180, what="degrees of longitude")),
    ),
    FieldSpec(
        "days_on_market",
        "DaysOnMarket",
        ("DaysOnMarket", "CumulativeDaysOnMarket", "days_on_market", "dom", "cdom"),
        _plain(lambda v: values.whole(v, low=0, high=100_000, what="days")),
    ),
    FieldSpec(
        "features",
        "Features",
        (
            "Features",
            "amenities",
            "InteriorFeatures",
            "ExteriorFeatures",
            "CommunityFeatures",
            "AssociationAmenities",
            "property_features",
        ),
        _plain(values.word_list),
        merge=True,
    ),
    FieldSpec(
        "photos_count",
        "PhotosCount",
        ("PhotosCount", "photos", "photo_count", "photos_count", "number_of_photos"),
        _plain(lambda v: values.whole(v, low=0, high=10_000, what="photos")),
    ),
    FieldSpec(
        "open_houses",
        "OpenHouse",
        ("OpenHouse", "open_houses", "open_house", "open_house_times"),
        values.open_houses,
    ),
)
BY_NAME = {spec.name: spec for spec in SPECS}
_BY_HEADER = {normalise_header(alias): spec for spec in SPECS for alias in (spec.label, *spec.aliases)}
_PRECEDENCE = {spec.name: [normalise_header(a) for a in (spec.label, *spec.aliases)] for spec in SPECS}
# Identity: ListingKey, else ListingId (the MLS number) doubles as the key.
IDENTITY_FIELDS = ("id", "mls_number")


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which file column feeds which field, in precedence order, and what was not understood."""

    columns: dict[str, list[str]]  # field name -> source columns, best first
    unknown: list[str]

    def column_for(self, field_name: str) -> str | None:
        found = self.columns.get(field_name)
        return found[0] if found else None

    def has(self, field_name: str) -> bool:
        return field_name in self.columns


def map_columns(headers: Iterable[str]) -> ColumnMap:
    """Map a file's headers onto fields; unknown headers are listed, never silently used."""
    found: dict[str, list[tuple[int, str]]] = {}
    unknown: list[str] = []
    for header in headers:
        key = normalise_header(header)
        spec = _BY_HEADER.get(key)
        if spec is None:
            if header.strip():
                unknown.append(header)
            continue
        found.setdefault(spec.name, []).append((_PRECEDENCE[spec.name].index(key), header))
    columns = {name: [header for _, header in sorted(ranked)] for name, ranked in found.items()}
    return ColumnMap(columns, unknown)


def missing_required(mapping: ColumnMap) -> list[str]:
    """Human descriptions of the required fields no column provides."""
    missing: list[str] = []
    if not any(mapping.has(name) for name in IDENTITY_FIELDS):
        missing.append(
            "a listing id (ListingKey or ListingId / MLS number; e.g. "
            + ", ".join(BY_NAME["id"].aliases[:2] + BY_NAME["mls_number"].aliases[:3])
            + ")"
        )
    for spec in SPECS:
        if spec.required and not mapping.has(spec.name):
            missing.append(f"{spec.label} (accepted: {', '.join(_accepted(spec))})")
    return missing


def _accepted(spec: FieldSpec) -> Sequence[str]:
    return list(dict.fromkeys((spec.label, *spec.aliases)))


def amenities(features: dict[str, Any] | None) -> list[str]:
    """A stored listing's feature list."""
    items = (features or {}).get(FEATURES_KEY) or []
    return [str(item) for item in items] if isinstance(items, list) else []

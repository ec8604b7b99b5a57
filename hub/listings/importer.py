"""Import a location's listings from a CSV or JSON feed: every valid row is stored, every bad row is
reported with its row number and field, and a listing that leaves Active drops out of pending matches.

    report = import_listings(session, "loc1", Path("feed.csv").read_bytes(), name="feed.csv")
    report.imported, [str(e) for e in report.errors]   # the caller commits

A file that cannot be imported at all (unreadable, or missing a required column) raises
ListingImportError naming the missing columns and the ones that were not recognised. Columns not
in the file leave the stored values alone, so a feed of only ListingKey, StandardStatus and ListPrice
updates statuses and prices without erasing beds or photos.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.errors import ListingImportError
from hub.listings.fields import (
    BY_NAME,
    FEATURES_KEY,
    SPECS,
    ColumnMap,
    FieldSpec,
    map_columns,
    missing_required,
    normalise_header,
)
from hub.listings.source import SourceFormat, SourceRow, detect_format, read_source
from hub.listings.status import ACTIVE
from hub.store.models import Listing, ListingMatch, Location

CHUNK = 500
# Columns that are NOT NULL in the store: an empty cell means "none".
_EMPTY = {"features": [], "photos_count": 0, "open_houses": []}


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that was not imported, and why: which row, which field (and the file's column)."""

    row: int
    line: int | None
    field: str | None  # RESO name of the field, e.g. "ListPrice"; None when the whole row is bad
    column: str | None  # the column header as written in the file
    message: str
    listing_id: str | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" (line {self.line})" if self.line is not None else "")
        if self.listing_id:
            where += f", listing {self.listing_id}"
        if self.field is not None:
            named = (
                self.field if self.column in (None, self.field) else f"{self.field} (column {self.column!r})"
            )
            return f"{where}, field {named}: {self.message}"
        return f"{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "line": self.line,
            "field": self.field,
            "column": self.column,
            "listing_id": self.listing_id,
            "message": self.message,
            "error": str(self),
        }


@dataclass(slots=True)
class ImportReport:
    location_id: str
    format: SourceFormat
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # RESO field -> file column used
    became_active: list[str] = field(default_factory=list)
    left_active: list[str] = field(default_factory=list)
    matches_removed: int = 0

    @property
    def imported(self) -> int:
        return len(self.created) + len(self.updated)

    def to_json(self) -> dict[str, Any]:
        return {
            "location_id": self.location_id,
            "format": self.format,
            "rows": self.rows,
            "imported": self.imported,
            "created": len(self.created),
            "updated": len(self.updated),
            "rejected": len(self.errors),
            "errors": [error.to_json() for error in self.errors],
            "unknown_columns": self.unknown_columns,
            "columns": self.columns,
            "became_active": self.became_active,
            "left_active": self.left_active,
            "matches_removed": self.matches_removed,
        }


def import_listings(
    session: Session,
    location_id: str,
    data: bytes,
    *,
    fmt: SourceFormat | None = None,
    name: str | None = None,
) -> ImportReport:
    """Validate and upsert a feed into the location's listings (module docstring); flushes only."""
    location = session.get(Location, location_id)
    if location is None:
        raise ListingImportError(f"no location {location_id!r}; register it first with `hub locations add`")
    label = name or "the listings file"
    source = read_source(data, fmt or detect_format(name, data), name=label)
    mapping = map_columns(source.headers)
    missing = missing_required(mapping)
    if missing and source.rows:
        unknown = f"; columns not recognised: {', '.join(mapping.unknown)}" if mapping.unknown else ""
        raise ListingImportError(
            f"{label}: missing required column(s): {'; '.join(missing)}{unknown}. "
            "Nothing was imported; see docs/listings.md for every accepted column name"
        )
    report = ImportReport(
        location_id,
        source.format,
        rows=len(source.rows),
        unknown_columns=list(mapping.unknown),
        columns={BY_NAME[name].label: cols[0] for name, cols in mapping.columns.items()},
    )
    zone = ZoneInfo(location.timezone)
    records: list[tuple[SourceRow, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for row in source.rows:
        record, errors = validate_row(row, mapping, zone)
        if record is not None and record["id"] in seen:
            errors = [
                _error(
                    row,
                    BY_NAME["id"],
                    mapping.column_for("id") or mapping.column_for("mls_number"),
                    f"listing {record['id']!r} already appeared on row {seen[record['id']]}; "
                    "list each listing once per file",
                    record["id"],
                )
            ]
        if errors:
            report.errors.extend(errors)
            continue
        assert record is not None
        seen[record["id"]] = row.number
        records.append((row, record))
    for start in range(0, len(records), CHUNK):
        _upsert(session, location_id, [record for _, record in records[start : start + CHUNK]], report)
    if report.left_active:
        report.matches_removed = drop_matches(session, location_id, report.left_active)
    session.flush()
    return report


def validate_row(
    row: SourceRow, mapping: ColumnMap, zone: ZoneInfo
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """The row as field values (only fields the file has columns for), or its errors."""
    if row.problem is not None:
        return None, [RowError(row.number, row.line, None, None, row.problem)]
    record: dict[str, Any] = {}
    errors: list[RowError] = []
    for spec in SPECS:
        columns = mapping.columns.get(spec.name)
        if not columns:
            continue
        try:
            record[spec.name] = _field_value(row, spec, columns, zone)
        except _CellError as exc:
            errors.append(_error(row, spec, exc.column, str(exc)))
    key = record.get("id") or record.get("mls_number")
    if key is None and not any(e.field in ("ListingKey", "ListingId") for e in errors):
        column = mapping.column_for("id") or mapping.column_for("mls_number")
        errors.append(
            _error(row, BY_NAME["id"], column, "is empty; every listing needs its ListingKey or ListingId")
        )
    for spec in SPECS:
        missing = spec.required and spec.name in mapping.columns and record.get(spec.name) is None
        if missing and not any(e.field == spec.label for e in errors):
            errors.append(
                _error(
                    row,
                    spec,
                    mapping.column_for(spec.name),
                    f"is empty; every listing needs its {spec.label}",
                )
            )
    if errors:
        return None, [_with_id(e, key) for e in errors]
    record["id"] = key
    return record, []


class _CellError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        self.column = column
        super().__init__(message)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _field_value(row: SourceRow, spec: FieldSpec, columns: Sequence[str], zone: ZoneInfo) -> Any:
    parsed: list[Any] = []
    for column in columns:
        raw = row.cells.get(column)
        if _empty(raw):
            continue
        try:
            value = spec.parse(raw, zone)
        except ValueError as exc:
            raise _CellError(column, str(exc)) from None
        factor = spec.scale.get(normalise_header(column))
        if factor is not None:
            value = value * factor
        if spec.name == "lot_size_sqft":
            value = round(value)
        if not spec.merge:
            return value
        parsed.extend(value)
    if spec.merge:
        return list(dict.fromkeys(parsed))
    return None


def _error(
    row: SourceRow, spec: FieldSpec, column: str | None, message: str, listing_id: str | None = None
) -> RowError:
    return RowError(row.number, row.line, spec.label, column, message, listing_id)


def _with_id(error: RowError, listing_id: str | None) -> RowError:
    if listing_id is None or error.listing_id is not None:
        return error
    return RowError(error.row, error.line, error.field, error.column, error.message, listing_id)


def _upsert(session: Session, location_id: str, records: list[dict[str, Any]], report: ImportReport) -> None:
    ids = [record["id"] for record in records]
    existing = {
        listing.id: listing
        for listing in session.scalars(
            sa.select(Listing).where(Listing.location_id == location_id, Listing.id.in_(ids))
        )
    }
    for record in records:
        listing = existing.get(record["id"])
        before = listing.status if listing is not None else None
        if listing is None:
            listing = Listing(
                location_id=location_id, id=record["id"], features={}, open_houses=[], photos_count=0
            )
            session.add(listing)
            report.created.append(record["id"])
        else:
            report.updated.append(record["id"])
        for name, value in record.items():
            if name == "id":
                continue
            if value is None and name in _EMPTY:
                value = _EMPTY[name]
            if name == "features":
                value = {FEATURES_KEY: value}
            setattr(listing, name, value)
        if listing.status == ACTIVE and before != ACTIVE:
            report.became_active.append(record["id"])
        elif before == ACTIVE and listing.status != ACTIVE:
            report.left_active.append(record["id"])


def drop_matches(session: Session, location_id: str, listing_ids: Sequence[str]) -> int:
    """Remove the pending matches of listings that are no longer Active; returns how many."""
    removed = 0
    for start in range(0, len(listing_ids), CHUNK):
        result = session.execute(
            sa.delete(ListingMatch).where(
                ListingMatch.location_id == location_id,
                ListingMatch.listing_id.in_(list(listing_ids[start : start + CHUNK])),
            )
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed

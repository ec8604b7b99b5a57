"""The declarative base and the column types every store table shares.

Three choices here keep SQLite and PostgreSQL behaving the same:

* `UTCDateTime` stores every instant in UTC and always hands back an aware datetime. SQLite has no
  time zone type, so an aware value would otherwise come back naive, and a naive value compared with
  an aware one raises deep inside feature code. Naive input is refused at bind time.
* `JSONType` is `JSON` on SQLite and `JSONB` on PostgreSQL; Python `None` is SQL NULL, not `'null'`.
* `BigIntId` is `BIGINT` on PostgreSQL (the event log outgrows 2^31) but `INTEGER` on SQLite, where
  only an `INTEGER PRIMARY KEY` is an alias of the rowid and autoincrements.

Constraint names follow one convention, so a later migration can drop or alter them by name on both
backends (SQLite batch mode needs names to recreate a table).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, ForeignKey, Integer, MetaData, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Ids GHL hands out (locationId, contactId, ...) are short opaque strings; 64 leaves room.
GHL_ID_LENGTH = 64


def utcnow() -> datetime:
    """The current instant, aware, in UTC: the default of every `*_at` column we stamp ourselves."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC on every backend; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given to a timestamp column; "
                "pass an aware datetime (e.g. datetime.now(UTC))"
            )
        value = value.astimezone(UTC)
        # SQLite stores the text form; dropping the (now always UTC) offset keeps it sortable.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType: TypeEngine[Any] = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
BigIntId: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")

# Reusable column shapes (SQLAlchemy copies the mapped_column for each attribute that uses one).
GhlId = Annotated[str, mapped_column(String(GHL_ID_LENGTH))]
LocationRef = Annotated[
    str, mapped_column(String(GHL_ID_LENGTH), ForeignKey("locations.id", ondelete="CASCADE"))
]
JsonDict = Annotated[dict[str, Any], mapped_column(JSONType)]


class Base(DeclarativeBase):
    """Base of every store model; its metadata is what Alembic compares the migrations against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)

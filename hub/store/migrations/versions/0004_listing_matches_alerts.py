"""Listing matches, listing alerts and their items, contact custom-field definitions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

* `listing_matches`: the latest `match_listings` run's ranking of buyers per active listing.
* `listing_alerts` / `listing_alert_items`: what each listing alert named; unique per lead and
  listing (never the same listing twice) and per enrollment step visit (one alert per send slot).
* `custom_fields`: a location's contact custom-field ids → keys, so explicit buyer preferences
  (budget, beds, areas, type, must-haves) can be read from contacts' `[{id, value}]` fields.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The shared column types of hub/store/models/base.py, spelled out (migrations never import models).
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)
GHL_ID = sa.String(64)


def _location_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["location_id"], ["locations.id"], name=f"fk_{table}_location_id_locations", ondelete="CASCADE"
    )


def _contact_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["location_id", "contact_id"],
        ["contacts.location_id", "contacts.id"],
        name=f"fk_{table}_location_id_contact_id_contacts",
        ondelete="CASCADE",
    )


def _listing_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["location_id", "listing_id"],
        ["listings.location_id", "listings.id"],
        name=f"fk_{table}_location_id_listing_id_listings",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "listing_matches",
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=False),
        sa.Column("listing_id", GHL_ID, nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("matched_at", TIMESTAMP, nullable=False),
        _location_fk("listing_matches"),
        _contact_fk("listing_matches"),
        _listing_fk("listing_matches"),
        sa.PrimaryKeyConstraint("location_id", "contact_id", "listing_id", name="pk_listing_matches"),
    )
    op.create_index(
        "ix_listing_matches_location_id_listing_id_score",
        "listing_matches",
        ["location_id", "listing_id", "score"],
    )

    op.create_table(
        "listing_alerts",
        sa.Column("id", BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=False),
        sa.Column("enrollment_id", BIGINT_ID, nullable=False),
        sa.Column("step_id", sa.String(100), nullable=False),
        sa.Column("attempt_key", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        # Named "status": the naming convention turns it into ck_listing_alerts_status.
        sa.CheckConstraint("status IN ('reserved', 'sent', 'unknown')", name="status"),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name="fk_listing_alerts_enrollment_id_enrollments",
            ondelete="CASCADE",
        ),
        _location_fk("listing_alerts"),
        _contact_fk("listing_alerts"),
        sa.PrimaryKeyConstraint("id", name="pk_listing_alerts"),
        sa.UniqueConstraint(
            "enrollment_id",
            "step_id",
            "attempt_key",
            name="uq_listing_alerts_enrollment_id_step_id_attempt_key",
        ),
    )
    op.create_index(
        "ix_listing_alerts_location_id_contact_id_sent_at",
        "listing_alerts",
        ["location_id", "contact_id", "sent_at"],
    )

    op.create_table(
        "listing_alert_items",
        sa.Column("alert_id", BIGINT_ID, nullable=False),
        sa.Column("listing_id", GHL_ID, nullable=False),
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["listing_alerts.id"],
            name="fk_listing_alert_items_alert_id_listing_alerts",
            ondelete="CASCADE",
        ),
        _location_fk("listing_alert_items"),
        _listing_fk("listing_alert_items"),
        sa.PrimaryKeyConstraint("alert_id", "listing_id", name="pk_listing_alert_items"),
        # Never the same listing twice to a lead.
        sa.UniqueConstraint(
            "location_id",
            "contact_id",
            "listing_id",
            name="uq_listing_alert_items_location_id_contact_id_listing_id",
        ),
    )

    op.create_table(
        "custom_fields",
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("id", GHL_ID, nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("data_type", sa.String(32), nullable=True),
        sa.Column("options", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        _location_fk("custom_fields"),
        sa.PrimaryKeyConstraint("location_id", "id", name="pk_custom_fields"),
    )
    op.create_index("ix_custom_fields_location_id_key", "custom_fields", ["location_id", "key"])


def downgrade() -> None:
    op.drop_index("ix_custom_fields_location_id_key", table_name="custom_fields")
    op.drop_table("custom_fields")
    op.drop_table("listing_alert_items")
    op.drop_index("ix_listing_alerts_location_id_contact_id_sent_at", table_name="listing_alerts")
    op.drop_table("listing_alerts")
    op.drop_index("ix_listing_matches_location_id_listing_id_score", table_name="listing_matches")
    op.drop_table("listing_matches")

"""Listings, scores and the model registry, workflows, enrollments, the send ledger, activity.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

The store is created in two steps by concept; both are written to read like the models
(hub/store/models/), and tests/hub/store/test_migrations.py proves the two agree on SQLite and
PostgreSQL. Migrations never import model code: the models move on, a migration must keep
describing the schema of its own day.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The shared column types of hub/store/models/base.py, spelled out.
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)
GHL_ID = sa.String(64)


def _pk_id() -> sa.Column[int]:
    return sa.Column("id", BIGINT_ID, autoincrement=True, nullable=False)


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


def _in(column: str, values: Sequence[str], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN {tuple(values)!r}", name=name)


def upgrade() -> None:
    op.create_table(
        "listings",
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("id", GHL_ID, nullable=False),
        sa.Column("mls_number", sa.String(64), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("list_price", sa.Numeric(14, 2, asdecimal=False), nullable=True),
        sa.Column("bedrooms", sa.Integer(), nullable=True),
        sa.Column("bathrooms", sa.Double(), nullable=True),
        sa.Column("living_area_sqft", sa.Integer(), nullable=True),
        sa.Column("lot_size_sqft", sa.Integer(), nullable=True),
        sa.Column("year_built", sa.Integer(), nullable=True),
        sa.Column("property_type", sa.String(64), nullable=True),
        sa.Column("address", sa.String(300), nullable=True),
        sa.Column("city", sa.String(100), nullable=True),
        sa.Column("postal_code", sa.String(16), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("days_on_market", sa.Integer(), nullable=True),
        sa.Column("features", JSON, nullable=False),
        sa.Column("photos_count", sa.Integer(), nullable=False),
        sa.Column("open_houses", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        _location_fk("listings"),
        sa.PrimaryKeyConstraint("location_id", "id", name="pk_listings"),
    )
    op.create_index(
        "ix_listings_location_id_status_postal_code", "listings", ["location_id", "status", "postal_code"]
    )
    op.create_index("ix_listings_location_id_updated_at", "listings", ["location_id", "updated_at"])
    op.create_table(
        "listing_interactions",
        _pk_id(),
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=False),
        sa.Column("listing_id", GHL_ID, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        _in(
            "kind",
            ("view", "save", "showing_request", "not_interested", "alert_click"),
            "ck_listing_interactions_kind",
        ),
        _location_fk("listing_interactions"),
        _contact_fk("listing_interactions"),
        sa.ForeignKeyConstraint(
            ["location_id", "listing_id"],
            ["listings.location_id", "listings.id"],
            name="fk_listing_interactions_location_id_listing_id_listings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_listing_interactions"),
    )
    op.create_index(
        "ix_listing_interactions_location_id_contact_id_at",
        "listing_interactions",
        ["location_id", "contact_id", "at"],
    )
    op.create_index(
        "ix_listing_interactions_location_id_listing_id",
        "listing_interactions",
        ["location_id", "listing_id"],
    )

    op.create_table(
        "scores",
        _pk_id(),
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("probability", sa.Double(), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("scored_at", TIMESTAMP, nullable=False),
        _in("kind", ("conversion", "churn"), "ck_scores_kind"),
        sa.CheckConstraint("probability >= 0 AND probability <= 1", name="ck_scores_probability"),
        _location_fk("scores"),
        _contact_fk("scores"),
        sa.PrimaryKeyConstraint("id", name="pk_scores"),
    )
    op.create_index(
        "ix_scores_location_id_contact_id_kind_scored_at",
        "scores",
        ["location_id", "contact_id", "kind", "scored_at"],
    )
    op.create_table(
        "models",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("features", JSON, nullable=False),
        sa.Column("data_window_start", TIMESTAMP, nullable=False),
        sa.Column("data_window_end", TIMESTAMP, nullable=False),
        sa.Column("data_hash", sa.String(128), nullable=False),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("promoted_at", TIMESTAMP, nullable=True),
        _in("kind", ("conversion", "churn"), "ck_models_kind"),
        _in("status", ("champion", "challenger", "retired"), "ck_models_status"),
        sa.PrimaryKeyConstraint("id", name="pk_models"),
        sa.UniqueConstraint("version", name="uq_models_version"),
    )
    op.create_index("ix_models_kind_status", "models", ["kind", "status"])

    op.create_table(
        "workflows",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("source_yaml", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name="pk_workflows"),
    )
    op.create_table(
        "enrollments",
        _pk_id(),
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=False),
        sa.Column("workflow_id", sa.String(100), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("current_step_id", sa.String(100), nullable=True),
        sa.Column("next_run_at", TIMESTAMP, nullable=True),
        sa.Column("variants", JSON, nullable=False),
        sa.Column("context", JSON, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("exit_reason", sa.Text(), nullable=True),
        _in("status", ("active", "waiting", "completed", "exited", "failed"), "ck_enrollments_status"),
        _location_fk("enrollments"),
        _contact_fk("enrollments"),
        sa.ForeignKeyConstraint(
            ["workflow_id", "workflow_version"],
            ["workflows.id", "workflows.version"],
            name="fk_enrollments_workflow_id_workflow_version_workflows",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_enrollments"),
    )
    op.create_index("ix_enrollments_status_next_run_at", "enrollments", ["status", "next_run_at"])
    op.create_index(
        "ix_enrollments_location_id_contact_id_status", "enrollments", ["location_id", "contact_id", "status"]
    )
    op.create_table(
        "send_ledger",
        _pk_id(),
        sa.Column("enrollment_id", BIGINT_ID, nullable=False),
        sa.Column("step_id", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("attempt_key", sa.String(64), nullable=False),
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ghl_message_id", GHL_ID, nullable=True),
        sa.Column("reserved_at", TIMESTAMP, nullable=False),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.Column("request_summary", JSON, nullable=False),
        _in(
            "status",
            ("reserved", "sent", "failed", "suppressed", "deferred", "unknown"),
            "ck_send_ledger_status",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name="fk_send_ledger_enrollment_id_enrollments",
            ondelete="CASCADE",
        ),
        _location_fk("send_ledger"),
        _contact_fk("send_ledger"),
        sa.PrimaryKeyConstraint("id", name="pk_send_ledger"),
        # The at-most-once guarantee (COMPLIANCE.md guard 9).
        sa.UniqueConstraint(
            "enrollment_id",
            "step_id",
            "channel",
            "attempt_key",
            name="uq_send_ledger_enrollment_id_step_id_channel_attempt_key",
        ),
    )
    op.create_index(
        "ix_send_ledger_location_id_contact_id_reserved_at",
        "send_ledger",
        ["location_id", "contact_id", "reserved_at"],
    )
    op.create_index("ix_send_ledger_status_reserved_at", "send_ledger", ["status", "reserved_at"])

    op.create_table(
        "activity",
        _pk_id(),
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _location_fk("activity"),
        sa.PrimaryKeyConstraint("id", name="pk_activity"),
        # SSE resume cursors must never be reused (plain SQLite rowids can be).
        sqlite_autoincrement=True,
    )
    op.create_index("ix_activity_location_id_id", "activity", ["location_id", "id"])


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes.
    for table in (
        "activity",
        "send_ledger",
        "enrollments",
        "workflows",
        "models",
        "scores",
        "listing_interactions",
        "listings",
    ):
        op.drop_table(table)

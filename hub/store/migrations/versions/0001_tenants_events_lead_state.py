"""Tenants, the event log and lead state: locations, users, events, contacts, messages,
appointments, pipelines and opportunities.

Revision ID: 0001
Revises:
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

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
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
        "locations",
        sa.Column("id", GHL_ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("quiet_hours_start", sa.Time(), nullable=False),
        sa.Column("quiet_hours_end", sa.Time(), nullable=False),
        sa.Column("rate_limit_per_10s", sa.Integer(), nullable=False),
        sa.Column("token_ref", sa.String(200), nullable=True),
        sa.Column("api_key_hash", sa.String(200), nullable=True),
        sa.Column("workflow_webhook_secret_hash", sa.String(200), nullable=True),
        sa.Column("postal_address", sa.Text(), nullable=True),
        sa.Column("help_text", sa.Text(), nullable=True),
        sa.Column("compliance", JSON, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_locations"),
        sa.UniqueConstraint("api_key_hash", name="uq_locations_api_key_hash"),
    )
    op.create_table(
        "users",
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("id", GHL_ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        _location_fk("users"),
        sa.PrimaryKeyConstraint("location_id", "id", name="pk_users"),
    )

    # The append-only event log. No foreign key on location_id: an INSTALL precedes its location row.
    op.create_table(
        "events",
        _pk_id(),
        sa.Column("delivery_key", sa.String(128), nullable=False),
        sa.Column("webhook_id", GHL_ID, nullable=True),
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("raw_body", sa.LargeBinary(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("processed_at", TIMESTAMP, nullable=True),
        sa.Column("process_error", sa.Text(), nullable=True),
        _in("source", ("webhook", "workflow_webhook", "internal"), "ck_events_source"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("delivery_key", name="uq_events_delivery_key"),
    )
    op.create_index(
        "ix_events_location_id_contact_id_occurred_at", "events", ["location_id", "contact_id", "occurred_at"]
    )
    op.create_index("ix_events_location_id_received_at", "events", ["location_id", "received_at"])
    op.create_index(
        "ix_events_unprocessed",
        "events",
        ["location_id", "id"],
        sqlite_where=sa.text("processed_at IS NULL"),
        postgresql_where=sa.text("processed_at IS NULL"),
    )

    op.create_table(
        "contacts",
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("id", GHL_ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("custom_fields", JSON, nullable=False),
        sa.Column("assigned_user_id", GHL_ID, nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("state", sa.String(64), nullable=True),
        sa.Column("postal_code", sa.String(16), nullable=True),
        sa.Column("dnd", sa.Boolean(), nullable=False),
        sa.Column("dnd_channels", JSON, nullable=False),
        sa.Column("sms_opted_out", sa.Boolean(), nullable=False),
        sa.Column("sms_opted_out_at", TIMESTAMP, nullable=True),
        sa.Column("sms_opt_out_evidence", JSON, nullable=True),
        sa.Column("consent", JSON, nullable=True),
        sa.Column("date_added", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("last_event_at", TIMESTAMP, nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        _location_fk("contacts"),
        sa.PrimaryKeyConstraint("location_id", "id", name="pk_contacts"),
    )
    op.create_index("ix_contacts_location_id_phone", "contacts", ["location_id", "phone"])
    op.create_index("ix_contacts_location_id_email", "contacts", ["location_id", "email"])

    op.create_table(
        "messages",
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=False),
        sa.Column("conversation_id", GHL_ID, nullable=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("source", sa.String(32), nullable=True),
        sa.Column("user_id", GHL_ID, nullable=True),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        _location_fk("messages"),
        _contact_fk("messages"),
        sa.PrimaryKeyConstraint("location_id", "id", name="pk_messages"),
    )
    op.create_index(
        "ix_messages_location_id_contact_id_occurred_at",
        "messages",
        ["location_id", "contact_id", "occurred_at"],
    )

    op.create_table(
        "appointments",
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=False),
        sa.Column("calendar_id", GHL_ID, nullable=True),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("start_at", TIMESTAMP, nullable=False),
        sa.Column("end_at", TIMESTAMP, nullable=True),
        sa.Column("assigned_user_id", GHL_ID, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        _location_fk("appointments"),
        _contact_fk("appointments"),
        sa.PrimaryKeyConstraint("location_id", "id", name="pk_appointments"),
    )
    op.create_index(
        "ix_appointments_location_id_contact_id_start_at",
        "appointments",
        ["location_id", "contact_id", "start_at"],
    )

    op.create_table(
        "pipelines",
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("id", GHL_ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _location_fk("pipelines"),
        sa.PrimaryKeyConstraint("location_id", "id", name="pk_pipelines"),
    )
    op.create_table(
        "pipeline_stages",
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("id", GHL_ID, nullable=False),
        sa.Column("pipeline_id", GHL_ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _location_fk("pipeline_stages"),
        sa.ForeignKeyConstraint(
            ["location_id", "pipeline_id"],
            ["pipelines.location_id", "pipelines.id"],
            name="fk_pipeline_stages_location_id_pipeline_id_pipelines",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("location_id", "id", name="pk_pipeline_stages"),
    )
    # No foreign key to pipelines: a webhook can name a pipeline created after our last sync.
    op.create_table(
        "opportunities",
        sa.Column("location_id", GHL_ID, nullable=False),
        sa.Column("id", GHL_ID, nullable=False),
        sa.Column("contact_id", GHL_ID, nullable=False),
        sa.Column("name", sa.String(300), nullable=True),
        sa.Column("pipeline_id", GHL_ID, nullable=True),
        sa.Column("stage_id", GHL_ID, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("monetary_value", sa.Numeric(14, 2, asdecimal=False), nullable=True),
        sa.Column("assigned_to", GHL_ID, nullable=True),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("date_added", TIMESTAMP, nullable=True),
        sa.Column("stage_changed_at", TIMESTAMP, nullable=True),
        sa.Column("status_changed_at", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        _location_fk("opportunities"),
        _contact_fk("opportunities"),
        sa.PrimaryKeyConstraint("location_id", "id", name="pk_opportunities"),
    )
    op.create_index("ix_opportunities_location_id_contact_id", "opportunities", ["location_id", "contact_id"])
    op.create_index(
        "ix_opportunities_location_id_pipeline_id_stage_id",
        "opportunities",
        ["location_id", "pipeline_id", "stage_id"],
    )


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes.
    for table in (
        "opportunities",
        "pipeline_stages",
        "pipelines",
        "appointments",
        "messages",
        "contacts",
        "events",
        "users",
        "locations",
    ):
        op.drop_table(table)

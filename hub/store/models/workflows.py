"""Versioned workflow definitions and the enrollments of contacts in them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKeyConstraint, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, BigIntId, GhlId, JSONType, LocationRef, utcnow

ENROLLMENT_STATUSES = ("active", "waiting", "on_hold", "completed", "exited", "failed")
# An enrollment in one of these holds the contact in its workflow: at most one per contact and workflow.
LIVE_ENROLLMENT_STATUSES = ("active", "waiting", "on_hold")


class Workflow(Base):
    """One version of a YAML workflow. A version is immutable once stored: enrollments pin it, so an
    edit is a new version and running enrollments finish on the one they started with."""

    __tablename__ = "workflows"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer(), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the validated, parsed definition
    source_yaml: Mapped[str] = mapped_column(Text())  # exactly what the author wrote
    checksum: Mapped[str] = mapped_column(String(64))  # sha256 of source_yaml
    active: Mapped[bool] = mapped_column(Boolean(), default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Enrollment(Base):
    """A contact running through one pinned workflow version."""

    __tablename__ = "enrollments"
    __table_args__ = (
        CheckConstraint(f"status IN {ENROLLMENT_STATUSES!r}", name="status"),
        ForeignKeyConstraint(
            ["location_id", "contact_id"], ["contacts.location_id", "contacts.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["workflow_id", "workflow_version"], ["workflows.id", "workflows.version"]),
        # The dispatcher's question, "what is due now?", is a range scan on this.
        Index(None, "status", "next_run_at"),
        Index(None, "location_id", "contact_id", "status"),
        # Two trigger evaluations racing on duplicate deliveries must not enroll a contact twice.
        Index(
            "uq_enrollments_live",
            "location_id",
            "contact_id",
            "workflow_id",
            unique=True,
            sqlite_where=text(f"status IN {LIVE_ENROLLMENT_STATUSES!r}"),
            postgresql_where=text(f"status IN {LIVE_ENROLLMENT_STATUSES!r}"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    location_id: Mapped[LocationRef]
    contact_id: Mapped[GhlId]
    workflow_id: Mapped[str] = mapped_column(String(100))
    workflow_version: Mapped[int] = mapped_column(Integer())
    status: Mapped[str] = mapped_column(String(16), default="active")
    current_step_id: Mapped[str | None] = mapped_column(String(100))
    next_run_at: Mapped[datetime | None]
    variants: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)  # experiment -> arm
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # step outputs
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    exit_reason: Mapped[str | None] = mapped_column(Text())
    # The dispatcher's row claim: a worker's token and when its lease runs out. Another worker may
    # take the row over only after the lease expired (the first one died or hung).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires_at: Mapped[datetime | None]

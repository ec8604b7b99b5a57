"""Enrollment claims for the dispatcher, the `on_hold` status, one live enrollment per workflow.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

* `claimed_by` / `claim_expires_at`: a dispatcher worker's claim token and lease on an enrollment,
  so two workers never run the same enrollment at once and a dead worker's rows are taken over once
  its lease ran out.
* `on_hold`: human takeover (COMPLIANCE.md guard 7) parks an enrollment until an agent resumes it.
* `uq_enrollments_live`: at most one active / waiting / on_hold enrollment per contact and workflow,
  even when duplicate deliveries are evaluated by two processors at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("active", "waiting", "completed", "exited", "failed")
NEW_STATUSES = ("active", "waiting", "on_hold", "completed", "exited", "failed")
LIVE_STATUSES = ("active", "waiting", "on_hold")


def _status_check(statuses: Sequence[str]) -> str:
    return f"status IN {tuple(statuses)!r}"


def upgrade() -> None:
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True))
        # 0002 passed the full name through the naming convention, so the database holds
        # "ck_enrollments_ck_enrollments_status"; the plain name is converted the same way here.
        batch.drop_constraint("ck_enrollments_status", type_="check")
        # "status" goes through the convention too and comes out as the model's "ck_enrollments_status".
        batch.create_check_constraint("status", _status_check(NEW_STATUSES))
    live = sa.text(_status_check(LIVE_STATUSES))
    op.create_index(
        "uq_enrollments_live",
        "enrollments",
        ["location_id", "contact_id", "workflow_id"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )


def downgrade() -> None:
    op.drop_index("uq_enrollments_live", table_name="enrollments")
    # The old schema has no on-hold state; resuming the enrollment would talk over the human who
    # took the conversation over (guard 7), so it exits, with the reason kept.
    op.execute(
        "UPDATE enrollments SET status = 'exited', "
        "exit_reason = 'on hold (human takeover) when the store was downgraded' WHERE status = 'on_hold'"
    )
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_constraint("status", type_="check")
        # Restores 0002's (convention-doubled) name exactly.
        batch.create_check_constraint("ck_enrollments_status", _status_check(OLD_STATUSES))
        batch.drop_column("claim_expires_at")
        batch.drop_column("claimed_by")

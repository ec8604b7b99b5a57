"""Sales pipelines, their stages, and the opportunities moving through them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, GhlId, LocationRef, utcnow

# Money without binary-float rounding in PostgreSQL; read back as float (SQLite has no decimal type).
Money = Numeric(14, 2, asdecimal=False)


class Pipeline(Base):
    """A GHL pipeline, cached from GET /opportunities/pipelines (ghl-api.md §3.4)."""

    __tablename__ = "pipelines"

    location_id: Mapped[LocationRef] = mapped_column(primary_key=True)
    id: Mapped[GhlId] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class PipelineStage(Base):
    """A stage of a pipeline: opportunity webhooks carry only the stage UUID, this gives it a name."""

    __tablename__ = "pipeline_stages"
    __table_args__ = (
        ForeignKeyConstraint(
            ["location_id", "pipeline_id"], ["pipelines.location_id", "pipelines.id"], ondelete="CASCADE"
        ),
    )

    location_id: Mapped[LocationRef] = mapped_column(primary_key=True)
    id: Mapped[GhlId] = mapped_column(primary_key=True)
    pipeline_id: Mapped[GhlId]
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer())


class Opportunity(Base):
    """A deal for a contact. `pipeline_id` / `stage_id` have no foreign key on purpose: an opportunity
    webhook can name a pipeline or stage created after our last pipeline sync (ghl-api.md §1.4)."""

    __tablename__ = "opportunities"
    __table_args__ = (
        ForeignKeyConstraint(
            ["location_id", "contact_id"], ["contacts.location_id", "contacts.id"], ondelete="CASCADE"
        ),
        Index(None, "location_id", "contact_id"),
        Index(None, "location_id", "pipeline_id", "stage_id"),
    )

    location_id: Mapped[LocationRef] = mapped_column(primary_key=True)
    id: Mapped[GhlId] = mapped_column(primary_key=True)
    contact_id: Mapped[GhlId]
    name: Mapped[str | None] = mapped_column(String(300))
    pipeline_id: Mapped[str | None] = mapped_column(String(64))
    stage_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | won | lost | abandoned
    monetary_value: Mapped[float | None] = mapped_column(Money)
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(200))
    date_added: Mapped[datetime | None]
    stage_changed_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

"""Lead scores and the registry of the models that produced them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Double, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, BigIntId, GhlId, JSONType, LocationRef, utcnow

MODEL_KINDS = ("conversion", "churn")
MODEL_STATUSES = ("champion", "challenger", "retired")


class Score(Base):
    """One scoring of one contact by one model version; rows are appended, never updated, so the
    history of a lead's score (and why it changed) stays queryable."""

    __tablename__ = "scores"
    __table_args__ = (
        CheckConstraint(f"kind IN {MODEL_KINDS!r}", name="kind"),
        CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
        ForeignKeyConstraint(
            ["location_id", "contact_id"], ["contacts.location_id", "contacts.id"], ondelete="CASCADE"
        ),
        # The latest score per contact and kind is an index-only seek on this.
        Index(None, "location_id", "contact_id", "kind", "scored_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    location_id: Mapped[LocationRef]
    contact_id: Mapped[GhlId]
    kind: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[str] = mapped_column(String(64))
    probability: Mapped[float] = mapped_column(Double())
    tier: Mapped[str] = mapped_column(String(16))
    # Top reasons in plain language with their SHAP contributions: [{"feature", "text", "impact"}].
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegisteredModel(Base):
    """Registry metadata of a trained model; the model itself is an `.ubj` file at `path`.

    Provenance (data window, data hash, code version, metrics) is required so a score can always be
    traced to the data and code that produced it (STYLE.md point 8).
    """

    __tablename__ = "models"
    __table_args__ = (
        CheckConstraint(f"kind IN {MODEL_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {MODEL_STATUSES!r}", name="status"),
        Index(None, "kind", "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(Text())
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    features: Mapped[list[str]] = mapped_column(JSONType)
    data_window_start: Mapped[datetime]
    data_window_end: Mapped[datetime]
    data_hash: Mapped[str] = mapped_column(String(128))
    code_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="challenger")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None]

"""The processor's workflow hook: lead-state changes → reactions (exit, goal, resume) and enrollments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hub.leads import Change
from hub.workflows.intake import handle_events


def react_to_changes(session: Session, location_id: str, changes: Sequence[Change]) -> None:
    """Run inside the processing batch's transaction, so state and enrollments commit together."""
    handle_events(session, location_id, changes, now=datetime.now(UTC))

"""Reading lead scores: the newest score of each contact, per model kind."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from hub.store.models.scoring import Score


def latest_scores(
    session: Session, location_id: str, kind: str, contact_ids: Collection[str] | None = None
) -> dict[str, Score]:
    """contact id -> that contact's newest `kind` score in `location_id` (all contacts if
    `contact_ids` is None). Ties on scored_at go to the later row."""
    newest = sa.func.row_number().over(
        partition_by=Score.contact_id, order_by=(Score.scored_at.desc(), Score.id.desc())
    )
    ranked = sa.select(Score.id, newest.label("rank")).where(
        Score.location_id == location_id, Score.kind == kind
    )
    if contact_ids is not None:
        ranked = ranked.where(Score.contact_id.in_(list(contact_ids)))
    ranked_sub = ranked.subquery()
    score = aliased(Score)
    stmt = sa.select(score).join(ranked_sub, score.id == ranked_sub.c.id).where(ranked_sub.c.rank == 1)
    return {row.contact_id: row for row in session.scalars(stmt)}

"""Row claims on due enrollments, safe with any number of dispatcher workers.

A worker claims a batch by writing its token and a lease end into `claimed_by` /
`claim_expires_at`; only rows that are unclaimed, or whose lease ran out (the worker died or hung),
can be claimed. PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, then UPDATE, in one transaction, so
concurrent workers take disjoint batches without waiting on each other. SQLite (one writer at a
time): a single conditional UPDATE ... WHERE id IN (SELECT ... LIMIT n) AND <still unclaimed>; the
statement takes the write lock before reading, so two workers can never claim the same row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.store.models import Enrollment

DUE_STATUSES = ("active", "waiting")


def _due(now: datetime, location_id: str | None) -> sa.ColumnElement[bool]:
    clauses = [
        Enrollment.status.in_(DUE_STATUSES),
        Enrollment.next_run_at.is_not(None),
        Enrollment.next_run_at <= now,
        sa.or_(Enrollment.claimed_by.is_(None), Enrollment.claim_expires_at < now),
    ]
    if location_id is not None:
        clauses.append(Enrollment.location_id == location_id)
    return sa.and_(*clauses)


def claim_due(
    session_factory: Callable[[], Session],
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    location_id: str | None = None,
) -> list[int]:
    """Claim up to `limit` due enrollments for `worker` (oldest due first); returns their ids."""
    expires = now + lease
    with session_factory() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            ids = list(
                session.scalars(
                    sa.select(Enrollment.id)
                    .where(_due(now, location_id))
                    .order_by(Enrollment.next_run_at, Enrollment.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            if ids:
                session.execute(
                    sa.update(Enrollment)
                    .where(Enrollment.id.in_(ids))
                    .values(claimed_by=worker, claim_expires_at=expires)
                    .execution_options(synchronize_session=False)
                )
            return ids
        batch = (
            sa.select(Enrollment.id)
            .where(_due(now, location_id))
            .order_by(Enrollment.next_run_at, Enrollment.id)
            .limit(limit)
            .scalar_subquery()
        )
        session.execute(
            sa.update(Enrollment)
            .where(Enrollment.id.in_(batch), _due(now, location_id))
            .values(claimed_by=worker, claim_expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        return list(
            session.scalars(
                sa.select(Enrollment.id)
                .where(Enrollment.claimed_by == worker, Enrollment.claim_expires_at == expires)
                .order_by(Enrollment.next_run_at, Enrollment.id)
            )
        )


def release(session: Session, enrollment_id: int, worker: str) -> None:
    """Give a claim back (only the worker holding it can)."""
    session.execute(
        sa.update(Enrollment)
        .where(Enrollment.id == enrollment_id, Enrollment.claimed_by == worker)
        .values(claimed_by=None, claim_expires_at=None)
        .execution_options(synchronize_session=False)
    )


def has_due(session: Session, location_id: str, now: datetime) -> bool:
    """Whether the location has an enrollment a dispatcher could claim now (a cheap probe: the
    processing task asks it after each batch to decide whether to queue an immediate dispatch)."""
    found = session.scalar(sa.select(Enrollment.id).where(_due(now, location_id)).limit(1))
    return found is not None

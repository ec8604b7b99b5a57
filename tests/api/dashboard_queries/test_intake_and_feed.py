"""The intake panel (received, unprocessed, processing lag per location) and the live feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.dashboard import backlog_by_location, intake_summary, recent_activity
from hub.store.activity_log import append_activity
from hub.store.models import Event
from tests.api.dashboard_queries.rows import OTHER
from tests.hub.leads import payloads as p
from tests.hub.leads.payloads import at, log_event


def test_intake_summary_and_backlog_age_by_location(db: Session) -> None:
    now = datetime.now(UTC)
    log_event(db, p.contact(contact_id="I1"), at(0), key="k-old")
    log_event(db, p.contact(contact_id="I2"), at(1), key="k-new")
    log_event(db, p.contact(contact_id="I3"), at(1), key="k-done")
    log_event(db, p.contact(contact_id="I4"), at(1), key="k-stale")
    log_event(db, p.contact(contact_id="X"), at(1), key="k-other", location_id=OTHER)
    received = {
        "k-old": now - timedelta(minutes=10),
        "k-new": now - timedelta(minutes=1),
        "k-done": now - timedelta(hours=2),
        "k-stale": now - timedelta(days=2),
        "k-other": now - timedelta(hours=1),
    }
    for key, moment in received.items():
        db.execute(sa.update(Event).where(Event.delivery_key == key).values(received_at=moment))
    db.execute(sa.update(Event).where(Event.delivery_key.in_(["k-done", "k-stale"])).values(processed_at=now))
    db.flush()

    summary = intake_summary(db, p.LOC, now=now)
    assert (summary.received_last_24h, summary.unprocessed) == (3, 2)
    assert summary.processing_lag_seconds == pytest.approx(600, abs=1)
    assert summary.last_received_at == received["k-new"]
    backlogs = {b.location_id: (b.unprocessed, b.lag_seconds(now)) for b in backlog_by_location(db)}
    assert backlogs == {p.LOC: (2, pytest.approx(600, abs=1)), OTHER: (1, pytest.approx(3600, abs=1))}

    db.execute(sa.update(Event).values(processed_at=now))
    assert intake_summary(db, p.LOC, now=now).processing_lag_seconds == 0.0
    assert backlog_by_location(db) == []


def test_recent_activity_is_the_newest_items_oldest_first_of_one_location(db: Session) -> None:
    ids = [append_activity(db, p.LOC, "lead_updated", {"n": n}, contact_id="C1").id for n in range(5)]
    append_activity(db, OTHER, "lead_updated", {"secret": "other location"}, contact_id="C1")
    items = recent_activity(db, p.LOC, limit=3)
    assert [item.id for item in items] == ids[2:]
    assert [item.payload["n"] for item in items] == [2, 3, 4]

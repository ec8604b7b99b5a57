"""What a brokerage's store holds, read back from the store itself (never from a generator's counts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from hub.replay import ReplayReport
from hub.store.models import Event, Location


@dataclass
class LocationSummary:
    location_id: str
    name: str
    events: int
    contacts: int
    first_event: datetime | None
    last_event: datetime | None


@dataclass
class BrokerageSummary:
    events_by_type: Counter[str]
    locations: list[LocationSummary]
    replay_outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def total_events(self) -> int:
        return sum(self.events_by_type.values())


def summarise(engine: Engine, report: ReplayReport | None = None) -> BrokerageSummary:
    with engine.connect() as conn:
        by_type = Counter(
            {t: n for t, n in conn.execute(sa.select(Event.type, sa.func.count()).group_by(Event.type))}
        )
        rows = conn.execute(
            sa.select(
                Location.id,
                Location.name,
                sa.func.count(Event.id),
                sa.func.count(sa.distinct(Event.contact_id)),
                sa.func.min(Event.occurred_at),
                sa.func.max(Event.occurred_at),
            )
            .join(Event, Event.location_id == Location.id, isouter=True)
            .group_by(Location.id, Location.name)
            .order_by(Location.id)
        ).all()
    locations = [LocationSummary(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
    return BrokerageSummary(by_type, locations, report.outcomes if report else Counter())


def render_summary(summary: BrokerageSummary, console: Console) -> None:
    loc_table = Table(title="Locations in the store")
    for column in ("location", "name", "events", "contacts", "first event", "last event"):
        loc_table.add_column(column)
    for loc in summary.locations:
        loc_table.add_row(
            loc.location_id,
            loc.name,
            f"{loc.events:,}",
            f"{loc.contacts:,}",
            f"{loc.first_event:%Y-%m-%d}" if loc.first_event else "-",
            f"{loc.last_event:%Y-%m-%d}" if loc.last_event else "-",
        )
    console.print(loc_table)

    type_table = Table(title=f"Event log: {summary.total_events:,} events by type")
    type_table.add_column("type")
    type_table.add_column("events", justify="right")
    for event_type, count in summary.events_by_type.most_common():
        type_table.add_row(event_type, f"{count:,}")
    console.print(type_table)

    if summary.replay_outcomes:
        outcomes = ", ".join(f"{k}: {v:,}" for k, v in summary.replay_outcomes.most_common())
        console.print(
            f"Webhook answers: {outcomes}  (a duplicate is GHL redelivering; it is acknowledged "
            "and stored once)"
        )

"""Every panel on one simulated brokerage processed end to end: the panels agree with each other."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.dashboard import funnel, lead_rows, lead_stages, speed_to_lead
from hub.events.envelope import marketplace_delivery
from hub.simulator import SimulationConfig, simulate
from hub.store.event_log import append_events
from hub.store.models import Contact
from tests.api.dashboard_queries.rows import process_all
from tests.hub.store.builders import add_location


def test_panels_agree_with_each_other_on_a_processed_brokerage(session: Session) -> None:
    sim = simulate(SimulationConfig(leads=25, days=8, seed=5, locations=1))
    location_id = sim.world.locations[0].id
    add_location(session, location_id)
    deliveries = [
        marketplace_delivery(d.body, received_at=datetime.now(UTC))
        for d in sim.deliveries
        if d.route == "ghl"
    ]
    append_events(session, deliveries)
    process_all(session, location_id)

    contacts = session.scalar(
        sa.select(sa.func.count()).where(Contact.location_id == location_id, Contact.deleted.is_(False))
    )
    stages = funnel(session, location_id).stages
    leads = [s.leads for s in stages]
    assert leads[0] == contacts and contacts > 10
    assert leads == sorted(leads, reverse=True), "a later stage can never hold more leads"
    assert leads[1] > 0 and leads[2] > 0, "the simulated brokerage texts its leads and some reply"
    assert Counter(lead_stages(session, location_id).values())["new"] == leads[0] - leads[1]
    speed = speed_to_lead(session, location_id)
    assert speed.measured + speed.not_contacted + speed.no_creation_time == contacts
    assert sum(b.leads for b in speed.buckets) == speed.measured
    assert lead_rows(session, location_id).total == contacts

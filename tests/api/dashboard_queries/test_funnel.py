"""The funnel panel: each lead at the furthest stage it reached. Its rows are made by the real
processor from GHL payloads."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.dashboard import funnel, lead_stages
from hub.store.models import Opportunity
from tests.api.dashboard_queries.rows import OTHER, process_all
from tests.hub.leads import payloads as p
from tests.hub.leads.payloads import at, log_event
from tests.hub.store.builders import add_contact


def test_funnel_counts_each_lead_at_the_furthest_stage_it_reached(db: Session) -> None:
    for n in range(1, 8):
        log_event(db, p.contact(contact_id=f"C{n}", email=f"c{n}@example.com"), at(0))
    log_event(db, p.message("Saw your listing", inbound=False, contact_id="C2", message_id="m2"), at(5))
    log_event(db, p.message("Hi!", inbound=False, contact_id="C3", message_id="m3o"), at(5))
    log_event(db, p.message("Yes please", contact_id="C3", message_id="m3i"), at(6))
    # C4 wrote first and booked a showing: counted as contacted and replied too.
    log_event(db, p.message("Can I see 12 Oak St?", contact_id="C4", message_id="m4"), at(7))
    log_event(db, p.appointment(contact_id="C4", appointment_id="A4"), at(8))
    log_event(db, p.opportunity(status="won", contact_id="C5", opportunity_id="O5"), at(9))
    log_event(db, p.appointment(status="cancelled", contact_id="C6", appointment_id="A6"), at(9))
    log_event(db, p.contact("ContactDelete", contact_id="C7"), at(10))
    process_all(db)
    # Another location's won deal must not leak into this funnel.
    add_contact(db, OTHER, "X1")
    db.add(Opportunity(location_id=OTHER, id="OX", contact_id="X1", status="won"))
    db.flush()

    stages = lead_stages(db, p.LOC)
    assert stages == {
        "C1": "new",
        "C2": "contacted",
        "C3": "replied",
        "C4": "showing",
        "C5": "won",
        "C6": "new",
    }
    result = {s.stage: (s.leads, s.share_of_new, s.share_of_previous) for s in funnel(db, p.LOC).stages}
    assert result == {
        "new": (6, 1.0, None),
        "contacted": (4, 4 / 6, 4 / 6),
        "replied": (3, 3 / 6, 3 / 4),
        "showing": (2, 2 / 6, 2 / 3),
        "won": (1, 1 / 6, 1 / 2),
    }


def test_an_empty_location_has_an_empty_funnel_without_rates(db: Session) -> None:
    stages = funnel(db, p.LOC).stages
    assert [(s.stage, s.leads, s.share_of_new) for s in stages] == [
        ("new", 0, None),
        ("contacted", 0, None),
        ("replied", 0, None),
        ("showing", 0, None),
        ("won", 0, None),
    ]

"""The speed-to-lead panel: minutes from a lead's creation to its first touch."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hub.dashboard import speed_to_lead
from tests.api.dashboard_queries.rows import OTHER, T0, add_enrollment, add_ledger_row, add_message
from tests.hub.leads import payloads as p
from tests.hub.store.builders import add_contact
from tests.hub.workflows.builders import publish, workflow_yaml


def test_speed_to_lead_measures_creation_to_first_touch(db: Session) -> None:
    minutes = {"S1": 3, "S2": 3.5, "S3": 20, "S4": 120, "S5": 2000}
    for contact_id, wait in minutes.items():
        add_contact(db, p.LOC, contact_id, date_added=T0)
        add_message(db, contact_id, "outbound", T0 + timedelta(minutes=wait))
        # A later touch and an inbound message never move the first touch.
        add_message(db, contact_id, "outbound", T0 + timedelta(minutes=wait + 30))
    add_message(db, "S1", "inbound", T0 + timedelta(minutes=1))
    add_contact(db, p.LOC, "Early", date_added=T0)  # touched before GHL's dateAdded: 0 minutes
    add_message(db, "Early", "outbound", T0 - timedelta(minutes=10))
    add_contact(db, p.LOC, "Waiting", date_added=T0)
    add_contact(db, p.LOC, "NoDate", date_added=None)
    add_message(db, "NoDate", "outbound", T0)
    add_contact(db, OTHER, "S1", date_added=T0)
    add_message(db, "S1", "outbound", T0 + timedelta(days=9), location_id=OTHER)

    speed = speed_to_lead(db, p.LOC)
    assert {b.label: b.leads for b in speed.buckets} == {
        "< 5 min": 3,  # Early (0), S1 (3), S2 (3.5)
        "5-15 min": 0,
        "15-60 min": 1,
        "1-4 h": 1,
        "4-24 h": 0,
        "> 24 h": 1,
    }
    assert (speed.measured, speed.not_contacted, speed.no_creation_time) == (6, 1, 1)
    # Nearest rank over [0, 3, 3.5, 20, 120, 2000].
    assert (speed.median_minutes, speed.p90_minutes) == (3.5, 2000)


def test_a_send_the_ledger_records_is_a_touch_before_its_echo_arrives(db: Session) -> None:
    publish(db, workflow_yaml("- {id: hello, type: send_sms, body: Hi}", workflow_id="wf"))
    add_contact(db, p.LOC, "L1", date_added=T0)
    enrollment = add_enrollment(db, "L1", "wf", started_at=T0)
    add_ledger_row(db, enrollment, "sent", completed_at=T0 + timedelta(minutes=2))
    add_ledger_row(db, enrollment, "suppressed", step_id="later", completed_at=T0 + timedelta(minutes=1))
    speed = speed_to_lead(db, p.LOC)
    assert (speed.measured, speed.median_minutes) == (1, 2.0)

"""The changes the lead state reports carry every field workflow conditions read
(hub.workflows.events.EVENT_FIELDS), so the two cannot drift apart silently."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.leads import ChangeKind
from hub.workflows.events import EVENT_FIELDS, from_change
from tests.hub.leads import payloads as p
from tests.hub.leads.folding import feed
from tests.hub.leads.payloads import at


def test_every_change_kind_a_workflow_reacts_to_carries_its_declared_fields(db: Session) -> None:
    changes = [
        *feed(db, (p.contact(), at(0)), (p.opportunity(), at(1)), (p.appointment(), at(2))).changes,
        *feed(
            db,
            (p.contact("ContactTagUpdate", tags=["hot"]), at(3)),
            ({**p.dnd(sms="active"), "tags": ["hot"]}, at(4)),
            (p.contact("ContactUpdate", assignedTo="UsrAgent02", tags=["hot"]), at(5)),
            (p.message("STOP", message_id="MsgS"), at(6)),
            (p.message("Hi", inbound=False, message_id="MsgO", source="app", userId="UsrAgent01"), at(7)),
            (p.opportunity("OpportunityStageUpdate", stage="stage-showing"), at(8)),
            (p.opportunity("OpportunityStatusUpdate", stage="stage-showing", status="won"), at(9)),
            (p.appointment("AppointmentUpdate", status="noshow"), at(10)),
            (p.website("property_saved"), at(11)),
            (p.email_stats("complained"), at(12)),
        ).changes,
        *feed(db, (p.message("START", message_id="MsgGo"), at(13))).changes,
    ]
    kinds = {change.kind for change in changes}
    assert kinds >= set(ChangeKind) - {
        ChangeKind.CONTACT_DELETED,
        ChangeKind.HELP_REQUESTED,
        ChangeKind.APPOINTMENT_CHANGED,
    }
    for change in changes:
        event = from_change(change)
        if event is None:
            continue
        missing = [name for name in EVENT_FIELDS[event.type] if name not in change.detail]
        assert missing == [], (change.kind, missing)

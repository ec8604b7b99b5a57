"""apply_events on opportunities, appointments, listing interactions, notes and tasks."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.leads import ChangeKind
from hub.store.models import Appointment, Listing, ListingInteraction, Opportunity, Pipeline, PipelineStage
from tests.hub.leads import payloads as p
from tests.hub.leads.folding import feed
from tests.hub.leads.payloads import at


def _opportunity(db: Session) -> Opportunity:
    db.expire_all()
    return db.scalars(sa.select(Opportunity)).one()


def _pipeline(db: Session) -> None:
    db.add(Pipeline(location_id=p.LOC, id="PlBuy1", name="Buyers"))
    db.flush()
    for position, (stage_id, name) in enumerate(
        [("stage-new", "New lead"), ("stage-showing", "Showing"), ("stage-offer", "Offer made")]
    ):
        db.add(
            PipelineStage(location_id=p.LOC, id=stage_id, pipeline_id="PlBuy1", name=name, position=position)
        )
    db.flush()


def test_opportunity_stage_changes_resolve_stage_names(db: Session) -> None:
    _pipeline(db)
    created = feed(db, (p.opportunity(), at(0)))
    [change] = [c for c in created.changes if c.kind is ChangeKind.OPPORTUNITY_CREATED]
    assert (change.detail["stage"], change.detail["pipeline"], change.detail["monetary_value"]) == (
        "New lead",
        "Buyers",
        450000.0,
    )
    moved = feed(db, (p.opportunity("OpportunityStageUpdate", stage="stage-showing"), at(10)))
    [change] = moved.changes
    assert (change.kind, change.detail["previous_stage"], change.detail["stage"]) == (
        ChangeKind.OPPORTUNITY_STAGE_CHANGED,
        "New lead",
        "Showing",
    )
    row = _opportunity(db)
    assert (row.stage_id, row.stage_changed_at, row.status_changed_at) == ("stage-showing", at(10), at(0))


def test_an_unknown_stage_id_still_applies_without_a_name(db: Session) -> None:
    feed(db, (p.opportunity(), at(0)))
    moved = feed(db, (p.opportunity("OpportunityStageUpdate", stage="3f0c8a4e-new-stage"), at(1)))
    assert moved.changes[0].detail["stage"] is None and _opportunity(db).stage_id == "3f0c8a4e-new-stage"


def test_an_older_stage_never_overwrites_the_last_stage_change(db: Session) -> None:
    feed(db, (p.opportunity(), at(0)), (p.opportunity("OpportunityStageUpdate", stage="stage-offer"), at(20)))
    late = feed(db, (p.opportunity("OpportunityStageUpdate", stage="stage-showing"), at(10)))
    row = _opportunity(db)
    assert (row.stage_id, row.stage_changed_at) == ("stage-offer", at(20)) and late.changes == []


def test_value_updates_repeat_the_stage_without_dating_a_stage_change(db: Session) -> None:
    feed(
        db, (p.opportunity(), at(0)), (p.opportunity("OpportunityMonetaryValueUpdate", value="520000"), at(5))
    )
    row = _opportunity(db)
    assert (row.monetary_value, row.stage_changed_at) == (520000.0, at(0))


def test_status_changes_and_deletion_is_final(db: Session) -> None:
    feed(db, (p.opportunity(), at(0)))
    won = feed(db, (p.opportunity("OpportunityStatusUpdate", status="won"), at(30)))
    assert [(c.kind, c.detail["previous_status"], c.detail["status"]) for c in won.changes] == [
        (ChangeKind.OPPORTUNITY_STATUS_CHANGED, "open", "won")
    ]
    assert (_opportunity(db).status, _opportunity(db).status_changed_at) == ("won", at(30))
    feed(
        db, (p.opportunity("OpportunityDelete", status="won"), at(40)), (p.opportunity(status="open"), at(50))
    )
    assert _opportunity(db).status == "deleted"


def test_opportunity_event_without_contact_updates_a_known_opportunity(db: Session) -> None:
    feed(db, (p.opportunity(), at(0)))
    body = {
        k: v
        for k, v in p.opportunity("OpportunityAssignedToUpdate", assignedTo="UsrAgent02").items()
        if k != "contactId"
    }
    result = feed(db, (body, at(1)))
    assert _opportunity(db).assigned_to == "UsrAgent02" and result.unattributed == []
    stranger = {k: v for k, v in p.opportunity(opportunity_id="OpNew").items() if k != "contactId"}
    assert len(feed(db, (stranger, at(2))).unattributed) == 1


def test_appointment_booked_then_no_show(db: Session) -> None:
    booked = feed(db, (p.appointment(), at(0)))
    assert [c.kind for c in booked.changes if c.contact_id == p.CID][-1] is ChangeKind.APPOINTMENT_BOOKED
    no_show = feed(db, (p.appointment("AppointmentUpdate", status="noshow"), at(60)))
    assert [c.kind for c in no_show.changes] == [ChangeKind.APPOINTMENT_NO_SHOW]
    late = feed(db, (p.appointment("AppointmentUpdate", status="confirmed"), at(30)))
    assert db.scalars(sa.select(Appointment.status)).one() == "noshow" and late.changes == []


def test_appointment_update_before_its_create_and_cancellation(db: Session) -> None:
    feed(db, (p.appointment("AppointmentUpdate", status="cancelled"), at(10)))
    feed(db, (p.appointment(status="confirmed"), at(0)))
    row = db.scalars(sa.select(Appointment)).one()
    assert (row.status, row.calendar_id, row.title) == ("cancelled", "CalShow", "Showing 12 Oak St")
    feed(db, (p.appointment("AppointmentDelete"), at(20)), (p.appointment("AppointmentUpdate"), at(30)))
    db.expire_all()
    assert db.scalars(sa.select(Appointment.status)).one() == "deleted"


def test_an_update_of_an_unseen_appointment_without_start_is_unattributed(db: Session) -> None:
    result = feed(db, (p.appointment("AppointmentUpdate", start=None, appointment_id="ApGone"), at(0)))
    assert len(result.unattributed) == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0


def test_listing_interactions_create_a_placeholder_listing_once(db: Session) -> None:
    result = feed(db, (p.website("property_viewed"), at(0)), (p.website("property_saved"), at(1)))
    listing = db.scalars(sa.select(Listing)).one()
    assert (listing.id, listing.status, listing.list_price, listing.bedrooms, listing.city) == (
        "TX00003177",
        "Unknown",
        450000.0,
        3,
        "Austin",
    )
    kinds = [
        (c.detail["kind"], c.detail["price"], c.detail["city"])
        for c in result.changes
        if c.kind is ChangeKind.LISTING_INTERACTION
    ]
    assert kinds == [("view", 450000.0, "Austin"), ("save", 450000.0, "Austin")]
    again = feed(db, (p.website("property_viewed"), at(0)))  # the same view delivered again
    assert again.changes == []
    assert db.scalar(sa.select(sa.func.count()).select_from(ListingInteraction)) == 2


def test_a_listing_from_the_feed_is_not_overwritten(db: Session) -> None:
    db.add(
        Listing(
            location_id=p.LOC, id="TX00003177", status="Active", list_price=460000.0, address="12 Oak Street"
        )
    )
    db.flush()
    feed(db, (p.website("showing_requested", requested_time="Saturday 10am"), at(0)))
    db.expire_all()
    listing = db.scalars(sa.select(Listing)).one()
    assert (listing.status, listing.list_price, listing.address) == ("Active", 460000.0, "12 Oak Street")
    assert db.scalars(sa.select(ListingInteraction.kind)).one() == "showing_request"


def test_notes_and_tasks_touch_the_lead_and_a_task_without_contact_is_unattributed(db: Session) -> None:
    note = {
        "type": "NoteCreate",
        "locationId": p.LOC,
        "id": "NtW1",
        "contactId": p.CID,
        "body": "Pre-approved",
    }
    task = {"type": "TaskCreate", "locationId": p.LOC, "id": "TkZ3", "title": "Call Dana back"}
    result = feed(db, (note, at(3)), (task, at(4)))
    assert result.applied == 1 and len(result.unattributed) == 1
    assert [c.kind for c in result.changes] == [ChangeKind.CONTACT_CREATED]

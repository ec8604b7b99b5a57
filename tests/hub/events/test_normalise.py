"""normalise(): every event type we interpret, in real-traffic shapes and with their quirks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.events.domain import (
    APPOINTMENT_DELETED,
    AppInstallChanged,
    AppointmentChanged,
    ContactDeleted,
    ContactUpserted,
    DndChanged,
    DndStatus,
    DomainEvent,
    EmailEvent,
    EmailEventKind,
    ListingInteracted,
    ListingInteractionKind,
    NoteChanged,
    OpportunityChange,
    OpportunityChanged,
    OpportunityStatus,
    RecordAction,
    TagsReplaced,
    TaskChanged,
    Unknown,
)
from hub.events.normalise import RawEvent, normalise
from tests.hub.leads import payloads as p

T = datetime(2026, 9, 10, 16, 0, tzinfo=UTC)


def run(
    payload: dict[str, Any], event_type: str | None = None, contact_id: str | None = None
) -> list[DomainEvent]:
    kind = event_type or payload.get("type") or f"workflow.{payload['customData']['event']}"
    return normalise(RawEvent(kind, payload, T, p.LOC, contact_id, delivery_key="wh-1"))


def only(events: list[DomainEvent]) -> DomainEvent:
    assert len(events) == 1, events
    return events[0]


DANA = dict(
    contact_id=p.CID,
    first_name="Dana",
    last_name="Ruiz",
    name="Dana Ruiz",
    email="dana@example.com",
    phone="+15125550143",
    source="Zillow lead form",
    city="Pflugerville",
    state="TX",
    postal_code="78660",
    country="US",
    timezone="America/Chicago",
    assigned_user_id="UsrAgent01",
    date_added=datetime(2026, 9, 10, 15, 2, 11, 120000, tzinfo=UTC),
    custom_fields={"cfBudget01": "450000"},
)


def test_contact_create_carries_every_profile_field() -> None:
    assert only(run(p.contact())) == ContactUpserted(
        created=True, dnd=False, tags=("buyer", "zillow"), **DANA
    )


def test_contact_update_is_not_a_create_and_omitted_fields_stay_unknown() -> None:
    # An SMS-created lead has only a phone (ghl-api.md §1.3): nothing else is "cleared".
    payload = {"type": "ContactUpdate", "locationId": p.LOC, "id": "CtSms1", "phone": "+15125550199"}
    assert only(run(payload)) == ContactUpserted(contact_id="CtSms1", phone="+15125550199")


def test_tag_update_carries_the_full_list_as_tags_replaced() -> None:
    events = run(p.contact("ContactTagUpdate", tags=["buyer", "hot"]))
    assert [type(event) for event in events] == [ContactUpserted, TagsReplaced]
    assert events[1] == TagsReplaced(contact_id=p.CID, tags=("buyer", "hot"))
    assert isinstance(events[0], ContactUpserted) and events[0].tags is None


def test_tag_update_with_an_empty_list_means_every_tag_removed() -> None:
    assert run(p.contact("ContactTagUpdate", tags=[]))[1] == TagsReplaced(contact_id=p.CID, tags=())


def test_dnd_update_reads_every_channel_including_rcs() -> None:
    events = run(p.dnd(sms="active", email="permanent", RCS="active", all_channels=False))
    dnd = events[1]
    assert isinstance(dnd, DndChanged) and dnd.dnd is False
    assert dnd.channels == {
        "SMS": DndStatus.ACTIVE,
        "Email": DndStatus.PERMANENT,
        "Call": DndStatus.INACTIVE,
        "WhatsApp": DndStatus.INACTIVE,
        "GMB": DndStatus.INACTIVE,
        "FB": DndStatus.INACTIVE,
        "RCS": DndStatus.ACTIVE,
    }
    assert [s.blocked for s in (DndStatus.ACTIVE, DndStatus.PERMANENT, DndStatus.INACTIVE)] == [
        True,
        True,
        False,
    ]
    # The all-channel switch is the DND event's, not repeated on the snapshot.
    assert isinstance(events[0], ContactUpserted) and events[0].dnd is None


def test_dnd_channel_keys_in_other_casing_and_bare_statuses() -> None:
    payload = {
        "type": "ContactDndUpdate",
        "locationId": p.LOC,
        "id": p.CID,
        "dnd": "true",
        "dndSettings": {"sms": "Active", "email": {"status": "inactive"}},
    }
    assert run(payload)[1] == DndChanged(
        contact_id=p.CID, dnd=True, channels={"SMS": DndStatus.ACTIVE, "Email": DndStatus.INACTIVE}
    )


def test_contact_delete() -> None:
    assert only(run(p.contact("ContactDelete"))) == ContactDeleted(contact_id=p.CID)


def test_contact_id_falls_back_to_the_rows_contact() -> None:
    payload = {"type": "ContactUpdate", "locationId": p.LOC, "email": "a@b.example"}
    assert only(run(payload, contact_id="CtRow")) == ContactUpserted(contact_id="CtRow", email="a@b.example")


def test_guide_style_data_wrapper_is_accepted() -> None:
    payload = {
        "type": "ContactCreate",
        "webhookId": "w",
        "data": {"id": "CtW", "locationId": p.LOC, "tags": "a,b"},
    }
    assert only(run(payload)) == ContactUpserted(contact_id="CtW", created=True, tags=("a", "b"))


def test_numbers_as_strings_and_postal_codes_as_numbers() -> None:
    events = run(p.opportunity(value="450,000"))
    assert isinstance(events[0], OpportunityChanged) and events[0].monetary_value == 450000.0
    contact = only(run(p.contact(postalCode=78660)))
    assert isinstance(contact, ContactUpserted) and contact.postal_code == "78660"


def test_note_and_tasks_including_a_task_without_contact() -> None:
    note = {
        "type": "NoteCreate",
        "locationId": p.LOC,
        "id": "NtW1",
        "contactId": p.CID,
        "body": "Pre-approved",
    }
    assert only(run(note)) == NoteChanged(
        action=RecordAction.CREATED, note_id="NtW1", contact_id=p.CID, body="Pre-approved"
    )
    task = {
        "type": "TaskCreate",
        "locationId": p.LOC,
        "id": "TkZ3",
        "assignedTo": "UsrAgent01",
        "title": "Call Dana back",
        "dueDate": "2026-09-11T14:00:00.000Z",
    }  # ISS-332: no contactId, no body
    assert only(run(task)) == TaskChanged(
        action=RecordAction.CREATED,
        task_id="TkZ3",
        contact_id=None,
        title="Call Dana back",
        assigned_to="UsrAgent01",
        due_at=datetime(2026, 9, 11, 14, tzinfo=UTC),
    )
    for kind, action in (("TaskComplete", RecordAction.COMPLETED), ("TaskDelete", RecordAction.DELETED)):
        event = only(run({**task, "type": kind, "contactId": p.CID}))
        assert isinstance(event, TaskChanged) and (event.action, event.contact_id) == (action, p.CID)


@pytest.mark.parametrize(
    ("event_type", "change"),
    [
        ("OpportunityCreate", OpportunityChange.CREATED),
        ("OpportunityStageUpdate", OpportunityChange.STAGE),
        ("OpportunityStatusUpdate", OpportunityChange.STATUS),
        ("OpportunityMonetaryValueUpdate", OpportunityChange.VALUE),
        ("OpportunityAssignedToUpdate", OpportunityChange.ASSIGNMENT),
        ("OpportunityUpdate", OpportunityChange.UPDATED),
        ("OpportunityDelete", OpportunityChange.DELETED),
    ],
)
def test_every_opportunity_type(event_type: str, change: OpportunityChange) -> None:
    assert only(run(p.opportunity(event_type, stage="3f0c8a4e", status="Won"))) == OpportunityChanged(
        change=change,
        opportunity_id="OpP9",
        contact_id=p.CID,
        name="Dana Ruiz - Buyer",
        pipeline_id="PlBuy1",
        stage_id="3f0c8a4e",
        status=OpportunityStatus.WON,
        monetary_value=450000.0,
        assigned_to="UsrAgent01",
        source="Zillow",
        date_added=datetime(2026, 9, 10, 15, 2, 30, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("event_type", "status", "action", "expected_status"),
    [
        ("AppointmentCreate", "confirmed", RecordAction.CREATED, "confirmed"),
        ("AppointmentUpdate", "no_show", RecordAction.UPDATED, "noshow"),
        ("AppointmentUpdate", "showed", RecordAction.UPDATED, "showed"),
        ("AppointmentUpdate", "Cancelled", RecordAction.UPDATED, "cancelled"),
        ("AppointmentDelete", "confirmed", RecordAction.DELETED, APPOINTMENT_DELETED),
    ],
)
def test_appointments_read_the_nested_object(
    event_type: str, status: str, action: RecordAction, expected_status: str
) -> None:
    assert only(run(p.appointment(event_type, status=status))) == AppointmentChanged(
        action=action,
        appointment_id="ApX1",
        contact_id=p.CID,
        status=expected_status,
        calendar_id="CalShow",
        title="Showing 12 Oak St",
        start_at=datetime(2026, 9, 13, 15, tzinfo=UTC),
        end_at=datetime(2026, 9, 13, 15, 30, tzinfo=UTC),
        assigned_user_id="UsrAgent01",
        address="12 Oak St",
        source="booking_widget",
    )


@pytest.mark.parametrize(
    ("event", "extra", "kind"),
    [
        ("delivered", {}, EmailEventKind.DELIVERED),
        ("opened", {}, EmailEventKind.OPENED),
        ("clicked", {"url": "https://x.example"}, EmailEventKind.CLICKED),
        ("failed", {}, EmailEventKind.BOUNCED),
        ("failed", {"severity": "temporary"}, EmailEventKind.DEFERRED),
        ("complained", {}, EmailEventKind.COMPLAINED),
        ("unsubscribed", {}, EmailEventKind.UNSUBSCRIBED),
        ("accepted", {}, EmailEventKind.OTHER),
    ],
)
def test_lc_email_stats(event: str, extra: dict[str, str], kind: EmailEventKind) -> None:
    result = only(run(p.email_stats(event, "Dana@Example.com", **extra)))
    assert isinstance(result, EmailEvent)
    assert (result.kind, result.recipient, result.email_message_id, result.contact_id) == (
        kind,
        "dana@example.com",
        "MsgMail1",
        None,
    )
    assert result.kind.suppresses is (
        kind in (EmailEventKind.BOUNCED, EmailEventKind.COMPLAINED, EmailEventKind.UNSUBSCRIBED)
    )


def test_app_install_and_uninstall() -> None:
    body = {
        "type": "INSTALL",
        "appId": "App1",
        "versionId": "V1",
        "installType": "Location",
        "locationId": p.LOC,
        "companyId": "Co1",
        "userId": "UsrAgent01",
        "companyName": "Oak Realty",
    }
    assert only(run(body)) == AppInstallChanged(
        installed=True,
        app_id="App1",
        company_id="Co1",
        user_id="UsrAgent01",
        install_type="Location",
        company_name="Oak Realty",
    )
    event = only(run({**body, "type": "UNINSTALL"}))
    assert isinstance(event, AppInstallChanged) and event.installed is False


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("property_viewed", ListingInteractionKind.VIEW),
        ("property_view", ListingInteractionKind.VIEW),
        ("property_saved", ListingInteractionKind.SAVE),
        ("showing_requested", ListingInteractionKind.SHOWING_REQUEST),
        ("not_interested", ListingInteractionKind.NOT_INTERESTED),
        ("alert_click", ListingInteractionKind.ALERT_CLICK),
        ("Listing-Alert-Clicked", ListingInteractionKind.ALERT_CLICK),
    ],
)
def test_website_events_become_listing_interactions_and_contact_fields(
    event: str, kind: ListingInteractionKind
) -> None:
    contact, interaction = run(p.website(event))
    assert contact == ContactUpserted(
        contact_id=p.CID,
        partial=True,
        first_name="Dana",
        last_name="Ruiz",
        name="Dana Ruiz",
        email="dana@example.com",
        phone="+15125550143",
        tags=("buyer", "website"),
    )
    assert interaction == ListingInteracted(
        contact_id=p.CID,
        listing_id="TX00003177",
        kind=kind,
        url="https://realty.example/listing/TX00003177",
        address="12 Oak St",
        city="Austin",
        postal_code="78701",
        price=450000.0,
        beds=3,
        baths=2.5,
        property_type="Single Family Residence",
    )


def test_other_workflow_events_only_carry_contact_fields() -> None:
    assert [type(e) for e in run(p.website("new_lead", listing_id=None))] == [ContactUpserted]


def test_workflow_webhook_about_no_contact_is_kept_as_unknown() -> None:
    event = only(run(p.website("new_lead", listing_id=None, contact_id=None)))
    assert isinstance(event, Unknown) and event.type == "workflow.new_lead"


@pytest.mark.parametrize("event_type", ["InvoicePaid", "ConversationUnreadUpdate", "SomethingNew2027"])
def test_unknown_types_are_kept_raw_never_an_error(event_type: str) -> None:
    payload = {"type": event_type, "locationId": p.LOC, "amount": "x", "nested": {"a": [1]}}
    assert only(run(payload, contact_id="CtU")) == Unknown(type=event_type, payload=payload, contact_id="CtU")


def test_simulator_traffic_normalises_without_errors_or_unknowns() -> None:
    """Every delivery of a small simulated brokerage (all event types, both payload generations)."""
    from hub.events.envelope import marketplace_delivery, workflow_delivery
    from hub.simulator.config import SimulationConfig
    from hub.simulator.simulation import simulate

    simulation = simulate(SimulationConfig(leads=25, days=10, seed=11))
    kinds: set[str] = set()
    for delivery in simulation.deliveries:
        if delivery.route == "ghl":
            row = marketplace_delivery(delivery.body, received_at=delivery.arrival_at)
        else:
            row = workflow_delivery(
                delivery.body, location_id=delivery.location_id, received_at=delivery.arrival_at
            )
        events = normalise(
            RawEvent(
                row.type, row.payload, row.occurred_at, row.location_id, row.contact_id, row.delivery_key
            )
        )
        assert events and not any(isinstance(event, Unknown) for event in events), row.type
        kinds.update(type(event).__name__ for event in events)
    assert {
        "ContactUpserted",
        "ConversationMessage",
        "OpportunityChanged",
        "EmailEvent",
        "ListingInteracted",
        "AppInstallChanged",
    } <= kinds

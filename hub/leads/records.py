"""Create the records events are about — messages, opportunities, appointments, listing
interactions — the first time they are seen; their changing fields are then ordinary writes."""

from __future__ import annotations

from hub.events.domain import (
    AppointmentChanged,
    ConversationMessage,
    ListingInteracted,
    OpportunityChanged,
    OpportunityStatus,
    StampedEvent,
)
from hub.leads.state import LeadState, fit
from hub.store.models import Appointment, Listing, ListingInteraction, Message, Opportunity

# A listing a lead interacted with before the listings feed delivered it: a placeholder the feed
# overwrites; match_listings only considers listings whose status the feed set (Active, ...).
LISTING_STATUS_UNKNOWN = "Unknown"


def _fitted(row: Message | Appointment | Listing, **values: object) -> None:
    for column, value in values.items():
        setattr(row, column, fit(row, column, value))


def place_message(state: LeadState, stamped: StampedEvent, contact_id: str) -> None:
    """Insert the message once; later deliveries of it only move its status (a write)."""
    message = stamped.event
    assert isinstance(message, ConversationMessage)
    state.touch("message", message.message_id, stamped.occurred_at)
    if message.message_id in state.messages:
        return
    row = Message(
        location_id=state.location_id,
        id=message.message_id,
        contact_id=contact_id,
        occurred_at=stamped.occurred_at,
    )
    _fitted(
        row,
        conversation_id=message.conversation_id,
        direction=message.direction.value,
        channel=message.channel.value,
        body=message.body,
        status=None,
        source=message.source,
        user_id=message.user_id,
    )
    state.session.add(row)
    state.messages[message.message_id] = row
    state.new_messages.append((stamped, row))


def place_opportunity(
    state: LeadState, stamped: StampedEvent, event: OpportunityChanged, contact_id: str
) -> None:
    state.touch("opportunity", event.opportunity_id, stamped.occurred_at)
    if event.opportunity_id in state.opportunities:
        return
    row = Opportunity(
        location_id=state.location_id,
        id=event.opportunity_id,
        contact_id=contact_id,
        status=OpportunityStatus.OPEN.value,
    )
    state.session.add(row)
    state.opportunities[event.opportunity_id] = row
    state.opportunities_before[event.opportunity_id] = None


def place_appointment(
    state: LeadState, stamped: StampedEvent, event: AppointmentChanged, contact_id: str
) -> bool:
    """False for an appointment never seen whose event has no start time (the store needs one)."""
    if event.appointment_id not in state.appointments:
        if event.start_at is None:
            return False
        row = Appointment(
            location_id=state.location_id,
            id=event.appointment_id,
            contact_id=contact_id,
            start_at=event.start_at,
        )
        state.session.add(row)
        state.appointments[event.appointment_id] = row
        state.appointments_before[event.appointment_id] = None
    state.touch("appointment", event.appointment_id, stamped.occurred_at)
    return True


def placeholder_listing(state: LeadState, event: ListingInteracted) -> None:
    if event.listing_id in state.listings:
        return
    listing = Listing(
        location_id=state.location_id,
        id=event.listing_id,
        status=LISTING_STATUS_UNKNOWN,
        list_price=event.price,
        bedrooms=event.beds,
        bathrooms=event.baths,
        features={},
        open_houses=[],
        photos_count=0,
    )
    _fitted(
        listing,
        address=event.address,
        city=event.city,
        postal_code=event.postal_code,
        property_type=event.property_type,
    )
    state.session.add(listing)
    state.listings.add(event.listing_id)


def place_interaction(state: LeadState, stamped: StampedEvent, event: ListingInteracted) -> None:
    """One row per (contact, listing, kind, time): a repeated delivery adds nothing."""
    key = (event.contact_id, event.listing_id, event.kind.value, stamped.occurred_at)
    if key in state.interactions:
        return
    row = ListingInteraction(
        location_id=state.location_id,
        contact_id=event.contact_id,
        listing_id=event.listing_id,
        kind=event.kind.value,
        at=stamped.occurred_at,
    )
    state.session.add(row)
    state.interactions.add(key)
    state.new_interactions.append((stamped, row))

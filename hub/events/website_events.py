"""Workflow-action webhooks (`workflow.<customData.event>`) → contact fields and listing interactions.

These come from GHL's workflow "Webhook" action (ghl-api.md §1.1): snake_case, no `type`, no
event time, `tags` as a comma string, the sender's own values under `customData` — all strings,
as workflow custom values are ("price": "450000"). The IDX website sends one per property view,
save, showing request, "not interested" and listing-alert click (hub/simulator/website.py).
"""

from __future__ import annotations

from hub.events.contact_events import workflow_contact
from hub.events.domain import DomainEvent, ListingInteracted, ListingInteractionKind, Unknown
from hub.events.payload import Fields

# Event names as website integrations spell them, after lower-casing and '-'/' ' → '_'.
LISTING_EVENTS: dict[str, ListingInteractionKind] = {
    **dict.fromkeys(
        ("property_viewed", "property_view", "viewed_property", "listing_viewed", "listing_view"),
        ListingInteractionKind.VIEW,
    ),
    **dict.fromkeys(
        ("property_saved", "property_save", "saved_property", "listing_saved", "favorite_added"),
        ListingInteractionKind.SAVE,
    ),
    **dict.fromkeys(
        ("showing_requested", "showing_request", "tour_requested", "tour_request"),
        ListingInteractionKind.SHOWING_REQUEST,
    ),
    **dict.fromkeys(
        ("not_interested", "property_not_interested", "listing_dismissed", "property_dismissed"),
        ListingInteractionKind.NOT_INTERESTED,
    ),
    **dict.fromkeys(
        ("alert_click", "alert_clicked", "listing_alert_click", "listing_alert_clicked"),
        ListingInteractionKind.ALERT_CLICK,
    ),
}


def event_name(event_type: str) -> str:
    """ "workflow.Property-Viewed" → "property_viewed"."""
    return event_type.removeprefix("workflow.").strip().lower().replace("-", "_").replace(" ", "_")


def website_events(event_type: str, fields: Fields, fallback_contact: str | None) -> list[DomainEvent]:
    kind = LISTING_EVENTS.get(event_name(event_type))
    contact_id = fields.ident("contact_id", "contactId") or fallback_contact
    if contact_id is None:
        if kind is not None:
            raise fields.error("contact_id", "a website listing event must name the lead", missing=True)
        # A workflow webhook about no contact (e.g. a test fire from the builder): kept, not applied.
        return [Unknown(type=event_type, payload=dict(fields.data))]
    events: list[DomainEvent] = [workflow_contact(fields, contact_id)]
    if kind is None:
        return events
    custom = fields.nested("customData") or Fields({}, event_type=event_type, path="customData.")
    events.append(
        ListingInteracted(
            contact_id=contact_id,
            listing_id=custom.required_ident(
                "listing_id", "listingId", why="a listing event names the listing"
            ),
            kind=kind,
            url=custom.text("listing_url", "url"),
            address=custom.text("address"),
            city=custom.text("city"),
            postal_code=custom.text("postal_code", "postalCode"),
            price=custom.number("price", "list_price"),
            beds=custom.integer("beds", "bedrooms"),
            baths=custom.number("baths", "bathrooms"),
            property_type=custom.text("property_type"),
            requested_time=custom.text("requested_time"),
        )
    )
    return events

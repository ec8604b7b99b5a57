"""Contact* events → ContactUpserted, TagsReplaced, DndChanged, ContactDeleted.

ContactCreate / Update / Delete / TagUpdate / DndUpdate share one schema (ghl-api.md §1.4): each
is a whole snapshot of the contact, with empty fields omitted (§1.3). The contact's id is `id`
there (`contactId` elsewhere); workflow-action webhooks spell the same fields in snake_case (§1.1).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hub.events.domain import (
    ContactDeleted,
    ContactUpserted,
    DndChanged,
    DndStatus,
    DomainEvent,
    TagsReplaced,
)
from hub.events.payload import Fields

# GHL's dndSettings keys, by lower-case spelling; unknown channel keys are kept as sent.
_DND_KEYS = {key.lower(): key for key in ("SMS", "Email", "Call", "WhatsApp", "GMB", "FB", "RCS")}
_EMAIL_MAX = 320  # RFC 5321 path limit, also the store's column
_PHONE_MAX = 32


def contact_id_of(fields: Fields, fallback: str | None) -> str:
    found = fields.ident("id", "contactId", "contact_id") or fallback
    if found is None:
        raise fields.error("id", "a contact event must name its contact ('id' or 'contactId')", missing=True)
    return found


def _checked_email(fields: Fields) -> str | None:
    email = fields.text("email")
    if email is not None and (len(email) > _EMAIL_MAX or "@" not in email):
        raise fields.error("email", "an e-mail address", email)
    return email


def _checked_phone(fields: Fields) -> str | None:
    phone = fields.text("phone")
    if phone is not None and len(phone) > _PHONE_MAX:
        raise fields.error("phone", f"a phone number (at most {_PHONE_MAX} characters)", phone)
    return phone


def _custom_fields(fields: Fields) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in fields.objects("customFields"):
        field_id = item.required_ident("id", why="every custom field names its id")
        value = item.raw("value", "fieldValue")
        if value is not None:  # an omitted value carries nothing (§1.3), it does not clear
            values[field_id] = value
    return values


def contact_upserted(
    fields: Fields, fallback_id: str | None, *, created: bool = False, with_tags: bool = True
) -> ContactUpserted:
    """The contact snapshot of a marketplace Contact* event."""
    return ContactUpserted(
        contact_id=contact_id_of(fields, fallback_id),
        created=created,
        first_name=fields.text("firstName"),
        last_name=fields.text("lastName"),
        name=fields.text("name", "contactName", "fullName"),
        email=_checked_email(fields),
        phone=_checked_phone(fields),
        company_name=fields.text("companyName"),
        source=fields.text("source"),
        address1=fields.text("address1"),
        city=fields.text("city"),
        state=fields.text("state"),
        postal_code=fields.text("postalCode"),
        country=fields.text("country"),
        website=fields.text("website"),
        date_of_birth=fields.text("dateOfBirth"),
        timezone=fields.text("timezone"),
        assigned_user_id=fields.ident("assignedTo"),
        date_added=fields.time("dateAdded"),
        dnd=fields.boolean("dnd"),
        tags=fields.strings("tags") if with_tags else None,
        custom_fields=_custom_fields(fields),
    )


def workflow_contact(fields: Fields, contact_id: str) -> ContactUpserted:
    """The few contact fields of a workflow-action webhook (snake_case, `tags` a comma string)."""
    return ContactUpserted(
        contact_id=contact_id,
        partial=True,
        first_name=fields.text("first_name"),
        last_name=fields.text("last_name"),
        name=fields.text("full_name", "name"),
        email=_checked_email(fields),
        phone=_checked_phone(fields),
        source=fields.text("source", "contact_source"),
        city=fields.text("city"),
        state=fields.text("state"),
        postal_code=fields.text("postal_code"),
        timezone=fields.text("timezone"),
        tags=fields.strings("tags"),
    )


def dnd_changed(fields: Fields, contact_id: str) -> DndChanged:
    settings = fields.nested("dndSettings")
    channels: dict[str, DndStatus] = {}
    if settings is not None:
        for key in settings.data:
            channel = _DND_KEYS.get(key.lower(), key)
            value = settings.data[key]
            # Real payloads send {status, message, code} per channel; a bare status is accepted too.
            entry = settings.nested(key) if isinstance(value, dict) else None
            status = entry.text("status") if entry is not None else settings.text(key)
            if status is None:
                continue
            try:
                channels[channel] = DndStatus(status.lower())
            except ValueError:
                raise (entry or settings).error(
                    "status" if entry is not None else key, "active, inactive or permanent", status
                ) from None
    return DndChanged(contact_id=contact_id, dnd=fields.boolean("dnd"), channels=channels)


def contact_events(event_type: str, fields: Fields, fallback_id: str | None) -> list[DomainEvent]:
    """All domain events of one marketplace Contact* delivery."""
    if event_type == "ContactDelete":
        return [ContactDeleted(contact_id=contact_id_of(fields, fallback_id))]
    if event_type == "ContactTagUpdate":
        contact = contact_upserted(fields, fallback_id, with_tags=False)
        # A tag event without `tags` says nothing about tags; `tags: []` means every tag was removed.
        tags = fields.strings("tags")
        return (
            [contact] if tags is None else [contact, TagsReplaced(contact_id=contact.contact_id, tags=tags)]
        )
    contact = contact_upserted(fields, fallback_id, created=event_type == "ContactCreate")
    if event_type == "ContactDndUpdate":
        # The all-channel `dnd` belongs to the DND event; the snapshot keeps the other fields.
        return [dataclasses.replace(contact, dnd=None), dnd_changed(fields, contact.contact_id)]
    return [contact]

"""The closed sets of values domain events use (hub.events.domain re-exports them all)."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """The channel of a message. Values match GHL's `dndSettings` keys where one exists (SMS,
    Email, Call, WhatsApp, GMB, FB, RCS), so `contact.dnd_channels[channel]` is the channel's DND."""

    SMS = "SMS"
    EMAIL = "Email"
    CALL = "Call"
    VOICEMAIL = "Voicemail"
    WHATSAPP = "WhatsApp"
    RCS = "RCS"
    GMB = "GMB"
    FACEBOOK = "FB"
    INSTAGRAM = "IG"
    LIVE_CHAT = "LiveChat"
    CUSTOM = "Custom"
    OTHER = "Other"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Sender(StrEnum):
    """Who wrote a message: the lead, our automation, or a human agent."""

    CONTACT = "contact"
    AUTOMATION = "automation"  # OutboundMessage source api / workflow / bulk_actions / campaign
    AGENT = "agent"  # source app: typed by a person in GHL (COMPLIANCE.md guard 7: human takeover)
    UNKNOWN = "unknown"


class DndStatus(StrEnum):
    """GHL's per-channel DND status; `active` and `permanent` block the channel (ghl-api.md §4.3)."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    PERMANENT = "permanent"

    @property
    def blocked(self) -> bool:
        return self is not DndStatus.INACTIVE


class RecordAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    COMPLETED = "completed"
    DELETED = "deleted"


class OpportunityChange(StrEnum):
    """Which Opportunity* event it was; every one carries the whole opportunity (ghl-api.md §1.4)."""

    CREATED = "created"
    UPDATED = "updated"
    STAGE = "stage"
    STATUS = "status"
    VALUE = "value"
    ASSIGNMENT = "assignment"
    DELETED = "deleted"


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    ABANDONED = "abandoned"


class EmailEventKind(StrEnum):
    """LCEmailStats `event` values (Mailgun's), with hard and soft failures told apart."""

    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    BOUNCED = "bounced"  # a permanent failure (hard bounce)
    DEFERRED = "deferred"  # a temporary failure; the provider retries
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    OTHER = "other"

    @property
    def suppresses(self) -> bool:
        """COMPLIANCE.md guard 8: a hard bounce, a spam complaint or an unsubscribe stops e-mail."""
        return self in (EmailEventKind.BOUNCED, EmailEventKind.COMPLAINED, EmailEventKind.UNSUBSCRIBED)


class ListingInteractionKind(StrEnum):
    """Values match the store's LISTING_INTERACTION_KINDS."""

    VIEW = "view"
    SAVE = "save"
    SHOWING_REQUEST = "showing_request"
    NOT_INTERESTED = "not_interested"
    ALERT_CLICK = "alert_click"


# Appointment statuses GHL sends in `appointmentStatus`; others are kept as sent (lower-cased).
APPOINTMENT_NO_SHOW = "noshow"
APPOINTMENT_CANCELLED = "cancelled"
APPOINTMENT_DELETED = "deleted"  # our marker for AppointmentDelete; GHL has no such status

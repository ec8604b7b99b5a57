"""What applying a batch changed, per contact: the live stream's and the hooks' input.

Changes are differences of stored state (before the batch vs after it) plus rows inserted, never
"an event was seen": re-applying events that changed nothing reports nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ChangeKind(StrEnum):
    """Also the `kind` of the activity row written for the change."""

    CONTACT_CREATED = "lead_created"
    CONTACT_UPDATED = "lead_updated"
    CONTACT_DELETED = "lead_deleted"
    TAGS_CHANGED = "tags_changed"
    DND_CHANGED = "dnd_changed"
    SMS_OPTED_OUT = "sms_opted_out"
    SMS_OPTED_IN = "sms_opted_in"
    HELP_REQUESTED = "help_requested"
    EMAIL_SUPPRESSED = "email_suppressed"
    MESSAGE_RECEIVED = "message_received"
    MESSAGE_SENT = "message_sent"
    APPOINTMENT_BOOKED = "appointment_booked"
    APPOINTMENT_NO_SHOW = "appointment_no_show"
    APPOINTMENT_CHANGED = "appointment_changed"
    OPPORTUNITY_CREATED = "opportunity_created"
    OPPORTUNITY_STAGE_CHANGED = "opportunity_stage_changed"
    OPPORTUNITY_STATUS_CHANGED = "opportunity_status_changed"
    LISTING_INTERACTION = "listing_interaction"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    contact_id: str
    at: datetime  # occurred_at of the newest event behind the change
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ApplyResult:
    """`applied`: domain events folded in. `superseded_writes`: writes refused because the slot
    already held a newer value (a late or repeated delivery, or workflow-webhook contact fields under
    a marketplace value). `unattributed`: event ids whose record could not be placed: no contact
    named (TaskCreate without contactId, ISS-332), an e-mail to an address no contact has, or an
    update of an appointment never seen that lacks the start time the store needs."""

    changes: list[Change] = field(default_factory=list)
    applied: int = 0
    superseded_writes: int = 0
    unattributed: list[int] = field(default_factory=list)

    @property
    def changed_contacts(self) -> list[str]:
        return sorted({change.contact_id for change in self.changes})

    def by_contact(self) -> dict[str, list[Change]]:
        grouped: dict[str, list[Change]] = defaultdict(list)
        for change in self.changes:
            grouped[change.contact_id].append(change)
        return dict(grouped)

"""Every store model, importable from one place; importing this registers them all on `Base.metadata`."""

from __future__ import annotations

from hub.store.models.activity import Activity
from hub.store.models.appointments import Appointment
from hub.store.models.base import Base, UTCDateTime, utcnow
from hub.store.models.contacts import Contact
from hub.store.models.conversations import Message
from hub.store.models.custom_fields import CustomFieldDefinition
from hub.store.models.events import Event
from hub.store.models.ledger import SendLedgerEntry
from hub.store.models.listings import Listing, ListingInteraction
from hub.store.models.matching import ListingAlert, ListingAlertItem, ListingMatch
from hub.store.models.pipeline import Opportunity, Pipeline, PipelineStage
from hub.store.models.scoring import RegisteredModel, Score
from hub.store.models.tenancy import Location, User
from hub.store.models.workflows import Enrollment, Workflow

__all__ = [
    "Activity",
    "Appointment",
    "Base",
    "Contact",
    "CustomFieldDefinition",
    "Enrollment",
    "Event",
    "Listing",
    "ListingAlert",
    "ListingAlertItem",
    "ListingInteraction",
    "ListingMatch",
    "Location",
    "Message",
    "Opportunity",
    "Pipeline",
    "PipelineStage",
    "RegisteredModel",
    "Score",
    "SendLedgerEntry",
    "UTCDateTime",
    "User",
    "Workflow",
    "utcnow",
]

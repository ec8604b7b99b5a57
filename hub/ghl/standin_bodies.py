"""Request bodies the stand-in accepts, field for field from GHL's v2 specs (ghl-api.md §3).

GHL validates bodies against a whitelist (NestJS): an unknown property is a 422 such as
"property locationId should not exist", which is why `extra="forbid"` everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """GHL validates bodies with a whitelist: unknown properties are a 422."""

    model_config = ConfigDict(extra="forbid")


class SendMessageBody(Body):
    """POST /conversations/messages."""

    type: Literal["SMS", "RCS", "Email", "WhatsApp", "IG", "FB", "Custom", "Live_Chat", "TIKTOK"]
    contactId: str
    message: str | None = None
    subject: str | None = None
    html: str | None = None
    fromNumber: str | None = None
    toNumber: str | None = None
    emailFrom: str | None = None
    emailTo: str | None = None
    attachments: list[str] | None = None
    scheduledTimestamp: int | None = None
    conversationProviderId: str | None = None


class ContactBody(Body):
    """PUT /contacts/{id}: no locationId (GHL rejects it); `tags` overwrite all tags."""

    firstName: str | None = None
    lastName: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    dnd: bool | None = None
    dndSettings: dict[str, dict[str, Any]] | None = None
    inboundDndSettings: dict[str, Any] | None = None
    tags: list[str] | None = None
    customFields: list[dict[str, Any]] | None = None
    source: str | None = None
    assignedTo: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    country: str | None = None
    dateOfBirth: str | None = None


class UpsertBody(ContactBody):
    """POST /contacts/upsert: like PUT plus the required locationId."""

    locationId: str


class TagsBody(Body):
    """POST/DELETE /contacts/{id}/tags."""

    tags: list[str] = Field(min_length=1)


class NoteBody(Body):
    """POST /contacts/{id}/notes."""

    body: str = Field(min_length=1)
    userId: str | None = None
    title: str | None = None


class TaskBody(Body):
    """POST /contacts/{id}/tasks: title, dueDate and completed are required."""

    title: str = Field(min_length=1)
    dueDate: datetime
    completed: bool
    body: str | None = None
    assignedTo: str | None = None


class OpportunityBody(Body):
    """PUT /opportunities/{id}."""

    pipelineId: str | None = None
    pipelineStageId: str | None = None
    status: Literal["open", "won", "lost", "abandoned"] | None = None
    monetaryValue: float | None = None
    assignedTo: str | None = None
    name: str | None = None
    customFields: list[dict[str, Any]] | None = None


class StatusBody(Body):
    """PUT /opportunities/{id}/status."""

    status: Literal["open", "won", "lost", "abandoned"]
    lostReasonId: str | None = None

"""Pydantic models of the GHL API v2 bodies the client sends and reads (ghl-api.md §3).

GHL speaks camelCase; the models use snake_case attributes with camelCase aliases, accept either on
input and dump aliases by default, so `model.model_dump(exclude_none=True)` is a ready request body.
Response models keep unknown fields (`extra="allow"`): GHL adds fields without notice and callers
may still want them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

DND_BLOCKING = frozenset({"active", "permanent"})
"""`dndSettings.<channel>.status` values that mean the channel is blocked (ghl-api.md §4.3)."""

Channel = Literal["SMS", "Email", "Call", "WhatsApp", "GMB", "FB", "RCS"]
OpportunityStatus = Literal["open", "won", "lost", "abandoned"]


class GHLModel(BaseModel):
    """Base of every GHL body: camelCase on the wire, snake_case in Python, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
    )


class RequestModel(GHLModel):
    """Base of request bodies: unknown fields are a programming error, not something to send."""

    model_config = ConfigDict(extra="forbid")


class DndChannel(GHLModel):
    """One channel of `dndSettings`: `{status, message, code}`."""

    status: str = "inactive"
    message: str | None = None
    code: str | None = None

    @property
    def blocks(self) -> bool:
        """True when DND is on for this channel (`active` or `permanent`)."""
        return self.status in DND_BLOCKING


class DndSettings(GHLModel):
    """Per-channel DND; GHL capitalises the channel keys (`SMS`, `Email`, ...)."""

    sms: DndChannel | None = Field(None, alias="SMS")
    email: DndChannel | None = Field(None, alias="Email")
    call: DndChannel | None = Field(None, alias="Call")
    whatsapp: DndChannel | None = Field(None, alias="WhatsApp")
    gmb: DndChannel | None = Field(None, alias="GMB")
    fb: DndChannel | None = Field(None, alias="FB")
    rcs: DndChannel | None = Field(None, alias="RCS")

    def channel(self, channel: Channel) -> DndChannel | None:
        """The settings of one channel, by GHL's channel name."""
        value = getattr(self, channel.lower(), None)
        return value if isinstance(value, DndChannel) else None


class CustomFieldValue(GHLModel):
    """A contact custom field as GHL returns it: `{id, value}`."""

    id: str
    value: object = None


class Contact(GHLModel):
    """A contact (GET /contacts/{id} -> `{"contact": ...}`)."""

    id: str
    location_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    dnd: bool = False
    dnd_settings: DndSettings | None = None
    tags: list[str] = Field(default_factory=list)
    source: str | None = None
    assigned_to: str | None = None
    timezone: str | None = None
    custom_fields: list[CustomFieldValue] = Field(default_factory=list)
    date_added: datetime | None = None
    date_updated: datetime | None = None

    def is_dnd(self, channel: Channel) -> bool:
        """True when sending on `channel` is blocked: global `dnd` or that channel's DND status.

        Search results may lack `dndSettings` (ISS-43), so a False here from a search hit is not
        proof: fetch the contact with get_contact before a send.
        """
        if self.dnd:
            return True
        settings = self.dnd_settings.channel(channel) if self.dnd_settings else None
        return settings is not None and settings.blocks


class ContactFields(RequestModel):
    """Writable contact fields for PUT /contacts/{id} and POST /contacts/upsert.

    No `tags`: on PUT they overwrite every tag the contact has (ghl-api.md §3.3); use add_tags /
    remove_tags. No `locationId`: GHL rejects it on PUT, and the client adds it for upsert.
    """

    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    dnd: bool | None = None
    dnd_settings: DndSettings | None = None
    source: str | None = None
    assigned_to: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class UpsertContactResult(GHLModel):
    """POST /contacts/upsert -> `{"new": bool, "contact": {...}}`."""

    new: bool
    contact: Contact


class SearchFilter(RequestModel):
    """One condition of POST /contacts/search; `field` may be dotted (`dndSettings.SMS.status`)."""

    field: str
    operator: Literal["eq", "not_eq", "contains", "not_contains", "exists", "not_exists", "range"]
    value: object = None


class SearchGroup(RequestModel):
    """A nested AND/OR group of conditions."""

    group: Literal["AND", "OR"]
    filters: list[SearchFilter | SearchGroup]


class SearchSort(RequestModel):
    """A sort key of POST /contacts/search."""

    field: str
    direction: Literal["asc", "desc"] = "asc"


class SearchContactsRequest(RequestModel):
    """Body of POST /contacts/search, in the shape used in practice (ghl-api.md §3.3)."""

    location_id: str
    page: int = Field(1, ge=1)
    page_limit: int = Field(20, ge=1, le=500)
    search_after: list[object] | None = None
    query: str | None = None
    filters: list[SearchFilter | SearchGroup] = Field(default_factory=list)
    sort: list[SearchSort] = Field(default_factory=list)


class SearchContactsResult(GHLModel):
    """POST /contacts/search -> `{"contacts": [...], "total": n}`."""

    contacts: list[Contact]
    total: int


class SendMessageResult(GHLModel):
    """POST /conversations/messages -> `{conversationId, messageId, emailMessageId?, ...}`."""

    conversation_id: str
    message_id: str
    email_message_id: str | None = None
    message_ids: list[str] | None = None
    msg: str | None = None
    status: str | None = None


class Note(GHLModel):
    """A contact note (POST /contacts/{id}/notes -> `{"note": ...}`)."""

    id: str
    body: str
    contact_id: str | None = None
    user_id: str | None = None
    date_added: datetime | None = None


class Task(GHLModel):
    """A contact task (POST /contacts/{id}/tasks -> `{"task": ...}`)."""

    id: str
    title: str
    body: str | None = None
    assigned_to: str | None = None
    due_date: datetime
    completed: bool = False
    contact_id: str | None = None


class Stage(GHLModel):
    """A pipeline stage; webhooks only carry its id, so names come from get_pipelines."""

    id: str
    name: str
    position: int | None = None


class Pipeline(GHLModel):
    """An opportunity pipeline (GET /opportunities/pipelines -> `{"pipelines": [...]}`)."""

    id: str
    name: str
    stages: list[Stage] = Field(default_factory=list)

    def stage_name(self, stage_id: str) -> str | None:
        """The name of a stage of this pipeline, or None when the id is not one of its stages."""
        return next((stage.name for stage in self.stages if stage.id == stage_id), None)


class PipelinesResult(GHLModel):
    """GET /opportunities/pipelines -> `{"pipelines": [...]}`."""

    pipelines: list[Pipeline]


class TagsResult(GHLModel):
    """POST/DELETE /contacts/{id}/tags -> `{"tags": [...]}`: the contact's tags after the change."""

    tags: list[str]


class StatusResult(GHLModel):
    """PUT /opportunities/{id}/status -> `{"succeded": true}` (GHL's spelling, ghl-api.md §3.4)."""

    succeded: bool


class Opportunity(GHLModel):
    """An opportunity (PUT /opportunities/{id} -> `{"opportunity": ...}`)."""

    id: str
    name: str | None = None
    pipeline_id: str | None = None
    pipeline_stage_id: str | None = None
    status: str | None = None
    monetary_value: float | None = None
    assigned_to: str | None = None
    contact_id: str | None = None
    last_stage_change_at: datetime | None = None
    last_status_change_at: datetime | None = None


class OpportunityUpdate(RequestModel):
    """Body of PUT /opportunities/{id}: move stage, change status, value or assignee."""

    pipeline_id: str | None = None
    pipeline_stage_id: str | None = None
    status: OpportunityStatus | None = None
    monetary_value: float | None = None
    assigned_to: str | None = None
    name: str | None = None


class RateLimitState(BaseModel):
    """The `X-RateLimit-*` headers of a location's latest response (ghl-api.md §4.1).

    A header GHL did not send stays None. `observed_at` is time.monotonic() when it was read.
    """

    model_config = ConfigDict(frozen=True)

    max: int | None = None
    remaining: int | None = None
    interval_ms: int | None = None
    limit_daily: int | None = None
    daily_remaining: int | None = None
    observed_at: float

"""What a dry run takes: the lead, the events that happen to it, the location (hub.workflows.simulate).

Each input is checked before anything runs; a bad one raises SimulationInputError naming the input,
the line (events) and the field, and what is expected.

    contact   {"first_name": "Dana", "phone": "+13105550143", "timezone": "America/Los_Angeles",
               "consent": {"source": "web form", "at": "2026-08-01", "wording": "..."}}
              (our field names or GHL's: firstName, postalCode, ...)
    events    JSON Lines, one per line: {"after": "2h", "type": "InboundMessage", "body": "yes"}
              or {"at": "2026-09-11T10:00", "type": "ContactDndUpdate", "channels": {"SMS": "active"}}
    location  {"name": "Oak Realty", "timezone": "America/Chicago", "postal_address": "...",
               "compliance": {...}}; every field has a dry-run default
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.compliance.lead_timezone import valid_zone
from hub.errors import HubError
from hub.workflows.durations import parse_duration
from hub.workflows.events import EVENT_TYPES, SCHEDULED_TRIGGERS

# A dry run without a location still shows emails: placeholders stand in for the footer guard 5 needs.
PLACEHOLDER_ADDRESS = "(postal address of the location)"
PLACEHOLDER_UNSUBSCRIBE = "https://dry-run.invalid/unsubscribe/{location_id}/{contact_id}"


def _iana_zone(value: str | None, *, example: str) -> str | None:
    if value is not None and valid_zone(value) is None:
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. {example})")
    return value


class SimulationInputError(HubError):
    """A contact, event or location given to a dry run is not usable; the message says where."""


class SimAgent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    email: str | None = None
    phone: str | None = None


class SimContact(BaseModel):
    """The lead, in our field names or GHL's (firstName, postalCode, dndSettings, ...)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = "sim-contact"
    first_name: str | None = Field(None, alias="firstName")
    last_name: str | None = Field(None, alias="lastName")
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str | None = None
    tags: list[str] = Field(default_factory=list)
    timezone: str | None = None
    state: str | None = None
    postal_code: str | None = Field(None, alias="postalCode")
    dnd: bool = False
    dnd_channels: dict[str, str] = Field(default_factory=dict, alias="dndChannels")
    sms_opted_out: bool = False
    consent: dict[str, Any] | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict, alias="customFields")
    date_added: datetime | None = Field(None, alias="dateAdded")
    agent: SimAgent | None = Field(None, description="The lead's agent (name, email, phone), if any.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _iana_zone(value, example="America/Los_Angeles")

    @property
    def full_name(self) -> str | None:
        """`name`, else first and last name together (None when there is neither)."""
        return self.name or " ".join(p for p in (self.first_name, self.last_name) if p) or None


class SimEvent(BaseModel):
    """Something that happens to the lead: `type` (a workflow event type), `at` (a time) or `after`
    (a duration after the start), and the event's fields (e.g. `body` of an InboundMessage)."""

    model_config = ConfigDict(extra="allow")

    type: str
    at: datetime | None = None
    after: str | None = None

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in EVENT_TYPES or value in SCHEDULED_TRIGGERS:
            raise ValueError(f"unknown event type {value!r}; use one of {', '.join(EVENT_TYPES)}")
        return value

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class SimLocation(BaseModel):
    """The location the lead belongs to; every field has a dry-run default."""

    model_config = ConfigDict(extra="forbid")

    id: str = "sim-location"
    name: str = "Your business"
    timezone: str | None = None
    postal_address: str | None = PLACEHOLDER_ADDRESS
    help_text: str | None = None
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    compliance: dict[str, Any] = Field(default_factory=lambda: {"unsubscribe_url": PLACEHOLDER_UNSUBSCRIBE})

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _iana_zone(value, example="America/Chicago")


def validated(model: type[BaseModel], raw: object, where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise SimulationInputError(f"{where}: {field_name}: {first['msg']}") from None


def parse_contact(raw: object, source: str = "contact") -> SimContact:
    if isinstance(raw, SimContact):
        return raw
    if not isinstance(raw, Mapping):
        raise SimulationInputError(f"{source}: expected a JSON object with the lead's fields")
    return validated(SimContact, raw, source)  # type: ignore[no-any-return]


def parse_events(text: str, source: str = "events") -> list[SimEvent]:
    """JSON Lines, one event per line (blank lines and `#` comments skipped), or one JSON array."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise SimulationInputError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return [parse_event(item, f"{source}[{i}]") for i, item in enumerate(items)]
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SimulationInputError(f"{source}:{number}: not valid JSON ({exc.msg})") from None
        events.append(parse_event(item, f"{source}:{number}"))
    return events


def parse_event(raw: object, where: str) -> SimEvent:
    if isinstance(raw, SimEvent):
        return raw
    if not isinstance(raw, Mapping):
        raise SimulationInputError(f"{where}: expected a JSON object with `type` and `at` or `after`")
    event: SimEvent = validated(SimEvent, raw, where)
    if (event.at is None) == (event.after is None):
        raise SimulationInputError(f'{where}: give exactly one of `at` (a time) or `after` (e.g. "2h")')
    if event.after is not None:
        try:
            parse_duration(event.after)
        except ValueError as exc:
            raise SimulationInputError(f"{where}: after: {exc}") from None
    return event

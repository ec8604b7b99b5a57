"""The GHL API v2 endpoints the stand-in serves, with GHL's shapes and quirks (ghl-api.md §3).

Scoping: the gate (standin.py) resolves the bearer token to a location before any route runs; a
route only ever looks inside that location, so another location's contact is a 404 and another
location's `locationId` in a query or body is a 403, as with GHL.
Quirks kept on purpose: `{"succeded": true}` (sic); PUT /contacts/{id} with `tags` overwrites them
all; search hits carry no `dndSettings` (ISS-43); sends to a channel under DND are refused with 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from hub.ghl.standin_bodies import (
    ContactBody,
    NoteBody,
    OpportunityBody,
    SendMessageBody,
    StatusBody,
    TagsBody,
    TaskBody,
    UpsertBody,
)
from hub.ghl.standin_search import search
from hub.ghl.standin_state import LocationData, new_id, now_iso

CONVERSATIONS_VERSION = "2021-04-15"
CONTACTS_VERSION = "2021-07-28"
LOCATION_SCOPE_KEY = "standin.location"
DND_BLOCKING = ("active", "permanent")


class GHLHTTPError(Exception):
    """An error answer in GHL's shape: `{"statusCode", "message", "error"?}`."""

    def __init__(self, status: int, message: str | list[str], error: str | None = None) -> None:
        self.status, self.message, self.error = status, message, error
        super().__init__(f"{status}: {message}")

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"statusCode": self.status, "message": self.message}
        if self.error:
            body["error"] = self.error
        return JSONResponse(body, status_code=self.status)


async def _location(request: Request) -> LocationData:
    # `async def`, as for every dependency here: a plain `def` one would run in a worker thread.
    location: LocationData = request.scope[LOCATION_SCOPE_KEY]
    return location


def _version(expected: str) -> Callable[[str | None], Awaitable[None]]:
    # `async def`: FastAPI runs a plain `def` dependency in a worker thread, and that thread
    # hand-off was the largest CPU cost of a stand-in request.
    async def check(version: Annotated[str | None, Header()] = None) -> None:
        if version != expected:
            raise GHLHTTPError(400, f"Version header must be {expected} for this endpoint, got {version!r}")

    return check


LocationDep = Annotated[LocationData, Depends(_location)]


def _same_location(location: LocationData, requested: str) -> None:
    if requested != location.location_id:
        raise GHLHTTPError(403, "The token does not have access to this location.", "Forbidden")


def _contact(location: LocationData, contact_id: str) -> dict[str, Any]:
    contact = location.contacts.get(contact_id)
    if contact is None:
        raise GHLHTTPError(404, "Contact not found", "Not Found")
    return contact


def _apply_contact(contact: dict[str, Any], body: ContactBody) -> None:
    changes = body.model_dump(exclude_unset=True, exclude={"locationId"})
    dnd_settings = changes.pop("dndSettings", None)
    contact.update(changes)  # `tags` included: GHL overwrites the whole list on PUT
    if dnd_settings:
        merged = dict(contact.get("dndSettings") or {})
        merged.update(dnd_settings)
        contact["dndSettings"] = merged
    if "firstName" in changes or "lastName" in changes:
        contact["name"] = " ".join(p for p in (contact.get("firstName"), contact.get("lastName")) if p)
    contact["dateUpdated"] = now_iso()


def _dnd_blocks(contact: dict[str, Any], channel: str) -> bool:
    settings = (contact.get("dndSettings") or {}).get(channel) or {}
    return bool(contact.get("dnd")) or settings.get("status") in DND_BLOCKING


conversations = APIRouter(dependencies=[Depends(_version(CONVERSATIONS_VERSION))])
contacts = APIRouter(prefix="/contacts", dependencies=[Depends(_version(CONTACTS_VERSION))])
opportunities = APIRouter(prefix="/opportunities", dependencies=[Depends(_version(CONTACTS_VERSION))])


def message_answer(location: LocationData, body: SendMessageBody) -> dict[str, Any]:
    """POST /conversations/messages with a valid body; also called by standin_fast."""
    contact = _contact(location, body.contactId)
    channel = "Email" if body.type == "Email" else body.type
    if channel == "SMS" and not body.message:
        raise GHLHTTPError(400, "message is required for type SMS")
    if channel == "SMS" and not contact.get("phone"):
        raise GHLHTTPError(400, "Contact does not have a phone number")
    if channel == "Email" and not (body.html or body.message):
        raise GHLHTTPError(400, "html or message is required for type Email")
    if channel == "Email" and not contact.get("email"):
        raise GHLHTTPError(400, "Contact does not have an email address")
    if _dnd_blocks(contact, channel):
        raise GHLHTTPError(400, f"Cannot send message as DND is active for {channel}.")
    conversation_id = location.conversations.get(contact["id"])
    if conversation_id is None:
        conversation_id = location.conversations[contact["id"]] = new_id("Cv")
    message = {
        "id": new_id("Ms"),
        "conversationId": conversation_id,
        "contactId": contact["id"],
        "locationId": location.location_id,
        "direction": "outbound",
        "source": "api",
        "status": "delivered",
        "dateAdded": now_iso(),
        **body.model_dump(exclude_none=True, exclude={"contactId"}),
        "messageType": body.type,
    }
    location.messages.append(message)
    result = {
        "conversationId": conversation_id,
        "messageId": message["id"],
        "msg": "Message queued successfully.",
    }
    if channel == "Email":
        result["emailMessageId"] = message["emailMessageId"] = new_id("Em")
    return result


def contact_answer(location: LocationData, contact_id: str) -> dict[str, Any]:
    """GET /contacts/{contact_id}; also called by standin_fast."""
    return {"contact": _contact(location, contact_id)}


@conversations.post("/conversations/messages")
async def send_message(body: SendMessageBody, location: LocationDep) -> dict[str, Any]:
    """Send an SMS or email to a contact (refused under DND)."""
    return message_answer(location, body)


@contacts.get("/{contact_id}")
async def get_contact(contact_id: str, location: LocationDep) -> dict[str, Any]:
    """A contact of the token's location."""
    return contact_answer(location, contact_id)


@contacts.put("/{contact_id}")
async def update_contact(contact_id: str, body: ContactBody, location: LocationDep) -> dict[str, Any]:
    """Update a contact; `tags` replaces every tag."""
    contact = _contact(location, contact_id)
    _apply_contact(contact, body)
    return {"succeded": True, "contact": contact}


@contacts.post("/upsert")
async def upsert_contact(body: UpsertBody, location: LocationDep) -> dict[str, Any]:
    """Update the contact matching the email (else phone), or create one."""
    _same_location(location, body.locationId)
    email = (body.email or "").lower()
    match = next(
        (
            c
            for c in location.contacts.values()
            if (email and (c.get("email") or "").lower() == email)
            or (body.phone and c.get("phone") == body.phone)
        ),
        None,
    )
    new = match is None
    if match is None:
        match = {
            "id": new_id("Ct"),
            "locationId": location.location_id,
            "dnd": False,
            "tags": [],
            "dateAdded": now_iso(),
        }
        location.contacts[match["id"]] = match
    _apply_contact(match, body)
    return {"new": new, "contact": match}


@contacts.post("/search")
async def search_contacts(body: dict[str, Any], location: LocationDep) -> dict[str, Any]:
    """Advanced search: filters, groups, query, sort, pages. Hits carry no dndSettings (ISS-43)."""
    location_id = body.get("locationId")
    if not isinstance(location_id, str) or not location_id:
        raise GHLHTTPError(422, ["locationId should not be empty"], "Unprocessable Entity")
    _same_location(location, location_id)
    try:
        hits, total = search(list(location.contacts.values()), body)
    except ValueError as exc:
        raise GHLHTTPError(422, [str(exc)], "Unprocessable Entity") from None
    return {"contacts": [{k: v for k, v in c.items() if k != "dndSettings"} for c in hits], "total": total}


@contacts.post("/{contact_id}/tags", status_code=201)
async def add_tags(contact_id: str, body: TagsBody, location: LocationDep) -> dict[str, Any]:
    """Add tags, keeping the others."""
    contact = _contact(location, contact_id)
    tags = list(contact.get("tags") or [])
    contact["tags"] = tags + [t for t in dict.fromkeys(body.tags) if t not in tags]
    return {"tags": contact["tags"]}


@contacts.delete("/{contact_id}/tags")
async def remove_tags(contact_id: str, body: TagsBody, location: LocationDep) -> dict[str, Any]:
    """Remove tags."""
    contact = _contact(location, contact_id)
    contact["tags"] = [t for t in contact.get("tags") or [] if t not in body.tags]
    return {"tags": contact["tags"]}


@contacts.post("/{contact_id}/notes", status_code=201)
async def create_note(contact_id: str, body: NoteBody, location: LocationDep) -> dict[str, Any]:
    """Add a note to a contact."""
    contact = _contact(location, contact_id)
    note = {
        "id": new_id("Nt"),
        "contactId": contact["id"],
        "dateAdded": now_iso(),
        **body.model_dump(exclude_none=True),
    }
    location.notes.append(note)
    return {"note": note}


@contacts.post("/{contact_id}/tasks", status_code=201)
async def create_task(contact_id: str, body: TaskBody, location: LocationDep) -> dict[str, Any]:
    """Create a task on a contact."""
    contact = _contact(location, contact_id)
    task = {"id": new_id("Tk"), "contactId": contact["id"], **body.model_dump(mode="json", exclude_none=True)}
    location.tasks.append(task)
    return {"task": task}


@opportunities.get("/pipelines")
async def get_pipelines(location: LocationDep, locationId: Annotated[str, Query()]) -> dict[str, Any]:
    """The location's pipelines with their stages."""
    _same_location(location, locationId)
    return {"pipelines": location.pipelines}


def _opportunity(location: LocationData, opportunity_id: str) -> dict[str, Any]:
    found = location.opportunities.get(opportunity_id)
    if found is None:
        raise GHLHTTPError(404, "Opportunity not found", "Not Found")
    return found


@opportunities.put("/{opportunity_id}")
async def update_opportunity(
    opportunity_id: str, body: OpportunityBody, location: LocationDep
) -> dict[str, Any]:
    """Move stage, change status, value, assignee or name."""
    opportunity = _opportunity(location, opportunity_id)
    changes = body.model_dump(exclude_none=True)
    pipeline_id = changes.get("pipelineId", opportunity.get("pipelineId"))
    pipeline = next((p for p in location.pipelines if p["id"] == pipeline_id), None)
    if pipeline is None:
        raise GHLHTTPError(400, f"Pipeline {pipeline_id} not found")
    stage_id = changes.get("pipelineStageId", opportunity.get("pipelineStageId"))
    if stage_id not in {stage["id"] for stage in pipeline.get("stages", [])}:
        raise GHLHTTPError(400, f"Stage {stage_id} does not belong to pipeline {pipeline_id}")
    if stage_id != opportunity.get("pipelineStageId"):
        opportunity["lastStageChangeAt"] = now_iso()
    if changes.get("status", opportunity.get("status")) != opportunity.get("status"):
        opportunity["lastStatusChangeAt"] = now_iso()
    opportunity.update(changes)
    return {"opportunity": opportunity}


@opportunities.put("/{opportunity_id}/status")
async def update_opportunity_status(
    opportunity_id: str, body: StatusBody, location: LocationDep
) -> dict[str, Any]:
    """Mark open/won/lost/abandoned; answers GHL's `{"succeded": true}`."""
    opportunity = _opportunity(location, opportunity_id)
    if body.status != opportunity.get("status"):
        opportunity["lastStatusChangeAt"] = now_iso()
    opportunity.update(body.model_dump(exclude_none=True))
    return {"succeded": True}

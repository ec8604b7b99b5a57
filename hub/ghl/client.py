"""Typed, synchronous client for the GHL API v2 endpoints EnterpriseHub uses (ghl-api.md §3).

Every method takes the `location_id` it acts for: that location's token goes in `Authorization`,
its rate-limit bucket paces the request, its circuit breaker guards it, and each endpoint sends the
`Version` its spec pins (hub.ghl.endpoints). The retry rule lives in `hub.ghl.transport`; in short,
a send or create that may have reached GHL (timeout, 5xx) is never retried but raises
`GHLOutcomeUnknownError`, so a lead is never texted twice by a blind retry. Every failure is one of
`hub.errors`' GHL errors, mapped once in `hub.ghl.error_map`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from hub.errors import GHLValidationError
from hub.ghl import endpoints as ep
from hub.ghl.bodies import read_model
from hub.ghl.endpoints import Endpoint
from hub.ghl.models import (
    Contact,
    ContactFields,
    Note,
    Opportunity,
    OpportunityStatus,
    OpportunityUpdate,
    Pipeline,
    PipelinesResult,
    RateLimitState,
    SearchContactsRequest,
    SearchContactsResult,
    SearchFilter,
    SearchGroup,
    SearchSort,
    SendMessageResult,
    StatusResult,
    TagsResult,
    Task,
    UpsertContactResult,
)
from hub.ghl.rate_limit import RateLimiter
from hub.ghl.transport import RequestPath, TokenProvider
from hub.settings import GHLSettings

M = TypeVar("M", bound=BaseModel)
CONVERSATION_MESSAGES = "/conversations/messages"


def _require(value: str, name: str) -> str:
    if not value or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return value


class GHLClient:
    """The GHL API v2, one method per operation EnterpriseHub performs. Thread-safe."""

    def __init__(
        self,
        settings: GHLSettings,
        tokens: TokenProvider,
        *,
        transport: httpx.BaseTransport | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`tokens(location_id)` returns that location's token; `transport` replaces the network
        (tests); `limiter` defaults to an in-process window at settings' rate limit; `sleep` is what
        retries wait with."""
        self._settings = settings
        self._path = RequestPath(settings, tokens, transport=transport, limiter=limiter, sleep=sleep)

    def __enter__(self) -> GHLClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GHLClient(base_url={self._settings.base_url!r}, limiter={self._path.limiter!r})"

    def close(self) -> None:
        """Close pooled connections."""
        self._path.close()

    def concurrent(self) -> AbstractAsyncContextManager[None]:
        """`async with client.concurrent():` lets calls made under `hub.ghl.transport.yield_point()`
        from greenlets of this event loop wait concurrently (the dispatcher's batches)."""
        return self._path.concurrent()

    def rate_limit_state(self, location_id: str) -> RateLimitState | None:
        """X-RateLimit-* headers of `location_id`'s latest answer (None before its first call)."""
        return self._path.rate_limit_state(location_id)

    def breaker_state(self, location_id: str) -> str:
        """`closed`, `open` or `half-open`: the state of `location_id`'s circuit breaker."""
        return self._path.breakers.state(location_id)

    # -- conversations (Version 2021-04-15) --------------------------------------------------------

    def send_sms(
        self, location_id: str, contact_id: str, message: str, *, from_number: str | None = None
    ) -> SendMessageResult:
        """Send an SMS to a contact. Not retried once it may have been sent (GHLOutcomeUnknownError)."""
        body = {
            "type": "SMS",
            "contactId": _require(contact_id, "contact_id"),
            "message": _require(message, "message"),
        }
        if from_number is not None:
            body["fromNumber"] = from_number
        return self._model(ep.SEND_MESSAGE, location_id, CONVERSATION_MESSAGES, SendMessageResult, json=body)

    def send_email(
        self, location_id: str, contact_id: str, subject: str, html: str, *, email_from: str | None = None
    ) -> SendMessageResult:
        """Send an email to a contact. Not retried once it may have been sent (GHLOutcomeUnknownError)."""
        body = {"type": "Email", "contactId": _require(contact_id, "contact_id")}
        body.update(subject=_require(subject, "subject"), html=_require(html, "html"))
        if email_from is not None:
            body["emailFrom"] = email_from
        return self._model(ep.SEND_MESSAGE, location_id, CONVERSATION_MESSAGES, SendMessageResult, json=body)

    # -- contacts (Version 2021-07-28) -------------------------------------------------------------

    def get_contact(self, location_id: str, contact_id: str) -> Contact:
        """A contact with its per-channel `dndSettings`: read it before every send (ghl-api.md §4.3)."""
        path = f"/contacts/{_require(contact_id, 'contact_id')}"
        return self._model(ep.GET_CONTACT, location_id, path, Contact, key="contact")

    def update_contact(self, location_id: str, contact_id: str, fields: ContactFields) -> Contact:
        """Change the given fields of a contact and return it as GHL now has it."""
        body = fields.model_dump(mode="json", exclude_none=True)
        if not body:
            raise ValueError("update_contact needs at least one field set in `fields`")
        path = f"/contacts/{_require(contact_id, 'contact_id')}"
        return self._model(ep.UPDATE_CONTACT, location_id, path, Contact, key="contact", json=body)

    def upsert_contact(self, location_id: str, fields: ContactFields) -> UpsertContactResult:
        """Create the contact or update the one GHL matches by email/phone."""
        body = {"locationId": location_id, **fields.model_dump(mode="json", exclude_none=True)}
        if "email" not in body and "phone" not in body:
            raise ValueError("upsert_contact needs `fields.email` or `fields.phone` to match contacts by")
        return self._model(ep.UPSERT_CONTACT, location_id, "/contacts/upsert", UpsertContactResult, json=body)

    def search_contacts(
        self,
        location_id: str,
        *,
        query: str | None = None,
        filters: Sequence[SearchFilter | SearchGroup] = (),
        sort: Sequence[SearchSort] = (),
        page: int = 1,
        page_limit: int = 20,
        search_after: list[object] | None = None,
    ) -> SearchContactsResult:
        """Advanced contact search. Hits may lack `dndSettings` (ISS-43): get_contact before a send."""
        request = SearchContactsRequest(
            location_id=location_id,
            page=page,
            page_limit=page_limit,
            search_after=search_after,
            query=query,
            filters=list(filters),
            sort=list(sort),
        )
        body = request.model_dump(mode="json", exclude_none=True)
        return self._model(
            ep.SEARCH_CONTACTS, location_id, "/contacts/search", SearchContactsResult, json=body
        )

    def add_tags(self, location_id: str, contact_id: str, tags: Sequence[str]) -> list[str]:
        """Add tags to a contact (others kept); returns GHL's tag list."""
        return self._tags(ep.ADD_TAGS, location_id, contact_id, tags)

    def remove_tags(self, location_id: str, contact_id: str, tags: Sequence[str]) -> list[str]:
        """Remove tags from a contact; returns GHL's tag list."""
        return self._tags(ep.REMOVE_TAGS, location_id, contact_id, tags)

    def create_note(
        self, location_id: str, contact_id: str, body: str, *, user_id: str | None = None
    ) -> Note:
        """Add a note to a contact."""
        payload: dict[str, Any] = {"body": _require(body, "body")}
        if user_id is not None:
            payload["userId"] = user_id
        path = f"/contacts/{_require(contact_id, 'contact_id')}/notes"
        return self._model(ep.CREATE_NOTE, location_id, path, Note, key="note", json=payload)

    def create_task(
        self,
        location_id: str,
        contact_id: str,
        title: str,
        due_date: datetime,
        *,
        body: str | None = None,
        assigned_to: str | None = None,
        completed: bool = False,
    ) -> Task:
        """Create a task ("call this lead") on a contact; `due_date` must be timezone-aware."""
        if due_date.tzinfo is None:
            raise ValueError("due_date must be timezone-aware (GHL stores UTC); e.g. datetime.now(UTC)")
        payload: dict[str, Any] = {
            "title": _require(title, "title"),
            "dueDate": due_date.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "completed": completed,
        }
        if body is not None:
            payload["body"] = body
        if assigned_to is not None:
            payload["assignedTo"] = assigned_to
        path = f"/contacts/{_require(contact_id, 'contact_id')}/tasks"
        return self._model(ep.CREATE_TASK, location_id, path, Task, key="task", json=payload)

    # -- opportunities (Version 2021-07-28) --------------------------------------------------------

    def get_pipelines(self, location_id: str) -> list[Pipeline]:
        """The location's pipelines and stages (webhooks carry stage ids only)."""
        params = {"locationId": location_id}
        path = "/opportunities/pipelines"
        return self._model(ep.GET_PIPELINES, location_id, path, PipelinesResult, params=params).pipelines

    def update_opportunity(
        self,
        location_id: str,
        opportunity_id: str,
        *,
        pipeline_id: str | None = None,
        pipeline_stage_id: str | None = None,
        status: OpportunityStatus | None = None,
        monetary_value: float | None = None,
        assigned_to: str | None = None,
        name: str | None = None,
    ) -> Opportunity:
        """Move an opportunity's stage and/or change its status, value, assignee or name."""
        update = OpportunityUpdate(
            pipeline_id=pipeline_id,
            pipeline_stage_id=pipeline_stage_id,
            status=status,
            monetary_value=monetary_value,
            assigned_to=assigned_to,
            name=name,
        )
        body = update.model_dump(mode="json", exclude_none=True)
        if not body:
            raise ValueError("update_opportunity needs at least one of the keyword fields")
        path = f"/opportunities/{_require(opportunity_id, 'opportunity_id')}"
        return self._model(
            ep.UPDATE_OPPORTUNITY, location_id, path, Opportunity, key="opportunity", json=body
        )

    def update_opportunity_status(
        self,
        location_id: str,
        opportunity_id: str,
        status: OpportunityStatus,
        *,
        lost_reason_id: str | None = None,
    ) -> None:
        """Mark an opportunity open/won/lost/abandoned. GHL answers `{"succeded": true}` (sic)."""
        body = OpportunityUpdate(status=status).model_dump(mode="json", exclude_none=True)
        if lost_reason_id is not None:
            body["lostReasonId"] = lost_reason_id
        path = f"/opportunities/{_require(opportunity_id, 'opportunity_id')}/status"
        result = self._model(ep.UPDATE_OPPORTUNITY_STATUS, location_id, path, StatusResult, json=body)
        if not result.succeded:
            raise GHLValidationError(
                f"GHL PUT {path} for location {location_id} answered succeded=false; "
                "the status was not changed (check lostReasonId and the opportunity).",
                location_id=location_id,
                detail=result.model_dump(),
            )

    # -- plumbing ----------------------------------------------------------------------------------

    def _tags(self, endpoint: Endpoint, location_id: str, contact_id: str, tags: Sequence[str]) -> list[str]:
        if isinstance(tags, str) or not tags or not all(isinstance(t, str) and t.strip() for t in tags):
            raise ValueError(f"{endpoint.name} needs a non-empty list of non-empty tag strings, got {tags!r}")
        path = f"/contacts/{_require(contact_id, 'contact_id')}/tags"
        return self._model(endpoint, location_id, path, TagsResult, json={"tags": list(tags)}).tags

    def _model(
        self,
        endpoint: Endpoint,
        location_id: str,
        path: str,
        model: type[M],
        *,
        key: str | None = None,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> M:
        response = self._path.call(
            endpoint, _require(location_id, "location_id"), path, json=json, params=params
        )
        return read_model(response, model, endpoint=endpoint, location_id=location_id, key=key)

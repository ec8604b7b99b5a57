"""`GET /stream`: a location's live feed (SSE), replayed from the activity table.

Every event carries its activity id as the SSE `id`, so a client that reconnects with
`Last-Event-ID` (browsers do it automatically) resumes exactly where it left off — nothing is missed
across API restarts, because the feed is the table, not a memory buffer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.auth import LocationAuthDep, require_location
from api.deps import EngineDep
from hub.live_feed import ActivitySignal
from hub.store.activity_log import activity_after

router = APIRouter(tags=["live"])


def _next_rows(engine: Engine, location_id: str, after: int) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [
            {
                "id": row.id,
                "kind": row.kind,
                "contact_id": row.contact_id,
                "payload": row.payload,
                "created_at": row.created_at.isoformat(),
            }
            for row in activity_after(session, location_id, after, limit=200)
        ]


def _authorised_location(
    auth: LocationAuthDep, location: Annotated[str, Query(description="The GHL locationId to follow.")]
) -> str:
    # A dependency, not a check inside the generator: the 403 must be sent before the stream starts.
    require_location(auth, location)
    return location


@router.get("/stream", response_class=EventSourceResponse, summary="Live feed of a location (SSE)")
async def stream(
    request: Request,
    engine: EngineDep,
    location: Annotated[str, Depends(_authorised_location)],
    last_event_id: Annotated[str | None, Header(description="Resume after this activity id.")] = None,
    after: Annotated[int | None, Query(ge=0, description="Start after this activity id.")] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Lead updates, messages, STOPs, scores and workflow steps as they are written."""
    cursor = int(last_event_id) if last_event_id and last_event_id.isdigit() else (after or 0)
    signal: ActivitySignal = request.app.state.activity_signal
    while not await request.is_disconnected():
        rows = await run_in_threadpool(_next_rows, engine, location, cursor)
        for row in rows:
            cursor = row["id"]
            yield ServerSentEvent(id=str(row["id"]), event=row["kind"], data=row)
        if not rows:
            await signal.wait(location)

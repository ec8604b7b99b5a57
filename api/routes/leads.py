"""Lead lookup for operators: one lead with its scores, reasons and timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.auth import LocationAuthDep, require_location
from api.deps import EngineDep
from hub.lead_view import LeadView, lead_view

router = APIRouter(prefix="/leads", tags=["leads"])


def _load(engine: Engine, location_id: str, contact_id: str) -> LeadView | None:
    with Session(engine) as session:
        return lead_view(session, location_id, contact_id)


@router.get("/{contact_id}", summary="One lead: profile, DND/opt-out, latest scores with reasons, timeline")
async def get_lead(
    contact_id: str,
    auth: LocationAuthDep,
    engine: EngineDep,
    location: Annotated[str, Query(description="The GHL locationId the lead belongs to.")],
) -> LeadView:
    """404 when the location has no such lead; a key never reads another location's leads."""
    require_location(auth, location)
    view = await run_in_threadpool(_load, engine, location, contact_id)
    if view is None:
        raise HTTPException(404, f"no lead {contact_id!r} in location {location!r}")
    return view

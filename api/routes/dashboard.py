"""The operator dashboard: one static page (api/static/) and the JSON it reads, per location.

The page holds no data: it asks for the location's API key, keeps it in the tab's sessionStorage,
sends it in the X-Hub-Key header (never in a URL, so no access log ever records it) and reads
`/dashboard/api/*` and the live feed `GET /stream` with it. A key opens its own location only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.auth import LocationAuthDep, require_location
from api.deps import EngineDep
from hub.dashboard import FeedItem, LocationInfo, Overview, location_info, overview, recent_activity
from hub.dashboard.leads import LeadTable, lead_rows

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# The page loads only its own script and style, and is never framed or sent as a referrer.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

router = APIRouter(tags=["dashboard"])
router.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")

T = TypeVar("T")
LocationQuery = Annotated[str, Query(description="The GHL locationId (the key's own location).")]


@router.get("/dashboard", include_in_schema=False)
async def dashboard_page() -> FileResponse:
    """The dashboard page; it asks for the API key itself."""
    return FileResponse(STATIC_DIR / "dashboard.html", media_type="text/html", headers=PAGE_HEADERS)


def _with_session(engine: Engine, read: Callable[[Session], T]) -> T:
    with Session(engine) as session:
        return read(session)


@router.get("/dashboard/api/session", summary="The location the API key belongs to")
async def dashboard_session(auth: LocationAuthDep, engine: EngineDep) -> LocationInfo:
    """Lets the page sign in with the key alone: the key names its location."""
    info = await run_in_threadpool(_with_session, engine, lambda s: location_info(s, auth.location_id))
    if info is None:
        raise HTTPException(404, f"location {auth.location_id!r} is no longer registered")
    return info


@router.get("/dashboard/api/overview", summary="Funnel, speed to lead, tiers, workflows, intake")
async def dashboard_overview(auth: LocationAuthDep, engine: EngineDep, location: LocationQuery) -> Overview:
    require_location(auth, location)
    now = datetime.now(UTC)
    found = await run_in_threadpool(_with_session, engine, lambda s: overview(s, location, now=now))
    if found is None:
        raise HTTPException(404, f"location {location!r} is not registered")
    return found


@router.get("/dashboard/api/leads", summary="Leads with stage, scores and reasons, hottest first")
async def dashboard_leads(
    auth: LocationAuthDep,
    engine: EngineDep,
    location: LocationQuery,
    limit: Annotated[int, Query(ge=1, le=1000, description="Rows to return.")] = 100,
) -> LeadTable:
    require_location(auth, location)
    return await run_in_threadpool(_with_session, engine, lambda s: lead_rows(s, location, limit=limit))


@router.get("/dashboard/api/activity", summary="The newest items of the live feed")
async def dashboard_activity(
    auth: LocationAuthDep,
    engine: EngineDep,
    location: LocationQuery,
    limit: Annotated[int, Query(ge=1, le=500, description="Items to return.")] = 50,
) -> list[FeedItem]:
    """Oldest first; the page then follows `GET /stream?after=<newest id>`."""
    require_location(auth, location)
    return await run_in_threadpool(_with_session, engine, lambda s: recent_activity(s, location, limit=limit))

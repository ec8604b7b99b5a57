"""Listings for operators and integrations: import a feed, a lead's matches, a listing's buyers."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.auth import LocationAuthDep, require_location
from api.deps import EngineDep
from hub.errors import ListingImportError
from hub.listings.importer import import_listings
from hub.listings.matches import LeadMatch, ListingBuyer, lead_matches, listing_buyers
from hub.listings.source import MAX_BYTES
from hub.store.models import Contact, Listing

log = logging.getLogger(__name__)
router = APIRouter(tags=["listings"])
LocationQuery = Annotated[str, Query(description="The GHL locationId (must be the API key's).")]


def _import(
    engine: Engine, location_id: str, body: bytes, fmt: Literal["csv", "json"] | None
) -> dict[str, Any]:
    with Session(engine) as session, session.begin():
        return import_listings(session, location_id, body, fmt=fmt, name="the request body").to_json()


def _announce(location_id: str, report: dict[str, Any]) -> None:
    from prefect.settings import PREFECT_API_URL

    # Without a Prefect server there is no deployment to trigger (and emitting would start a
    # throw-away one in this process); the daily schedule or `hub run match-listings` catches up.
    if not PREFECT_API_URL.value():
        return
    from tasks.listing_matching import announce_import

    announce_import(location_id, report)


def _format(request: Request, given: str | None) -> Literal["csv", "json"] | None:
    if given is not None:
        if given not in ("csv", "json"):
            raise HTTPException(422, f"format {given!r}: use csv or json")
        return "csv" if given == "csv" else "json"
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("text/csv", "application/csv", "text/tab-separated-values"):
        return "csv"
    if content_type.endswith("json"):
        return "json"
    return None  # sniffed from the content


@router.post(
    "/listings",
    summary="Import listings (CSV or JSON body, RESO-like fields); bad rows are reported, good rows kept",
)
async def post_listings(
    request: Request,
    auth: LocationAuthDep,
    engine: EngineDep,
    location: Annotated[str | None, Query(description="Defaults to the API key's location.")] = None,
    format: Annotated[str | None, Query(description="csv or json; default from Content-Type.")] = None,
) -> JSONResponse:
    """200 with the report when at least one row was imported (rejected rows listed with their row
    and field); 422 when the file cannot be imported or every row was rejected."""
    location_id = location or auth.location_id
    require_location(auth, location_id)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise HTTPException(413, f"the body is {int(declared) // 1_048_576} MiB; send files under 50 MiB")
    body = await request.body()
    try:
        report = await run_in_threadpool(_import, engine, location_id, body, _format(request, format))
    except ListingImportError as exc:
        raise HTTPException(422, str(exc)) from None
    if report["imported"]:
        await run_in_threadpool(_announce, location_id, report)
    status = 422 if report["rejected"] and not report["imported"] else 200
    return JSONResponse(report, status_code=status)


def _lead_matches(engine: Engine, location_id: str, contact_id: str, limit: int) -> list[LeadMatch] | None:
    with Session(engine) as session:
        if session.get(Contact, (location_id, contact_id)) is None:
            return None
        return lead_matches(session, location_id, contact_id, limit=limit)


@router.get("/leads/{contact_id}/matches", summary="A lead's top listing matches, with the reasons")
async def get_lead_matches(
    contact_id: str,
    auth: LocationAuthDep,
    engine: EngineDep,
    location: LocationQuery,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[LeadMatch]:
    """Best first; only listings still Active. 404 when the location has no such lead."""
    require_location(auth, location)
    found = await run_in_threadpool(_lead_matches, engine, location, contact_id, limit)
    if found is None:
        raise HTTPException(404, f"no lead {contact_id!r} in location {location!r}")
    return found


def _buyers(engine: Engine, location_id: str, listing_id: str, limit: int) -> list[ListingBuyer] | None:
    with Session(engine) as session:
        if session.get(Listing, (location_id, listing_id)) is None:
            return None
        return listing_buyers(session, location_id, listing_id, limit=limit)


@router.get(
    "/listings/{listing_id}/buyers", summary="Who should I call about this listing? Buyers it fits best"
)
async def get_listing_buyers(
    listing_id: str,
    auth: LocationAuthDep,
    engine: EngineDep,
    location: LocationQuery,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ListingBuyer]:
    """Buyers for whom this listing ranks highest first, with reasons. 404 when the location has
    no such listing."""
    require_location(auth, location)
    found = await run_in_threadpool(_buyers, engine, location, listing_id, limit)
    if found is None:
        raise HTTPException(404, f"no listing {listing_id!r} in location {location!r}")
    return found

"""Per-location API keys: a key opens exactly one location's data, never another's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.deps import EngineDep
from hub.store.models import Location
from hub.webhooks.location_secret import hash_secret


@dataclass(frozen=True)
class LocationAuth:
    location_id: str


def _location_for_key(engine: Engine, key: str) -> str | None:
    with Session(engine) as session:
        return session.scalar(select(Location.id).where(Location.api_key_hash == hash_secret(key)))


async def _authenticate(
    engine: EngineDep,
    x_hub_key: Annotated[str | None, Header(description="The location's API key.")] = None,
    key: Annotated[
        str | None, Query(description="The API key, for browsers' EventSource (no headers).")
    ] = None,
) -> LocationAuth:
    supplied = x_hub_key or key
    if not supplied:
        raise HTTPException(401, "missing API key: send the X-Hub-Key header (or ?key= for EventSource)")
    location_id = await run_in_threadpool(_location_for_key, engine, supplied)
    if location_id is None:
        raise HTTPException(401, "unknown API key; `hub locations add` issues one per location")
    return LocationAuth(location_id)


LocationAuthDep = Annotated[LocationAuth, Depends(_authenticate)]


def require_location(auth: LocationAuth, location_id: str) -> None:
    """403 unless the key belongs to `location_id`: keys never cross tenants."""
    if auth.location_id != location_id:
        raise HTTPException(403, "this API key belongs to another location")

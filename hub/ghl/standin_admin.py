"""The stand-in's own admin API under `/_standin/` (not GHL's), and a typed client for it.

Register locations and their tokens, seed contacts / pipelines / opportunities, set limits and
faults, read what the stand-in received (the request log never holds a token) and what it did
(messages, notes, tasks), reset. Meant for a loopback stand-in: the admin API has no auth.
"""

from __future__ import annotations

from typing import Any, cast

import httpx
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, SecretStr

from hub.ghl.standin_routes import GHLHTTPError
from hub.ghl.standin_state import Faults, LocationData, StandinConfig, StandinState, new_id, now_iso

ADMIN_PREFIX = "/_standin"


class LocationIn(BaseModel):
    """A location to register: its id, its API token and an optional display name."""

    model_config = ConfigDict(extra="forbid")

    location_id: str
    token: SecretStr
    name: str = ""


def _state(request: Request) -> StandinState:
    return cast(StandinState, request.app.state.standin)


def _location(request: Request, location_id: str) -> LocationData:
    location = _state(request).locations.get(location_id)
    if location is None:
        raise GHLHTTPError(
            404, f"stand-in: location {location_id} is not registered (POST {ADMIN_PREFIX}/locations)"
        )
    return location


def _seed_contact(location: LocationData, raw: dict[str, Any]) -> dict[str, Any]:
    contact = {"dnd": False, "tags": [], "dateAdded": now_iso(), **raw}
    contact.setdefault("id", new_id("Ct"))
    contact["locationId"] = location.location_id
    if "name" not in contact and (contact.get("firstName") or contact.get("lastName")):
        contact["name"] = " ".join(p for p in (contact.get("firstName"), contact.get("lastName")) if p)
    location.contacts[contact["id"]] = contact
    return contact


def _seed_pipeline(location: LocationData, raw: dict[str, Any]) -> dict[str, Any]:
    pipeline = {"id": new_id("Pl"), "locationId": location.location_id, **raw}
    pipeline["stages"] = [
        {"id": stage.get("id") or new_id("St"), "position": i, **stage}
        for i, stage in enumerate(raw.get("stages", []))
    ]
    location.pipelines = [p for p in location.pipelines if p["id"] != pipeline["id"]] + [pipeline]
    return pipeline


router = APIRouter(prefix=ADMIN_PREFIX, tags=["stand-in admin"])


@router.post("/locations", status_code=201)
async def register_location(body: LocationIn, request: Request) -> dict[str, str]:
    """Register a location and the token that acts for it."""
    try:
        _state(request).register(body.location_id, body.token, body.name)
    except ValueError as exc:
        raise GHLHTTPError(409, f"stand-in: {exc}") from None
    return {"locationId": body.location_id}


@router.post("/locations/{location_id}/contacts", status_code=201)
async def seed_contacts(location_id: str, body: list[dict[str, Any]], request: Request) -> dict[str, Any]:
    """Add contacts (GHL shape; `id` generated when absent)."""
    location = _location(request, location_id)
    return {"contacts": [_seed_contact(location, raw) for raw in body]}


@router.post("/locations/{location_id}/pipelines", status_code=201)
async def seed_pipelines(location_id: str, body: list[dict[str, Any]], request: Request) -> dict[str, Any]:
    """Add pipelines with their stages (ids generated when absent)."""
    location = _location(request, location_id)
    return {"pipelines": [_seed_pipeline(location, raw) for raw in body]}


@router.post("/locations/{location_id}/opportunities", status_code=201)
async def seed_opportunities(
    location_id: str, body: list[dict[str, Any]], request: Request
) -> dict[str, Any]:
    """Add opportunities (GHL shape; `id` generated when absent)."""
    location = _location(request, location_id)
    created = []
    for raw in body:
        opportunity = {"id": new_id("Op"), "status": "open", "dateAdded": now_iso(), **raw}
        location.opportunities[opportunity["id"]] = opportunity
        created.append(opportunity)
    return {"opportunities": created}


@router.get("/locations/{location_id}/{collection}")
async def read_collection(location_id: str, collection: str, request: Request) -> dict[str, Any]:
    """What the location holds now: contacts, messages, notes, tasks, pipelines or opportunities."""
    location = _location(request, location_id)
    views: dict[str, Any] = {
        "contacts": list(location.contacts.values()),
        "messages": location.messages,
        "notes": location.notes,
        "tasks": location.tasks,
        "pipelines": location.pipelines,
        "opportunities": list(location.opportunities.values()),
    }
    if collection not in views:
        raise GHLHTTPError(404, f"stand-in: unknown collection {collection!r}; one of {sorted(views)}")
    return {collection: views[collection]}


@router.put("/config")
async def configure(body: StandinConfig, request: Request) -> StandinConfig:
    """Change the rate limits (windows restart empty)."""
    _state(request).configure(body)
    return body


@router.put("/faults")
async def set_faults(body: Faults, request: Request) -> Faults:
    """Replace the injected faults."""
    _state(request).set_faults(body)
    return body


@router.delete("/faults")
async def clear_faults(request: Request) -> Faults:
    """Stop injecting faults."""
    _state(request).set_faults(Faults())
    return Faults()


@router.get("/requests")
async def request_log(request: Request, location_id: str | None = None) -> dict[str, Any]:
    """Every GHL-API request received (oldest first): at, method, path, location_id, status, fault."""
    records = _state(request).requests
    return {"requests": [r for r in records if location_id is None or r["location_id"] == location_id]}


@router.delete("/requests")
async def clear_request_log(request: Request) -> dict[str, int]:
    """Empty the request log."""
    state = _state(request)
    dropped = len(state.requests)
    state.requests.clear()
    return {"dropped": dropped}


@router.post("/reset")
async def reset(request: Request) -> dict[str, bool]:
    """Forget all locations, data, faults, logged requests and config changes."""
    _state(request).reset()
    return {"reset": True}


class StandinAdmin:
    """A client of the admin API, for tests, benchmarks and the demo."""

    def __init__(self, base_url: str, *, timeout_s: float = 10.0) -> None:
        self._http = httpx.Client(base_url=base_url + ADMIN_PREFIX, timeout=timeout_s)

    def close(self) -> None:
        """Close the admin connection."""
        self._http.close()

    def _send(self, method: str, path: str, body: object = None, params: dict[str, str] | None = None) -> Any:
        response = self._http.request(method, path, json=body, params=params)
        if response.status_code >= 400:
            raise RuntimeError(
                f"stand-in admin {method} {path} failed: {response.status_code} {response.text}"
            )
        return response.json()

    def register_location(self, location_id: str, token: str, name: str = "") -> None:
        """Make `token` act for `location_id`."""
        self._send("POST", "/locations", {"location_id": location_id, "token": token, "name": name})

    def _items(
        self, method: str, path: str, key: str, body: object = None, params: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._send(method, path, body, params)[key])

    def seed_contacts(self, location_id: str, contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add contacts; returns them with their ids."""
        return self._items("POST", f"/locations/{location_id}/contacts", "contacts", contacts)

    def seed_pipelines(self, location_id: str, pipelines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add pipelines (with `stages`); returns them with their ids."""
        return self._items("POST", f"/locations/{location_id}/pipelines", "pipelines", pipelines)

    def seed_opportunities(self, location_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add opportunities; returns them with their ids."""
        return self._items("POST", f"/locations/{location_id}/opportunities", "opportunities", items)

    def collection(self, location_id: str, name: str) -> list[dict[str, Any]]:
        """contacts, messages, notes, tasks, pipelines or opportunities of a location."""
        return self._items("GET", f"/locations/{location_id}/{name}", name)

    def configure(
        self, *, rate_limit_max: int = 100, rate_limit_interval_s: float = 10.0, daily_limit: int = 200_000
    ) -> None:
        """Set the per-location limits."""
        body = {
            "rate_limit_max": rate_limit_max,
            "rate_limit_interval_s": rate_limit_interval_s,
            "daily_limit": daily_limit,
        }
        self._send("PUT", "/config", body)

    def set_faults(self, **faults: Any) -> None:
        """Inject faults; keywords are the fields of `Faults`."""
        self._send("PUT", "/faults", Faults(**faults).model_dump())

    def clear_faults(self) -> None:
        """Stop injecting faults."""
        self._send("DELETE", "/faults")

    def requests(self, location_id: str | None = None) -> list[dict[str, Any]]:
        """The request log, oldest first: at, method, path, location_id, status, fault, duration_ms."""
        params = {"location_id": location_id} if location_id else None
        return self._items("GET", "/requests", "requests", params=params)

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._send("DELETE", "/requests")

    def reset(self) -> None:
        """Forget all locations, data, faults, logged requests and config changes."""
        self._send("POST", "/reset")

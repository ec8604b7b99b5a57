"""In-memory state of the GHL stand-in: locations and their data, rate windows, faults, request log.

The stand-in serves every request on one asyncio event loop (all its routes are `async def`), so
this state is only ever touched from that loop's thread and needs no lock.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

FaultKind = Literal["429", "5xx", "timeout"]


def new_id(prefix: str = "") -> str:
    """A GHL-looking opaque id (GHL ids are ~20 alphanumerics)."""
    return prefix + uuid.uuid4().hex[: 20 - len(prefix)]


def now_iso() -> str:
    """The current UTC time the way GHL writes it: `2026-09-10T15:02:11.120Z`."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class StandinConfig(BaseModel):
    """Limits the stand-in enforces per location (GHL: 100 requests / 10 s, 200,000 / day)."""

    model_config = ConfigDict(extra="forbid")

    rate_limit_max: int = Field(100, ge=1, description="Requests accepted per interval per location.")
    rate_limit_interval_s: float = Field(10.0, gt=0, description="Length of the sliding window.")
    daily_limit: int = Field(200_000, ge=1, description="Requests accepted per location per run.")


class Faults(BaseModel):
    """Faults to inject. `*_next` counts are used up first; then `*_rate` applies (0..1)."""

    model_config = ConfigDict(extra="forbid")

    location_id: str | None = Field(None, description="Only this location's requests; None = all.")
    status_429_next: int = Field(0, ge=0)
    status_429_rate: float = Field(0.0, ge=0, le=1)
    status_5xx_next: int = Field(0, ge=0)
    status_5xx_rate: float = Field(0.0, ge=0, le=1)
    status_5xx_code: int = Field(500, ge=500, le=599)
    status_5xx_after_effect: bool = Field(
        False, description="Process the request, then answer 5xx: the change happened (like ISS-6)."
    )
    timeout_next: int = Field(0, ge=0)
    timeout_rate: float = Field(0.0, ge=0, le=1)
    timeout_hold_s: float = Field(
        30.0,
        ge=0,
        description="Hold before processing; longer than the client timeout. The change "
        "still happens afterwards, as when GHL answers too late.",
    )
    latency_ms: float = Field(0.0, ge=0, description="Added to every request.")
    seed: int | None = Field(None, description="Seed for the `*_rate` draws.")


@dataclass
class LocationData:
    """One sub-account: its token and its GHL objects, stored as GHL-shaped JSON dicts."""

    location_id: str
    token: SecretStr
    name: str = ""
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    conversations: dict[str, str] = field(default_factory=dict)  # contactId -> conversationId
    messages: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    window: deque[float] = field(default_factory=deque)  # monotonic times of admitted requests
    daily_count: int = 0


class StandinState:
    """Everything the stand-in knows; created by `create_standin_app`."""

    def __init__(self, config: StandinConfig | None = None) -> None:
        self.initial_config = config or StandinConfig()
        self.config = self.initial_config
        self.locations: dict[str, LocationData] = {}
        # token -> its location: every request looks its bearer token up (kept by register/reset).
        self._by_token: dict[str, LocationData] = {}
        self.requests: list[dict[str, Any]] = []
        self.faults = Faults()
        self._fault_budget: dict[FaultKind, int] = {}
        self._random = random.Random()

    def reset(self) -> None:
        """Forget every location, fault, logged request and config change."""
        self.config = self.initial_config
        self.locations.clear()
        self._by_token.clear()
        self.requests.clear()
        self.set_faults(Faults())

    # -- locations ---------------------------------------------------------------------------------

    def register(self, location_id: str, token: SecretStr, name: str = "") -> LocationData:
        """Add a location (or replace its token); a token can belong to one location only."""
        owner = self._by_token.get(token.get_secret_value())
        if owner is not None and owner.location_id != location_id:
            raise ValueError(f"that token already belongs to location {owner.location_id}")
        existing = self.locations.get(location_id)
        if existing is not None:
            del self._by_token[existing.token.get_secret_value()]
            existing.token, existing.name = token, name or existing.name
        else:
            existing = self.locations[location_id] = LocationData(location_id, token, name)
        self._by_token[token.get_secret_value()] = existing
        return existing

    def location_for_token(self, token: str) -> LocationData | None:
        """The location a bearer token belongs to."""
        return self._by_token.get(token)

    # -- rate limit --------------------------------------------------------------------------------

    def admit(self, location: LocationData) -> bool:
        """Count the request against its location's window; False when it must be answered 429."""
        now = time.monotonic()
        interval = self.config.rate_limit_interval_s
        while location.window and location.window[0] <= now - interval:
            location.window.popleft()
        if (
            len(location.window) >= self.config.rate_limit_max
            or location.daily_count >= self.config.daily_limit
        ):
            return False
        location.window.append(now)
        location.daily_count += 1
        return True

    def rate_headers(self, location: LocationData) -> dict[str, str]:
        """The `X-RateLimit-*` headers GHL sends on every answer (ghl-api.md §4.1)."""
        cfg = self.config
        return {
            "X-RateLimit-Limit-Daily": str(cfg.daily_limit),
            "X-RateLimit-Daily-Remaining": str(max(0, cfg.daily_limit - location.daily_count)),
            "X-RateLimit-Interval-Milliseconds": str(round(cfg.rate_limit_interval_s * 1000)),
            "X-RateLimit-Max": str(cfg.rate_limit_max),
            "X-RateLimit-Remaining": str(max(0, cfg.rate_limit_max - len(location.window))),
        }

    def configure(self, config: StandinConfig) -> None:
        """Change the limits; every location's window starts empty."""
        self.config = config
        for location in self.locations.values():
            location.window.clear()

    # -- faults ------------------------------------------------------------------------------------

    def set_faults(self, faults: Faults) -> None:
        """Replace the injected faults."""
        self.faults = faults
        self._fault_budget = {
            "429": faults.status_429_next,
            "5xx": faults.status_5xx_next,
            "timeout": faults.timeout_next,
        }
        self._random = random.Random(faults.seed)

    def draw_fault(self, location_id: str) -> FaultKind | None:
        """The fault to inject into this request, if any (counted faults first, then rates)."""
        faults = self.faults
        if faults.location_id is not None and faults.location_id != location_id:
            return None
        kinds: tuple[FaultKind, ...] = ("timeout", "5xx", "429")
        for kind in kinds:
            left = self._fault_budget.get(kind, 0)
            if left > 0:
                self._fault_budget[kind] = left - 1
                return kind
        rates = {"timeout": faults.timeout_rate, "5xx": faults.status_5xx_rate, "429": faults.status_429_rate}
        for kind in kinds:
            if rates[kind] > 0 and self._random.random() < rates[kind]:
                return kind
        return None

    # -- request log -------------------------------------------------------------------------------

    def log_request(self, method: str, path: str, location_id: str | None) -> dict[str, Any]:
        """Append a record for a request that just arrived; its status is filled in when answered."""
        record: dict[str, Any] = {
            "at": time.time(),
            "method": method,
            "path": path,
            "location_id": location_id,
            "status": None,
            "fault": None,
            "duration_ms": None,
        }
        self.requests.append(record)
        return record

"""What a simulation is asked to produce: sizes, seed, window and noise levels, validated."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.errors import SimulationError

# A fixed default so that no output ever depends on the wall clock.
DEFAULT_START = datetime(2026, 3, 2, tzinfo=UTC)
# More leads per agent than this is not a brokerage any more but a call centre; the behaviour
# model (agents reply to every engaged lead) would stop being plausible.
MAX_LEADS_PER_AGENT = 2_500


class SimulationConfig(BaseModel):
    """Sizes, seed, window and delivery noise of one simulated brokerage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    leads: int = Field(1_000, ge=1, le=2_000_000, description="Number of leads arriving in the window.")
    days: int = Field(90, ge=1, le=3_650, description="Length of the simulated window in days.")
    seed: int = Field(7, ge=0, lt=2**63, description="Seed of every random draw; same seed, same bytes.")
    locations: int = Field(1, ge=1, le=200, description="Number of GHL sub-accounts (locations).")
    agents_per_location: int = Field(6, ge=1, le=200, description="Agents (GHL users) per location.")
    start: datetime = Field(DEFAULT_START, description="Start of day 0; must be timezone-aware.")
    listings_per_area: int = Field(40, ge=1, le=5_000, description="Listings in each area's inventory.")
    duplicate_rate: float = Field(
        0.015, ge=0.0, le=0.2, description="Share of signed deliveries GHL re-delivers (429 retry)."
    )
    late_rate: float = Field(
        0.02, ge=0.0, le=0.5, description="Share of deliveries delayed by minutes (out of order)."
    )
    new_payload_share: float = Field(
        0.5, ge=0.0, le=1.0, description="Share of message events in the 2026 shape (from/to, typeId)."
    )
    horizons_days: tuple[Annotated[int, Field(ge=1, le=365)], ...] = Field(
        (7, 30), min_length=1, max_length=6, description="Oracle horizons H: probabilities over (t, t+H]."
    )

    @field_validator("start")
    @classmethod
    def _aware_start(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("start must be timezone-aware, e.g. datetime(2026, 3, 2, tzinfo=UTC)")
        return value.astimezone(UTC)

    @field_validator("horizons_days")
    @classmethod
    def _distinct_horizons(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"horizons must be distinct, got {value}")
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _plausible_brokerage(self) -> SimulationConfig:
        agents = self.locations * self.agents_per_location
        if self.leads > agents * MAX_LEADS_PER_AGENT:
            raise SimulationError(
                f"leads={self.leads} is more than {MAX_LEADS_PER_AGENT} per agent for {agents} agents; "
                "raise agents_per_location or locations"
            )
        return self

    @property
    def start_ms(self) -> int:
        """Start of day 0 in epoch milliseconds."""
        return round(self.start.timestamp() * 1000)

"""Bad simulation requests fail with an error that names the field and the fix."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from hub.errors import SimulationError
from hub.simulator import SimulationConfig, simulate


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"leads": 0}, "leads"),
        ({"days": 0}, "days"),
        ({"seed": -1}, "seed"),
        ({"locations": 0}, "locations"),
        ({"agents_per_location": 0}, "agents_per_location"),
        ({"duplicate_rate": 0.5}, "duplicate_rate"),
        ({"new_payload_share": 1.5}, "new_payload_share"),
        ({"horizons_days": ()}, "horizons_days"),
        ({"horizons_days": (7, 7)}, "horizons_days"),
        ({"horizons_days": (0,)}, "horizons_days"),
        ({"start": datetime(2026, 3, 2)}, "start"),
        ({"leads": "many"}, "leads"),
        ({"lead": 10}, "lead"),
    ],
)
def test_invalid_values_name_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        SimulationConfig(**overrides)  # type: ignore[arg-type]
    assert field in {str(error["loc"][0]) for error in raised.value.errors()}


def test_naive_start_says_how_to_fix_it() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        SimulationConfig(start=datetime(2026, 3, 2))


def test_an_implausible_brokerage_is_a_simulation_error() -> None:
    with pytest.raises(SimulationError, match="agents_per_location"):
        SimulationConfig(leads=100_000, locations=1, agents_per_location=2)


def test_simulate_needs_a_config() -> None:
    with pytest.raises(SimulationError, match="SimulationConfig"):
        simulate({"leads": 10})  # type: ignore[arg-type]


def test_valid_config_is_normalised() -> None:
    config = SimulationConfig(horizons_days=(30, 7))
    assert config.horizons_days == (7, 30)
    assert config.start.utcoffset() is not None

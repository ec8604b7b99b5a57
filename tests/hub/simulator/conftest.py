"""Shared simulations: one mid-sized run for the statistical tests, written once to disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.simulator import Simulation, SimulationConfig, SimulationFiles, simulate, write_simulation

# Big enough for the statistical tests (a few hundred leads), small enough to run in ~2 s.
MEDIUM = SimulationConfig(leads=400, days=45, seed=11, locations=2, horizons_days=(7, 14))


@pytest.fixture(scope="session")
def sim() -> Simulation:
    """400 leads over 45 days in two locations."""
    return simulate(MEDIUM)


@pytest.fixture(scope="session")
def bodies(sim: Simulation) -> list[dict[str, Any]]:
    """Every delivery's decoded body, in arrival order."""
    return [json.loads(d.body) for d in sim.deliveries]


@pytest.fixture(scope="session")
def ghl_bodies(sim: Simulation) -> list[dict[str, Any]]:
    """The decoded bodies of the signed (marketplace) deliveries."""
    return [json.loads(d.body) for d in sim.deliveries if d.route == "ghl"]


@pytest.fixture(scope="session")
def files(sim: Simulation, tmp_path_factory: pytest.TempPathFactory) -> SimulationFiles:
    """`sim` written to a temporary directory."""
    return write_simulation(sim, Path(tmp_path_factory.mktemp("sim")))

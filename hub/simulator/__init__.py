"""A seeded simulator of a brokerage's GoHighLevel webhook traffic, driven by latent lead intent.

    sim = simulate(SimulationConfig(leads=5_000, days=90, seed=7))
    files = write_simulation(sim, Path("out"))
    for delivery in load_deliveries(files.deliveries): ...

`sim.world` and `sim.deliveries` are what a model may see; `sim.oracle` is the latent truth.
The story, the oracle's exact definitions and the noise are described in docs/simulator.md.
"""

from __future__ import annotations

from hub.simulator.config import SimulationConfig
from hub.simulator.delivery import Delivery
from hub.simulator.io import SimulationFiles, load_deliveries, write_simulation
from hub.simulator.oracle import Oracle
from hub.simulator.signing import TEST_PUBLIC_KEY_PEM, sign, verify
from hub.simulator.simulation import Simulation, simulate
from hub.simulator.summary import main

__all__ = [
    "TEST_PUBLIC_KEY_PEM",
    "Delivery",
    "Oracle",
    "Simulation",
    "SimulationConfig",
    "SimulationFiles",
    "load_deliveries",
    "main",
    "sign",
    "simulate",
    "verify",
    "write_simulation",
]

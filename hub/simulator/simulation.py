"""`simulate(config)`: a whole brokerage's webhook traffic, plus the oracle kept apart from it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hub.errors import SimulationError
from hub.simulator import payloads
from hub.simulator.behaviour import LatentPath, run
from hub.simulator.config import SimulationConfig
from hub.simulator.context import DAY_MS, Context
from hub.simulator.delivery import Delivery, Noise, Timeline, deliver
from hub.simulator.identifiers import Draws
from hub.simulator.latent import Dynamics, build_dynamics
from hub.simulator.leads import Leads, build_leads
from hub.simulator.listings import ListingIndex
from hub.simulator.oracle import Oracle, build_oracle
from hub.simulator.world import World, build_world


@dataclass(frozen=True, slots=True)
class Simulation:
    """The result: world (what GHL's API would say), deliveries in arrival order, and the oracle.

    A model may see `world` and `deliveries`; `oracle`, `leads`, `dynamics` and `path` are the
    latent truth and must only be used to score models.
    """

    config: SimulationConfig
    world: World
    deliveries: list[Delivery]
    oracle: Oracle
    leads: Leads
    dynamics: Dynamics
    path: LatentPath
    counts_by_type: dict[str, int]


def simulate(config: SimulationConfig) -> Simulation:
    """Generate the brokerage, run the latent process over the window, and deliver its traffic."""
    if not isinstance(config, SimulationConfig):
        raise SimulationError(f"simulate() needs a SimulationConfig, got {type(config).__name__}")
    rng = np.random.default_rng(config.seed)
    draws = Draws(rng)
    start_ms = config.start_ms
    world = build_world(
        rng,
        draws,
        locations=config.locations,
        agents_per_location=config.agents_per_location,
        listings_per_area=config.listings_per_area,
        start_ms=start_ms,
        days=config.days,
    )
    leads = build_leads(rng, draws, world, config.leads, config.days, start_ms)
    dynamics = build_dynamics(leads.traits)
    timeline = Timeline(start_ms, start_ms + config.days * DAY_MS, draws, world.app_id, world.version_id)
    for position, location in enumerate(world.locations):
        # The app is installed on every location before any other traffic (ghl-api.md §1.4 INSTALL).
        timeline.add(
            start_ms + 1_000 * (position + 1),
            payloads.install(world, location, location.agents[0].id),
            location.id,
        )
    indexes = [
        ListingIndex(location.listings, tuple(market.id for market in location.markets))
        for location in world.locations
    ]
    ctx = Context(
        world,
        leads,
        draws,
        timeline,
        start_ms,
        config.days,
        config.new_payload_share,
        indexes,
        [None] * leads.n,
    )
    path = run(ctx, dynamics, rng)
    deliveries, counts = deliver(timeline, draws, Noise(config.duplicate_rate, config.late_rate))
    first_agents = [
        world.locations[int(loc)].agents[int(a)].id
        for loc, a in zip(leads.location, leads.agent, strict=True)
    ]
    oracle = build_oracle(world, leads, dynamics, path, config.horizons_days, start_ms, first_agents)
    return Simulation(config, world, deliveries, oracle, leads, dynamics, path, counts)

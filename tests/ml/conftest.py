"""Shared ML fixtures: one small simulated brokerage, its timeline, and models trained on it once.

500 leads over 60 days in two locations: ~20k deliveries, simulated and turned into a timeline in
a few seconds; every model fixture trains in about a second (2 threads).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hub.simulator import Simulation, SimulationConfig, simulate
from ml.catalog import CrmCatalog, catalog_from_world
from ml.timeline import Timeline, timeline_from_deliveries
from ml.training import TrainingResult, train_lead_model

SMALL = SimulationConfig(leads=500, days=60, seed=21, locations=2)


@pytest.fixture(scope="session")
def sim() -> Simulation:
    return simulate(SMALL)


@pytest.fixture(scope="session")
def catalog(sim: Simulation) -> CrmCatalog:
    return catalog_from_world(sim.world)


@pytest.fixture(scope="session")
def timeline(sim: Simulation, catalog: CrmCatalog) -> Timeline:
    return timeline_from_deliveries(sim.deliveries, catalog=catalog)


@pytest.fixture(scope="session")
def data_end(sim: Simulation) -> datetime:
    return sim.config.start + timedelta(days=sim.config.days)


@pytest.fixture(scope="session")
def conversion_result(timeline: Timeline, data_end: datetime) -> TrainingResult:
    return train_lead_model(
        timeline.events, timeline.profiles, target="conversion", horizon_days=7, data_end=data_end
    )


@pytest.fixture(scope="session")
def churn_result(timeline: Timeline, data_end: datetime) -> TrainingResult:
    return train_lead_model(
        timeline.events, timeline.profiles, target="churn", horizon_days=7, data_end=data_end
    )

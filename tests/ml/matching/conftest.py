"""A learned ranker trained once on the shared small simulation (tests/ml/conftest.py `sim`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from hub.simulator import Simulation
from ml.matching import MatchModel, buyer_profiles, train_ranker
from ml.matching.simulated import SimulatedMatching, simulated_matching
from ml.timeline import Timeline

TEST_DAY = 45  # of the 60 simulated days: train on labels ending by day 45, test on days 45-60
HORIZON = 14


@pytest.fixture(scope="session")
def matching_data(sim: Simulation, timeline: Timeline) -> SimulatedMatching:
    return simulated_matching(sim.world, sim.deliveries, sim.config.start, events=timeline.events)


@pytest.fixture(scope="session")
def test_at(matching_data: SimulatedMatching) -> datetime:
    return (matching_data.start + pd.Timedelta(days=TEST_DAY)).to_pydatetime()


@pytest.fixture(scope="session")
def ranker(matching_data: SimulatedMatching) -> MatchModel:
    start = matching_data.start.to_pydatetime()
    cutoffs = [start + timedelta(days=d) for d in range(10, TEST_DAY - HORIZON + 1, 3)]
    end = start + timedelta(days=60)
    return train_ranker(
        matching_data.listings_at(end),
        matching_data.interactions,
        matching_data.explicit_at,
        cutoffs,
        horizon_days=HORIZON,
    )


@pytest.fixture(scope="session")
def test_profiles(matching_data: SimulatedMatching, test_at: datetime) -> pd.DataFrame:
    listings = matching_data.listings_at(test_at)
    profiles = buyer_profiles(
        matching_data.interactions_until(test_at), listings, matching_data.explicit_at(test_at), test_at
    )
    return profiles[profiles["contact_id"].isin(set(matching_data.buyers()))].reset_index(drop=True)

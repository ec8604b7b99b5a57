"""The learned ranker on a small seeded simulation: time split, better than the seed rules."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from hub.simulator import Simulation
from ml.matching import MatchModel, evaluate_rankings, future_relevance, rank_matches
from ml.matching.simulated import SimulatedMatching, oracle_rankings
from tests.ml.matching.conftest import HORIZON


def test_training_labels_end_before_the_test_window(ranker: MatchModel, test_at: datetime) -> None:
    last_label = datetime.fromisoformat(ranker.metadata["data_window"][1])
    assert last_label <= test_at
    assert last_label == datetime.fromisoformat(ranker.metadata["cutoffs"][-1]) + timedelta(days=HORIZON)
    counts = ranker.metadata["sample_counts"]
    assert counts["train_groups"] > 20 and counts["positives"] > 50


def test_learned_ranker_beats_the_seed_rules_on_future_interactions(
    ranker: MatchModel,
    matching_data: SimulatedMatching,
    test_profiles: pd.DataFrame,
    test_at: datetime,
    sim: Simulation,
) -> None:
    listings = matching_data.listings_at(test_at)
    end = (matching_data.start + pd.Timedelta(days=60)).to_pydatetime()
    relevance = future_relevance(matching_data.interactions, test_at, end)
    relevance = relevance[relevance["contact_id"].isin(set(test_profiles["contact_id"]))]
    learned = evaluate_rankings(rank_matches(listings, test_profiles, ranker), relevance)
    rules = evaluate_rankings(rank_matches(listings, test_profiles, None), relevance)
    oracle = evaluate_rankings(oracle_rankings(listings, test_profiles, sim.oracle.leads), relevance)
    assert learned.buyers == rules.buyers == oracle.buyers > 30
    assert learned.ndcg > 1.2 * rules.ndcg
    assert learned.recall > rules.recall
    assert oracle.ndcg > rules.ndcg  # the truth ranks better than the fixed rules too

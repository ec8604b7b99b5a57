"""NDCG@k and recall@k on held-out future interactions, checked against hand-computed values."""

from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd
import pytest

from ml.matching import evaluate_rankings, future_relevance
from tests.ml.matching.builders import AS_OF, interaction, interactions


def test_relevance_is_the_best_interaction_in_the_window() -> None:
    log = interactions(
        interaction("c1", "a", "view", -1),
        interaction("c1", "a", "save", -2),  # the best of (view, save) → 2
        interaction("c1", "b", "not_interested", -1),  # 0: dropped
        interaction("c1", "c", "showing_request", 1),  # before the window
        interaction("c2", "c", "showing_request", -9),  # after the window
        interaction("c2", "d", "alert_click", -3),
    )
    relevance = future_relevance(log, AS_OF, AS_OF + timedelta(days=7))
    assert relevance.to_dict("records") == [
        {"contact_id": "c1", "listing_id": "a", "relevance": 2.0},
        {"contact_id": "c2", "listing_id": "d", "relevance": 1.0},
    ]


def test_ndcg_and_recall_by_hand() -> None:
    relevance = pd.DataFrame(
        {"contact_id": ["c1", "c1", "c2"], "listing_id": ["a", "b", "z"], "relevance": [3.0, 1.0, 2.0]}
    )
    rankings = pd.DataFrame(
        {"contact_id": ["c1", "c1", "c1", "c3"], "listing_id": ["x", "b", "a", "a"], "rank": [1, 2, 3, 1]}
    )
    metrics = evaluate_rankings(rankings, relevance, k=3)
    dcg = (2**1 - 1) / math.log2(3) + (2**3 - 1) / math.log2(4)
    idcg = (2**3 - 1) / math.log2(2) + (2**1 - 1) / math.log2(3)
    assert metrics.ndcg == pytest.approx((dcg / idcg + 0.0) / 2)  # c2 was not ranked: 0
    assert metrics.recall == pytest.approx((1.0 + 0.0) / 2)
    assert metrics.buyers == 2
    assert evaluate_rankings(rankings, relevance, k=2).recall == pytest.approx(0.25)

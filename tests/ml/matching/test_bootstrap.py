"""Per-buyer NDCG and the paired bootstrap of ratios of rankers' mean NDCG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hub.errors import TrainingDataError
from ml.matching import evaluate_rankings
from ml.matching.bootstrap import paired_ratio_intervals
from ml.matching.evaluation import per_buyer_ndcg


def _random_case(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    relevance = pd.DataFrame(
        {
            "contact_id": [f"c{i % 40}" for i in range(200)],
            "listing_id": [f"l{j}" for j in rng.choice(500, 200, replace=False)],
            "relevance": rng.choice([1.0, 2.0, 3.0], 200),
        }
    )
    rows = []
    for buyer in range(45):  # c40..c44 are ranked but have no future interactions
        if buyer % 13 == 5:
            continue  # not ranked at all: scores 0
        picks = rng.choice(500, 15, replace=False)
        rows += [(f"c{buyer}", f"l{j}", rank) for rank, j in enumerate(picks, start=1)]
    return pd.DataFrame(rows, columns=["contact_id", "listing_id", "rank"]), relevance


def test_per_buyer_ndcg_averages_to_evaluate_rankings() -> None:
    for seed in (1, 2, 3):
        rankings, relevance = _random_case(seed)
        per_buyer = per_buyer_ndcg(rankings, relevance, k=10)
        assert sorted(per_buyer.index) == sorted(f"c{i}" for i in range(40))
        assert per_buyer["c5"] == 0.0 and per_buyer["c18"] == 0.0  # unranked buyers
        assert per_buyer.mean() == pytest.approx(evaluate_rankings(rankings, relevance, k=10).ndcg)
        assert per_buyer.between(0.0, 1.0).all()


def test_per_buyer_ndcg_by_hand() -> None:
    relevance = pd.DataFrame(
        {"contact_id": ["c1", "c1", "c2"], "listing_id": ["a", "b", "z"], "relevance": [3.0, 1.0, 2.0]}
    )
    rankings = pd.DataFrame(
        {"contact_id": ["c1", "c1", "c2"], "listing_id": ["a", "b", "z"], "rank": [2, 1, 1]}
    )
    per_buyer = per_buyer_ndcg(rankings, relevance, k=3)
    ideal = 7.0 + 1.0 / np.log2(3)
    assert per_buyer["c1"] == pytest.approx((1.0 + 7.0 / np.log2(3)) / ideal)
    assert per_buyer["c2"] == pytest.approx(1.0)


def test_a_per_buyer_multiple_has_a_point_interval() -> None:
    # Paired: every resample keeps each buyer's two values together, so a ranker that scores exactly
    # twice the other on every buyer has ratio 2 in every resample. Resampling the two columns
    # independently would spread the interval.
    rng = np.random.default_rng(0)
    base = rng.uniform(0.0, 1.0, 300)
    intervals = paired_ratio_intervals(pd.DataFrame({"a": 2.0 * base, "b": base}), [("a", "b")], seed=3)
    interval = intervals[("a", "b")]
    assert interval.ratio == pytest.approx(2.0)
    assert interval.low == pytest.approx(2.0) and interval.high == pytest.approx(2.0)


def test_interval_matches_the_delta_method_and_separates_a_real_gap() -> None:
    rng = np.random.default_rng(42)
    n = 2_000
    b = rng.uniform(0.0, 1.0, n)
    a = np.clip(1.05 * b + rng.normal(0.0, 0.2, n), 0.0, None)
    frame = pd.DataFrame({"a": a, "b": b})
    interval = paired_ratio_intervals(frame, [("a", "b")], resamples=2_000, seed=1)[("a", "b")]
    ratio = a.mean() / b.mean()
    # Delta method for a ratio of paired means: sd = sd(a − R·b) / (mean(b)·√n).
    sd = np.std(a - ratio * b, ddof=1) / (b.mean() * np.sqrt(n))
    assert interval.ratio == pytest.approx(ratio)
    assert interval.low == pytest.approx(ratio - 1.96 * sd, abs=0.25 * 1.96 * sd)
    assert interval.high == pytest.approx(ratio + 1.96 * sd, abs=0.25 * 1.96 * sd)
    assert interval.low > 1.0  # the 5 % gap is resolved on 2,000 buyers ...
    small = paired_ratio_intervals(frame.iloc[:40], [("a", "b")], seed=1)[("a", "b")]
    assert small.low < 1.0 < small.high  # ... and not on 40


def test_seeded_and_level_widens_the_interval() -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"a": rng.uniform(0, 1, 500), "b": rng.uniform(0, 1, 500)})
    first = paired_ratio_intervals(frame, [("a", "b")], seed=9)
    assert first == paired_ratio_intervals(frame, [("a", "b")], seed=9)
    wide = paired_ratio_intervals(frame, [("a", "b")], seed=9, level=0.99)[("a", "b")]
    assert wide.low < first[("a", "b")].low and wide.high > first[("a", "b")].high


def test_rejects_missing_values_and_bad_level() -> None:
    with pytest.raises(TrainingDataError):
        paired_ratio_intervals(pd.DataFrame({"a": [1.0, np.nan], "b": [1.0, 1.0]}), [("a", "b")])
    with pytest.raises(TrainingDataError):
        paired_ratio_intervals(pd.DataFrame({"a": [1.0], "b": [1.0]}), [("a", "b")], level=1.0)

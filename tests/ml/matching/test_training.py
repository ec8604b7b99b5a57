"""ml.matching.training: the time split, the held-out window, the promotion decision, and one real
training run on the shared small simulation (tests/ml/conftest.py `sim`)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pandas as pd
import pytest

from hub.errors import TrainingDataError
from ml.matching import RankingMetrics
from ml.matching.simulated import SimulatedMatching
from ml.matching.training import (
    CANDIDATE,
    CHAMPION,
    RULES,
    RankerSplit,
    decide,
    held_out_window,
    plan_split,
    train_and_compare,
)
from tests.ml.matching.builders import AS_OF, interaction, interactions, listing, listings

END = AS_OF  # the builders' interactions are dated relative to it


def _log(*days_before: float) -> pd.DataFrame:
    frame = interactions(*(interaction("C1", f"L{n}", "view", 0) for n, _ in enumerate(days_before)))
    frame["at"] = [END - timedelta(days=d) for d in days_before]
    return frame


def test_split_labels_end_before_the_held_out_window() -> None:
    split = plan_split(_log(60, 30, 1), end=END, test_days=14, horizon_days=10, every_days=5)
    assert split.test_at == END - timedelta(days=14)
    assert split.train_cutoffs[-1] + timedelta(days=10) == split.test_at  # the last label ends there
    gaps = {b - a for a, b in zip(split.train_cutoffs, split.train_cutoffs[1:], strict=False)}
    assert gaps == {timedelta(days=5)}
    assert split.train_cutoffs[0] >= END - timedelta(days=60) + timedelta(days=5)  # some history first
    assert len(split.train_cutoffs) == 7  # days 24, 29, ..., 54 before END


def test_split_ignores_interactions_after_end() -> None:
    late = _log(60, 1)
    late.loc[len(late)] = ["C1", "L9", "view", END + timedelta(days=3)]
    assert plan_split(late, end=END).train_cutoffs == plan_split(_log(60, 1), end=END).train_cutoffs


def test_too_short_a_history_says_how_many_days_are_needed() -> None:
    with pytest.raises(TrainingDataError, match=r"need at least 34 days .*; have 20\.0 days"):
        plan_split(_log(20, 2), end=END, test_days=14, horizon_days=14, every_days=3)
    with pytest.raises(TrainingDataError, match="no listing interactions up to 2026-05-01"):
        plan_split(_log(), end=END)


def test_held_out_window_counts_only_new_listings_and_says_how_many_it_has() -> None:
    feed = listings(*(listing(f"L{n}") for n in range(4)))
    log = interactions(
        interaction("C1", "L0", "save", 20),  # before the window: seen
        interaction("C1", "L0", "showing_request", 3),  # seen before: not a new match
        interaction("C1", "L1", "view", 2),
        interaction("C2", "L2", "not_interested", 2),  # not relevant
        interaction("C2", "L3", "save", 25),
    )
    split = RankerSplit(
        [END - timedelta(days=40), END - timedelta(days=30)], END - timedelta(days=7), END, 14
    )
    held = held_out_window(feed, log, None, split, min_interactions=1)
    assert list(zip(held.relevance["contact_id"], held.relevance["listing_id"], strict=True)) == [
        ("C1", "L1")
    ]
    assert set(held.listings["status"]) == {"Active"}
    with pytest.raises(
        TrainingDataError, match=r"need at least 2 interactions in the held-out window .*; have 1 "
    ):
        held_out_window(feed, log, None, split, min_interactions=2)


def _metrics(ndcg: float, buyers: int = 40) -> RankingMetrics:
    return RankingMetrics(ndcg, 0.5, buyers, 10)


def test_promotes_only_a_strict_win_over_rules_and_champion() -> None:
    assert decide({CANDIDATE: _metrics(0.30), RULES: _metrics(0.20)}).promote
    tie = decide({CANDIDATE: _metrics(0.30), RULES: _metrics(0.30)})
    assert not tie.promote and "does not beat the rule scorer's 0.3000" in tie.reason
    champion = decide({CANDIDATE: _metrics(0.30), RULES: _metrics(0.20), CHAMPION: _metrics(0.31)})
    assert not champion.promote and "current champion's 0.3100" in champion.reason
    assert not decide({CANDIDATE: _metrics(math.nan, 0), RULES: _metrics(math.nan, 0)}).promote


def test_trained_ranker_beats_rules_on_held_out_data_and_not_a_copy_of_itself(
    matching_data: SimulatedMatching,
) -> None:
    end = (matching_data.start + pd.Timedelta(days=60)).to_pydatetime()
    frames = (matching_data.listings_at(end), matching_data.interactions, matching_data.explicit_at(end))
    split = plan_split(frames[1], end=end, every_days=6)
    run = train_and_compare(*frames, split)
    assert run.decision.promote, run.decision.reason
    assert run.metrics[CANDIDATE].ndcg > run.metrics[RULES].ndcg
    assert run.metrics[CANDIDATE].buyers == run.metrics[RULES].buyers > 30
    assert datetime.fromisoformat(run.model.metadata["data_window"][1]) <= split.test_at
    # The same data and seed again, against the first model as champion: a tie is not promoted.
    again = train_and_compare(*frames, split, champion=run.model)
    assert again.metrics[CHAMPION].ndcg == pytest.approx(run.metrics[CANDIDATE].ndcg)
    assert not again.decision.promote and "current champion" in again.decision.reason

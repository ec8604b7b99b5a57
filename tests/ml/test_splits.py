"""Time-based splits: ordered by cutoff date, separated by gaps of at least the label horizon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from hub.errors import TrainingDataError
from ml.splits import day_cutoffs, time_split

START = datetime(2026, 3, 2, tzinfo=UTC)


def _samples(days: int, per_day: int = 10) -> pd.DataFrame:
    cutoffs = [START + timedelta(days=d) for d in range(1, days + 1) for _ in range(per_day)]
    return pd.DataFrame({"cutoff": pd.to_datetime(cutoffs, utc=True), "label": 0.0})


@pytest.mark.parametrize("horizon", [1, 7, 14])
def test_label_windows_never_reach_the_next_split(horizon: int) -> None:
    samples = _samples(90)
    split = time_split(samples["cutoff"], horizon_days=horizon)
    gap = timedelta(days=horizon)
    assert split.train[1] + gap <= split.valid[0]
    assert split.valid[1] + gap <= split.test[0]
    parts = {name: split.part(samples, name) for name in ("train", "valid", "test")}
    assert parts["train"]["cutoff"].max() + gap <= parts["valid"]["cutoff"].min()
    assert parts["valid"]["cutoff"].max() + gap <= parts["test"]["cutoff"].min()
    # The gaps are as small as allowed: no more than the horizon plus one cutoff step is lost.
    assert parts["valid"]["cutoff"].min() - parts["train"]["cutoff"].max() <= gap + timedelta(days=1)
    assert sum(len(p) for p in parts.values()) >= len(samples) - 2 * horizon * 10


def test_fractions_follow_the_samples_not_the_days() -> None:
    # Few samples early, many late (as leads accumulate): the test window is short in days.
    cutoffs = [START + timedelta(days=d) for d in range(1, 61) for _ in range(d)]
    split = time_split(cutoffs, horizon_days=7, test_fraction=0.25, valid_fraction=0.2)
    test_share = sum(c >= split.test[0] for c in cutoffs) / len(cutoffs)
    assert 0.2 < test_share < 0.3
    assert (split.test[1] - split.test[0]).days < 15


def test_too_short_a_window_is_refused() -> None:
    with pytest.raises(TrainingDataError, match="cannot hold train, validation and test"):
        time_split(_samples(10)["cutoff"], horizon_days=7)


def test_day_cutoffs_are_day_ends() -> None:
    cutoffs = day_cutoffs(START, START + timedelta(days=10), every_days=3)
    assert cutoffs == [START + timedelta(days=d) for d in (3, 6, 9)]

"""Labels derived from the timeline agree with the simulator's realised outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from hub.errors import TrainingDataError
from hub.simulator import Simulation
from ml.labels import build_samples
from ml.timeline import Timeline


def _day_ends(sim: Simulation, first: int, last: int) -> list[datetime]:
    return [sim.config.start + timedelta(days=d + 1) for d in range(first, last)]


def _samples(timeline: Timeline, cutoffs: list[datetime], target: Any, **options: Any) -> pd.DataFrame:
    """build_samples on the shared timeline, with the 7-day horizon every test here uses."""
    return build_samples(
        timeline.events, timeline.profiles, cutoffs, target=target, horizon_days=7, **options
    )


def _with_oracle(samples: pd.DataFrame, sim: Simulation) -> pd.DataFrame:
    return samples.merge(sim.oracle.daily, on=["contact_id", "cutoff"], how="left", validate="one_to_one")


def test_conversion_labels_match_the_realised_outcomes(
    sim: Simulation, timeline: Timeline, data_end: datetime
) -> None:
    samples = _samples(timeline, _day_ends(sim, 5, 50), "conversion", data_end=data_end)
    joined = _with_oracle(samples, sim)
    assert joined["y_convert_7d"].notna().all()
    assert samples["label"].sum() > 100
    assert (joined["label"] == joined["y_convert_7d"]).mean() > 0.998


def test_churn_samples_are_engaged_leads_labelled_by_silence(
    sim: Simulation, timeline: Timeline, data_end: datetime
) -> None:
    samples = _samples(timeline, _day_ends(sim, 5, 50), "churn", lookback_days=None, data_end=data_end)
    joined = _with_oracle(samples, sim)
    # Every churn sample engaged before its cutoff, as the oracle's `engaged_before` says.
    assert joined["engaged_before"].mean() > 0.995
    assert (joined["label"] == joined["y_quiet_7d"]).mean() > 0.995
    eligible = sim.oracle.daily[
        sim.oracle.daily["engaged_before"] & sim.oracle.daily["cutoff"].isin(samples["cutoff"].unique())
    ]
    assert len(samples) == pytest.approx(len(eligible), rel=0.01)


def test_a_shorter_lookback_keeps_only_recently_engaged_leads(timeline: Timeline, sim: Simulation) -> None:
    cutoffs = _day_ends(sim, 20, 40)
    ever = _samples(timeline, cutoffs, "churn", lookback_days=None)
    recent = _samples(timeline, cutoffs, "churn", lookback_days=7)
    assert 0 < len(recent) < len(ever)
    assert (recent["days_since_last_engagement"] < 7).all()
    # Leads quiet for a while are more likely to stay quiet: the recent ones churn less.
    assert recent["label"].mean() < ever["label"].mean()


def test_censored_cutoffs_are_dropped_not_labelled_negative(
    timeline: Timeline, sim: Simulation, data_end: datetime
) -> None:
    cutoffs = _day_ends(sim, 45, 60)
    samples = _samples(timeline, cutoffs, "conversion", data_end=data_end)
    assert samples["cutoff"].max() + pd.Timedelta(days=7) <= data_end
    assert samples["cutoff"].nunique() == len([c for c in cutoffs if c + timedelta(days=7) <= data_end])


def test_bad_requests_say_what_is_wrong(timeline: Timeline, sim: Simulation, data_end: datetime) -> None:
    with pytest.raises(TrainingDataError, match="unknown target 'sales'"):
        _samples(timeline, _day_ends(sim, 5, 6), "sales")
    with pytest.raises(TrainingDataError, match="every cutoff is censored"):
        _samples(timeline, _day_ends(sim, 55, 59), "churn", data_end=data_end)

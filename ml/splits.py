"""Time-based train / validation / test splits of (lead, cutoff) samples, by cutoff date.

Consecutive splits are separated by a gap of at least the label horizon H: the label of a train
sample at cutoff c looks at (c, c + H], which must end before the first validation cutoff, and
likewise validation → test. So no outcome that labels one split is "future" for the next split's
features to leak into its labels, and early stopping / calibration never see the test window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from hub.errors import TrainingDataError


@dataclass(frozen=True, slots=True)
class TimeSplit:
    """Cutoff ranges (inclusive) of the three splits and the horizon their gaps respect."""

    horizon_days: int
    train: tuple[datetime, datetime]
    valid: tuple[datetime, datetime]
    test: tuple[datetime, datetime]

    def part(self, samples: pd.DataFrame, name: str) -> pd.DataFrame:
        """The samples (with a `cutoff` column) of split `name`: train, valid or test."""
        low, high = {"train": self.train, "valid": self.valid, "test": self.test}[name]
        keep = (samples["cutoff"] >= pd.Timestamp(low)) & (samples["cutoff"] <= pd.Timestamp(high))
        return samples[keep.to_numpy()].reset_index(drop=True)

    def as_dict(self) -> dict[str, object]:
        return {
            "horizon_days": self.horizon_days,
            **{name: [r[0].isoformat(), r[1].isoformat()] for name, r in self._ranges()},
        }

    def _ranges(self) -> list[tuple[str, tuple[datetime, datetime]]]:
        return [("train", self.train), ("valid", self.valid), ("test", self.test)]


def time_split(
    cutoffs: Sequence[datetime] | pd.Series,
    *,
    horizon_days: int,
    valid_fraction: float = 0.2,
    test_fraction: float = 0.25,
) -> TimeSplit:
    """Split by cutoff date: the latest cutoffs holding `test_fraction` of the samples are test,
    the cutoffs holding the `valid_fraction` before them (less an H-day gap) validation, and every
    earlier cutoff (less another gap) training. `cutoffs` has one entry per sample."""
    if not (0 < valid_fraction < 1 and 0 < test_fraction < 1 and valid_fraction + test_fraction < 1):
        raise TrainingDataError("valid_fraction and test_fraction must be in (0, 1) and sum to less than 1")
    counts = pd.Series(pd.to_datetime(pd.Series(list(cutoffs)), utc=True)).value_counts().sort_index()
    if counts.empty:
        raise TrainingDataError("no samples to split")
    moments = [pd.Timestamp(c).to_pydatetime() for c in counts.index]
    share = (counts / counts.sum()).to_numpy()
    gap = timedelta(days=horizon_days)
    test = _latest(moments, share, test_fraction)
    before_test = [i for i, m in enumerate(moments) if m + gap <= test[0]]
    valid = (
        _latest([moments[i] for i in before_test], share[before_test], valid_fraction) if before_test else []
    )
    train = [m for m in moments if valid and m + gap <= valid[0]]
    if not train or not valid:
        raise TrainingDataError(
            f"{len(moments)} cutoffs from {moments[0]:%Y-%m-%d} to {moments[-1]:%Y-%m-%d} cannot hold train, "
            f"validation and test separated by {horizon_days}-day gaps; add earlier cutoffs, "
            "lower the horizon or shrink the validation/test fractions"
        )
    return TimeSplit(horizon_days, (train[0], train[-1]), (valid[0], valid[-1]), (test[0], test[-1]))


def _latest(moments: list[datetime], share: Sequence[float], fraction: float) -> list[datetime]:
    """The latest moments whose sample shares add up to about `fraction` (at least one)."""
    taken, total = 0, 0.0
    for value in reversed(share):
        if taken and total + value / 2 > fraction:
            break
        taken, total = taken + 1, total + value
    return moments[len(moments) - taken :]


def day_cutoffs(start: datetime, end: datetime, *, every_days: int = 1) -> list[datetime]:
    """Ends of days (start + k days, k >= 1) up to `end`, every `every_days` days."""
    if every_days < 1:
        raise TrainingDataError(f"every_days must be at least 1, got {every_days}")
    out: list[datetime] = []
    moment = pd.Timestamp(start).to_pydatetime() + timedelta(days=every_days)
    while moment <= end:
        out.append(moment)
        moment += timedelta(days=every_days)
    return out

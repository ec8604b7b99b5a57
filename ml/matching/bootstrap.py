"""Paired bootstrap over held-out buyers: how far a ratio of two rankers' mean NDCG can move.

A held-out window has only a few hundred buyers with future interactions, so a ratio such as
learned / oracle NDCG@10 is itself an estimate. Resampling the buyers with replacement — the same
resampled buyers for every ranker, i.e. *paired* — keeps the per-buyer correlation between rankers
(an easy buyer is easy for all of them), which is what makes the interval of a ratio of two means
on the same buyers much narrower than two independent intervals would suggest. Percentile
intervals; each resample is a multinomial count vector, so all rankers and resamples are scored in
one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hub.errors import TrainingDataError


@dataclass(frozen=True, slots=True)
class RatioInterval:
    """mean(numerator) / mean(denominator) on the observed buyers and its bootstrap interval."""

    ratio: float
    low: float
    high: float
    level: float

    def __str__(self) -> str:
        return f"{self.ratio:.3f}× [{self.low:.3f}, {self.high:.3f}]"


def paired_ratio_intervals(
    per_buyer: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    *,
    resamples: int = 1_000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[tuple[str, str], RatioInterval]:
    """For each (numerator, denominator) column pair of `per_buyer` (one row per buyer, one column
    per ranker), the ratio of the column means and its percentile interval over `resamples` paired
    resamples of the rows (seeded: the same seed gives the same intervals)."""
    if per_buyer.empty or per_buyer.isna().any().any():
        raise TrainingDataError("per-buyer metrics must be non-empty with no missing values")
    if not 0.0 < level < 1.0:
        raise TrainingDataError(f"level must be in (0, 1), got {level}")
    values = per_buyer.to_numpy(dtype=float)
    n = values.shape[0]
    rng = np.random.default_rng(seed)
    # Row i of `counts` says how often each buyer is drawn in resample i.
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)
    means = pd.DataFrame(counts @ values / n, columns=per_buyer.columns)
    observed = per_buyer.mean()
    tail = (1.0 - level) / 2.0
    intervals = {}
    for numerator, denominator in pairs:
        ratios = means[numerator].to_numpy() / means[denominator].to_numpy()
        low, high = np.quantile(ratios, [tail, 1.0 - tail])
        intervals[(numerator, denominator)] = RatioInterval(
            float(observed[numerator] / observed[denominator]), float(low), float(high), level
        )
    return intervals

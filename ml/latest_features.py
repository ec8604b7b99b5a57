"""Each lead's latest feature row, kept in process where processing computed it and scoring reads it.

    latest = LatestFeatures()
    latest.put_frame(build_features(events, profiles, [now]))   # processing: the leads it changed
    row = latest.get(location_id, contact_id)                     # one lead: one row, no recompute
    scorer.score_row(row)                                         # score + reasons as of row.as_of

Processing already computes a changed lead's features when it rescores it
(`tasks.lead_scoring.score_contacts`); keeping that row lets a single-lead score read one vector
instead of redoing ~100 reductions over the lead's timeline (~2x the model's own TreeSHAP time,
bench/README.md). A row holds the features *as of* `row.as_of`, the moment they were computed:
recency and window features move with the clock, so a score from a row is the lead's score at
that moment. A caller that needs another moment computes the features for it
(`LeadScorer.score_prepared` / `score_lead`); nothing here extrapolates a row in time.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hub.errors import ModelError
from ml.features import FEATURE_NAMES

# ~100 float64 values a lead: 200k leads is ~160 MB, the bound for one worker process.
DEFAULT_CAPACITY = 200_000


@dataclass(frozen=True, slots=True)
class FeatureRow:
    """One lead's features (FEATURE_NAMES order) as of `as_of`."""

    location_id: str
    contact_id: str
    as_of: datetime
    values: NDArray[np.float64]


class LatestFeatures:
    """The newest feature row per (location, contact), least recently written dropped past capacity."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ModelError(f"capacity must be at least 1 row, got {capacity}")
        self.capacity = capacity
        self._rows: OrderedDict[tuple[str, str], FeatureRow] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def put(self, row: FeatureRow) -> bool:
        """Keep `row` unless a newer one is kept for that lead (a late scan never hides fresher
        processing). True when kept."""
        if len(row.values) != len(FEATURE_NAMES):
            raise ModelError(
                f"a feature row has {len(FEATURE_NAMES)} values in FEATURE_NAMES order, got {len(row.values)}"
            )
        key = (row.location_id, row.contact_id)
        kept = self._rows.get(key)
        if kept is not None and kept.as_of > row.as_of:
            return False
        self._rows[key] = row
        self._rows.move_to_end(key)
        while len(self._rows) > self.capacity:
            self._rows.popitem(last=False)
        return True

    def put_frame(self, frame: pd.DataFrame) -> int:
        """Keep every row of a `build_features` frame; returns how many were kept."""
        needed = ("location_id", "contact_id", "cutoff", *FEATURE_NAMES)
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ModelError(
                f"the feature frame lacks {missing[:5]}; build it with ml.features.build_features"
            )
        values = frame[list(FEATURE_NAMES)].to_numpy(dtype=np.float64)
        kept = 0
        for i, (location_id, contact_id, cutoff) in enumerate(
            zip(frame["location_id"], frame["contact_id"], frame["cutoff"], strict=True)
        ):
            # A row of its own (not a view): an evicted lead must not pin the whole batch's matrix.
            row = FeatureRow(str(location_id), str(contact_id), cutoff.to_pydatetime(), values[i].copy())
            kept += self.put(row)
        return kept

    def get(self, location_id: str, contact_id: str) -> FeatureRow | None:
        return self._rows.get((location_id, contact_id))

"""Labels of (lead, cutoff) samples, derived from the timeline alone (never from the simulator's oracle).

- conversion within H days: an appointment is booked (AppointmentCreate) or an opportunity is won
  (OpportunityStatusUpdate status=won) at some time in (cutoff, cutoff + H days];
- churn within H days: a lead that engaged (inbound message or website activity, see
  `ml.features.engagement`) in the `lookback_days` before the cutoff has no engagement in
  (cutoff, cutoff + H days]. Only such leads are churn samples.

A sample whose window runs past the end of the data is censored and dropped, never labelled 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hub.errors import TrainingDataError
from ml.features import build_features
from ml.features.columns import to_ms
from ml.features.events import DAY_MS, SPAN

Target = Literal["conversion", "churn"]
TARGETS: tuple[Target, ...] = ("conversion", "churn")


def outcome_mask(events: pd.DataFrame, target: Target) -> NDArray[np.bool_]:
    """The timeline rows whose time decides the label of `target`."""
    if target == "conversion":
        kind, action = events["kind"], events["action"]
        booked = (kind == "appointment") & (action == "created")
        won = (kind == "opportunity") & (action == "status") & (events["status"] == "won")
        return np.asarray((booked | won).to_numpy(dtype=bool), dtype=np.bool_)
    if target == "churn":
        return np.asarray(events["engagement"].to_numpy(dtype=bool), dtype=np.bool_)
    raise TrainingDataError(f"unknown target {target!r}; use one of {', '.join(TARGETS)}")


def outcome_within(
    events: pd.DataFrame, target: Target, contact_ids: pd.Series, cutoffs: pd.Series, horizon_days: int
) -> NDArray[np.bool_]:
    """Per sample: does an outcome event of `target` happen in (cutoff, cutoff + horizon]?"""
    rows = events[outcome_mask(events, target)]
    codes, _ = pd.factorize(pd.concat([rows["contact_id"], contact_ids], ignore_index=True))
    event_lead, sample_lead = codes[: len(rows)].astype(np.int64), codes[len(rows) :].astype(np.int64)
    at, cutoff = to_ms(rows["at"]), to_ms(cutoffs)
    base = int(np.concatenate([at, cutoff]).min()) if len(at) + len(cutoff) else 0
    keys = np.sort(event_lead * SPAN + (at - base))
    start = cutoff - base
    lo = np.searchsorted(keys, sample_lead * SPAN + start, side="right")
    hi = np.searchsorted(keys, sample_lead * SPAN + start + horizon_days * DAY_MS, side="right")
    return np.asarray(hi > lo, dtype=np.bool_)


def build_samples(
    events: pd.DataFrame,
    profiles: pd.DataFrame,
    cutoffs: Sequence[datetime],
    *,
    target: Target,
    horizon_days: int,
    lookback_days: float | None = 30,
    data_end: datetime | None = None,
) -> pd.DataFrame:
    """Features and label of every eligible, uncensored (lead, cutoff) sample.

    Returns the feature frame (KEY_COLUMNS + features) with a 0/1 `label` column. `data_end` is
    the end of the observed data (default: the last event); `lookback_days` None means "engaged
    at any time before the cutoff" (the simulator oracle's `engaged_before`).
    """
    if target not in TARGETS:
        raise TrainingDataError(f"unknown target {target!r}; use one of {', '.join(TARGETS)}")
    if horizon_days <= 0:
        raise TrainingDataError(f"horizon_days must be positive, got {horizon_days}")
    end = pd.Timestamp(data_end) if data_end is not None else events["at"].max()
    usable = [c for c in cutoffs if pd.Timestamp(c) + pd.Timedelta(days=horizon_days) <= end]
    if not usable:
        raise TrainingDataError(
            f"every cutoff is censored: none is at least {horizon_days} days before the data end {end}"
        )
    samples = build_features(events, profiles, usable)
    if target == "churn":
        since = samples["days_since_last_engagement"]
        engaged = since.notna() if lookback_days is None else since < lookback_days
        samples = samples[engaged.to_numpy()].reset_index(drop=True)
    hit = outcome_within(events, target, samples["contact_id"], samples["cutoff"], horizon_days)
    samples["label"] = (~hit if target == "churn" else hit).astype(np.float64)
    return samples

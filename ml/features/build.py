"""The two entry points, offline and online, over the one feature definition in the registry.

    frame = build_features(timeline.events, timeline.profiles, cutoffs)   # many leads, point in time
    values = features_for_lead(lead_events, profile, as_of)               # one lead, now

Both prepare the events the same way and run the same block reductions, so a lead's features at a
moment are the same numbers whichever path computed them (tests/ml/test_parity.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from hub.errors import TrainingDataError
from ml.features.block import Block
from ml.features.columns import profile_columns, to_ms
from ml.features.events import FloatArray, LeadArrays, prepare
from ml.features.registry import FEATURE_NAMES, compute_all

KEY_COLUMNS = ("location_id", "contact_id", "cutoff")
ROWS_PER_BLOCK = 2_000_000


def _samples(profiles: pd.DataFrame, cutoffs: Sequence[datetime] | pd.DataFrame) -> pd.DataFrame:
    """(profile row, cutoff) pairs: explicit ones, or every lead already known at each cutoff."""
    if isinstance(cutoffs, pd.DataFrame):
        for column in ("contact_id", "cutoff"):
            if column not in cutoffs.columns:
                raise TrainingDataError(
                    "the samples frame needs contact_id and cutoff columns", column=column
                )
        index = pd.Index(profiles["contact_id"]).get_indexer(cutoffs["contact_id"])
        if (index < 0).any():
            unknown = cutoffs["contact_id"][index < 0].iloc[0]
            raise TrainingDataError(f"lead {unknown!r} has no profile row", column="contact_id")
        return pd.DataFrame({"lead": index, "cutoff_ms": to_ms(cutoffs["cutoff"])})
    known = to_ms(profiles["known_at"])
    parts = []
    for cutoff_ms in sorted({int(v) for v in to_ms(pd.Series(list(cutoffs)))}):
        leads = np.flatnonzero(known <= cutoff_ms)
        parts.append(pd.DataFrame({"lead": leads, "cutoff_ms": np.full(len(leads), cutoff_ms)}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"lead": [], "cutoff_ms": []})


def build_features(
    events: pd.DataFrame, profiles: pd.DataFrame, cutoffs: Sequence[datetime] | pd.DataFrame
) -> pd.DataFrame:
    """Point-in-time features: one row per (lead, cutoff), columns KEY_COLUMNS + FEATURE_NAMES.

    `cutoffs` is a list of moments (every lead known by then is a sample) or a frame of explicit
    samples with `contact_id` and `cutoff` columns (kept in its order).
    """
    samples = _samples(profiles, cutoffs)
    arrays = prepare(events, profile_columns(profiles))
    lead = samples["lead"].to_numpy(dtype=np.int64)
    cutoff = samples["cutoff_ms"].to_numpy(dtype=np.int64)
    # Blocks of at most ~ROWS_PER_BLOCK event rows bound memory (every feature gathers its columns).
    per_lead = np.bincount(arrays.lead, minlength=arrays.n_leads)
    rows = np.cumsum(per_lead[lead] + 1)
    bounds = np.searchsorted(rows, np.arange(ROWS_PER_BLOCK, rows[-1] if len(rows) else 0, ROWS_PER_BLOCK))
    edges = [0, *sorted({int(b) for b in bounds if 0 < b < len(lead)}), len(lead)]
    chunks = [compute_all(Block(arrays, lead[a:b], cutoff[a:b])) for a, b in itertools.pairwise(edges)]
    values = (
        {name: np.concatenate([chunk[name] for chunk in chunks]) for name in FEATURE_NAMES} if chunks else {}
    )
    keys = pd.DataFrame(
        {
            "location_id": profiles["location_id"].to_numpy(dtype=object)[lead],
            "contact_id": profiles["contact_id"].to_numpy(dtype=object)[lead],
            "cutoff": pd.to_datetime(cutoff, unit="ms", utc=True),
        }
    )
    return pd.concat([keys, pd.DataFrame(values, columns=list(FEATURE_NAMES))], axis=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_ONE_SAMPLE = np.zeros(1, dtype=np.int64)


def moment_ms(moment: datetime) -> int:
    """A moment as epoch milliseconds, exactly as `to_ms` floors it (naive means UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MS


def prepare_lead(lead_events: pd.DataFrame, profile: pd.Series | Mapping[str, Any]) -> LeadArrays:
    """One lead's timeline rows and profile as arrays, ready to give features at any moment.

    This is the part of the online path that reads the frame (pandas); a service keeps the result
    per lead and redoes it when the lead's events change, so scoring itself is numpy only."""
    return prepare(lead_events, profile_columns(profile))


def feature_vector_at(arrays: LeadArrays, as_of: datetime) -> FloatArray:
    """Features of a prepared lead (`prepare_lead`) as of `as_of`, in FEATURE_NAMES order."""
    values = compute_all(Block(arrays, _ONE_SAMPLE, np.array([moment_ms(as_of)], dtype=np.int64)))
    return np.array([values[name][0] for name in FEATURE_NAMES], dtype=np.float64)


def lead_feature_vector(
    lead_events: pd.DataFrame, profile: pd.Series | Mapping[str, Any], as_of: datetime
) -> FloatArray:
    """Online features of one lead as of `as_of`, as one float64 vector in FEATURE_NAMES order."""
    return feature_vector_at(prepare_lead(lead_events, profile), as_of)


def features_for_lead(
    lead_events: pd.DataFrame, profile: pd.Series | Mapping[str, Any], as_of: datetime
) -> dict[str, float]:
    """Online features of one lead as of `as_of` (its timeline rows and its profile row)."""
    vector = lead_feature_vector(lead_events, profile, as_of)
    return {name: float(value) for name, value in zip(FEATURE_NAMES, vector, strict=True)}

"""Timeline and profile frames as plain numpy columns (times as epoch milliseconds).

Feature code works on numpy arrays only: for one lead (the online path) pandas' per-call overhead
would dominate, and both paths must run the same code. This is the one place frames are unpacked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hub.errors import TrainingDataError
from ml.profiles import PROFILE_COLUMNS, TIMELINE_COLUMNS

NONE = np.int64(-(1 << 62))  # "no such time"
Columns = dict[str, NDArray[Any]]
SOURCES = ("zillow", "realtor", "facebook", "website", "open house", "referral")
_FEW_ROWS = 512  # up to this many rows, event_columns takes the one-lead fast path
_UNIT_PER_MS = {"s": 0, "ms": 1, "us": 1_000, "ns": 1_000_000}


def to_ms(values: pd.Series | pd.Index | NDArray[Any] | list[Any]) -> NDArray[np.int64]:
    """UTC datetimes (tz-aware Series, Timestamps, datetimes) → epoch milliseconds; NaT → NONE."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        series = pd.Series(pd.to_datetime(series, utc=True))
    array = series.array
    ints = np.asarray(array.asi8, dtype=np.int64)
    unit = str(array.unit)
    out = ints * 1000 if unit == "s" else ints // _UNIT_PER_MS[unit]
    return np.where(ints == np.iinfo(np.int64).min, NONE, out)


def _stamp_ms(value: Any) -> np.int64:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return NONE
    return np.int64(pd.Timestamp(value).tz_convert("UTC").value // 1_000_000)


def event_columns(events: pd.DataFrame) -> Columns:
    """Every timeline column as a numpy array: times in ms, flags bool, numbers float, text object."""
    missing = [name for name in TIMELINE_COLUMNS if name not in events.columns]
    if missing:
        raise TrainingDataError(
            "the timeline lacks this column (build it with ml.timeline)", column=missing[0]
        )
    if len(events) <= _FEW_ROWS:
        return _few_event_columns(events)
    out: Columns = {}
    for name, column in events.items():
        kind = TIMELINE_COLUMNS.get(str(name))
        if kind is None:
            continue
        if kind == "datetime":
            out[name] = to_ms(column)
        elif kind == "bool":
            out[name] = column.to_numpy(dtype=bool)
        elif kind == "float":
            out[name] = column.to_numpy(dtype=np.float64)
        else:
            out[name] = column.to_numpy(dtype=object)
    return out


def _few_event_columns(events: pd.DataFrame) -> Columns:
    """event_columns of one lead's few rows: one object matrix instead of a Series per column,
    which is most of the online path's pandas cost (same values, same dtypes)."""
    matrix = events.to_numpy(dtype=object)
    out: Columns = {}
    for position, name in enumerate(events.columns):
        kind = TIMELINE_COLUMNS.get(str(name))
        if kind is None:
            continue
        if kind == "datetime":
            out[name] = to_ms(events[name])
        elif kind == "bool":
            out[name] = matrix[:, position].astype(bool)
        elif kind == "float":
            out[name] = matrix[:, position].astype(np.float64)
        else:
            out[name] = matrix[:, position].copy()
    return out


def source_code(source: object) -> float:
    """Lead source → a fixed code (index in SOURCES; len(SOURCES) = other; NaN = not said)."""
    if not isinstance(source, str):
        return np.nan
    text = source.lower()
    return float(next((i for i, name in enumerate(SOURCES) if name in text), len(SOURCES)))


def _present(value: Any) -> bool:
    return value is not None and (isinstance(value, str) or not pd.isna(value))


def profile_columns(profiles: pd.DataFrame | pd.Series | Mapping[str, Any]) -> Columns:
    """The per-lead arrays features read from the profile frame (or one lead's profile row)."""
    if isinstance(profiles, pd.DataFrame):
        rows: dict[str, list[Any]] = {name: profiles[name].tolist() for name in PROFILE_COLUMNS}
    else:
        row = dict(profiles.items())
        missing = [name for name in PROFILE_COLUMNS if name not in row]
        if missing:
            raise TrainingDataError(
                "the lead's profile lacks this column (use Timeline.profiles)", column=missing[0]
            )
        rows = {name: [row[name]] for name in PROFILE_COLUMNS}
    zones = [
        z if _present(z) else loc for z, loc in zip(rows["timezone"], rows["location_timezone"], strict=True)
    ]
    return {
        "contact_id": np.array(rows["contact_id"], dtype=object),
        "created": np.array([_stamp_ms(v) for v in rows["created_at"]], dtype=np.int64),
        "known": np.array([_stamp_ms(v) for v in rows["known_at"]], dtype=np.int64),
        "source_code": np.array([source_code(s) for s in rows["source"]], dtype=np.float64),
        "is_seller": np.array([i == "seller" for i in rows["intent"]], dtype=np.float64),
        "has_email": np.array(rows["has_email"], dtype=np.float64),
        "has_phone": np.array(rows["has_phone"], dtype=np.float64),
        "has_timezone": np.array([_present(z) for z in rows["timezone"]], dtype=np.float64),
        "zone": np.array([z if _present(z) else "UTC" for z in zones], dtype=object),
    }

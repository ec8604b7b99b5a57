"""Durations as workflow authors write them: "90s", "15m", "2h", "3d", "1w", "1d12h"."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_PART = re.compile(r"(\d+)\s*(w|d|h|m|s)")
_WHOLE = re.compile(r"^\s*(\d+\s*[wdhms]\s*)+$")
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
PATTERN = r"^\s*(\d+\s*[wdhms]\s*)+$"


def parse_duration(value: object) -> timedelta:
    """ "2h30m" -> 2:30:00. Numbers without a unit are refused: "30" could be seconds or days."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str) or not _WHOLE.match(value):
        raise ValueError(
            f"{value!r} is not a duration; write a number and a unit: 90s, 15m, 2h, 3d, 1w or 1d12h"
        )
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(value))
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest spelling of a duration ("1d12h"); zero is "0s"."""
    seconds = int(value.total_seconds())
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": PATTERN, "examples": ["15m", "2h", "3d", "1d12h"]}),
]

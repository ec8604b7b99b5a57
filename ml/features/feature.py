"""What a feature is: its name, meaning, window and source events, and how to say its value in words.

`phrase` is a str.format template rendered with the lead's actual values: `{value}` is this
feature's value, `{s}` a plural "s" for it, and any other feature's name gives that feature's
value. Format specs: `int` (3), `money` ($450k), `days` (12 days / 5 hours), `minutes`
(8 minutes / 2.5 hours / 3 days), `hours` (2.5 h),
`pct` (45%), `per` (0.45× / 1.2×: a count per count, which can pass 1, unlike a share), `1f` (one
decimal). `zero` is used when the value is 0, `missing` when it is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


def _money(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"${value / 1_000_000:.1f}M".replace(".0M", "M")
    if abs(value) >= 1_000:
        return f"${value / 1_000:.0f}k"
    return f"${value:.0f}"


def _days(value: float) -> str:
    if value < 1:
        hours = max(round(value * 24), 1)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = round(value)
    return f"{days} day{'s' if days != 1 else ''}"


def _minutes(value: float) -> str:
    if value < 90:
        minutes = round(value)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{value / 60:.1f} hours" if value < 48 * 60 else _days(value / 1440)


class Value:
    """A number that formats itself with the specs above (NaN renders as "unknown")."""

    def __init__(self, number: float) -> None:
        self.number = number

    def __format__(self, spec: str) -> str:
        x = self.number
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "unknown"
        if spec == "int":
            return f"{round(x):,}"
        if spec == "money":
            return _money(x)
        if spec == "days":
            return _days(x)
        if spec == "minutes":
            return _minutes(x)
        if spec == "hours":
            return f"{x:.1f} h" if x < 48 else _days(x / 24)
        if spec == "pct":
            return f"{100 * x:.0f}%"
        if spec == "per":
            return f"{x:.2g}\u00d7"
        if spec == "1f":
            return f"{x:.1f}"
        return f"{x:g}"


class _Context(dict[str, object]):
    """The template's names: this feature's own, else another feature's value, wrapped on demand
    (a phrase names one or two values; wrapping all ~90 per reason would cost more than scoring)."""

    def __init__(self, own: dict[str, object], row: Mapping[str, float]) -> None:
        super().__init__(own)
        self.row = row

    def __missing__(self, key: str) -> Value:
        return Value(self.row[key])


@dataclass(frozen=True, slots=True)
class Feature:
    """One documented feature. `window` is "1 d", "3 d", "7 d", "30 d", "decayed" (every event,
    weighted by recency), "ever", "latest" or "profile"."""

    name: str
    meaning: str
    window: str
    sources: str
    phrase: str
    zero: str | None = None
    missing: str | None = None
    labels: Mapping[int, str] | None = None  # for coded categories: code -> words

    def describe(self, value: float, row: Mapping[str, float]) -> str:
        """This feature's value (and the row's other values) in plain words."""
        if value is None or math.isnan(value):
            return self.missing or f"{self.meaning.rstrip('.').lower()}: not known yet"
        template = self.zero if value == 0 and self.zero is not None else self.phrase
        label = self.labels.get(round(value), "other") if self.labels is not None else ""
        own: dict[str, object] = {
            "value": Value(value),
            "s": "" if round(value) == 1 else "s",
            "label": label,
        }
        return template.format_map(_Context(own, row))

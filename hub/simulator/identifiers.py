"""Deterministic identifiers and the scalar random stream the per-event code draws from.

Bulk draws (one value per lead per day) use the numpy Generator; per-event choices (which text
template, which id) use a `random.Random` seeded from that Generator, because a Python call into
numpy for one scalar costs ~1 µs against ~50 ns — at 200k events that is most of the run.
Both are seeded from the config, so every id and every byte of output is reproducible.
"""

from __future__ import annotations

import random
import string
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import TypeVar

import numpy as np

_ALPHANUMERIC = string.ascii_letters + string.digits
# Random bytes -> alphanumerics via one translate table (a slight bias towards the first 8
# characters is irrelevant for ids, and this is 40x faster than random.choices).
_TO_ALPHANUMERIC = bytes(ord(_ALPHANUMERIC[b % len(_ALPHANUMERIC)]) for b in range(256))
T = TypeVar("T")


class Draws:
    """The scalar random stream: GHL-style ids, UUIDs, choices and uniforms."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._random = random.Random(int(rng.integers(0, 2**63 - 1)))
        self.random = self._random.random
        self._bytes = self._random.randbytes

    def ghl_id(self) -> str:
        """A 20-character alphanumeric id, the shape GHL uses for contacts, messages, users, ..."""
        return self._bytes(20).translate(_TO_ALPHANUMERIC).decode("ascii")

    def object_id(self) -> str:
        """A 24-hex-digit Mongo ObjectId, the shape of GHL appId/versionId and email-pool ids."""
        return self._bytes(12).hex()

    def uuid(self) -> str:
        """A version-4 UUID (webhookId, pipeline stage id) drawn from the seeded stream."""
        raw = bytearray(self._bytes(16))
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def hex(self, digits: int) -> str:
        """`digits` (even) random lowercase hex digits (trace ids)."""
        return self._bytes(digits // 2).hex()

    def choice(self, options: Sequence[T]) -> T:
        """One element, uniformly."""
        return options[int(self._random.random() * len(options))]

    def weighted(self, options: Sequence[T], weights: Sequence[float]) -> T:
        """One element with the given (unnormalised) weights."""
        return self._random.choices(options, weights=weights, k=1)[0]

    def chance(self, probability: float) -> bool:
        """True with the given probability."""
        return self._random.random() < probability

    def between(self, low: float, high: float) -> float:
        """A uniform float in [low, high)."""
        return low + (high - low) * self._random.random()

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high] (both ends included)."""
        return low + int(self._random.random() * (high - low + 1))

    def lognormal_ms(self, median_ms: float, sigma: float) -> int:
        """A lognormal delay in milliseconds with the given median."""
        return int(median_ms * self._random.lognormvariate(0.0, sigma))

    def exponential_ms(self, mean_ms: float) -> int:
        """An exponential delay in milliseconds with the given mean."""
        return int(self._random.expovariate(1.0 / mean_ms))


@lru_cache(maxsize=100_000)
def _hour_prefix(hour: int) -> str:
    return datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y-%m-%dT%H:")


def iso_ms(ms: int) -> str:
    """`2026-03-02T15:04:05.123Z`: the UTC millisecond form GHL uses for dateAdded and timestamp."""
    seconds, millis = divmod(ms, 1000)
    hour, rest = divmod(seconds, 3600)
    minute, second = divmod(rest, 60)
    return f"{_hour_prefix(hour)}{minute:02d}:{second:02d}.{millis:03d}Z"


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: `Sofía García` -> `sofiagarcia` (for e-mail local parts)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())

"""A block of samples: for each (lead, cutoff), that lead's events visible at the cutoff, flattened.

Features are reductions over the rows of each sample (`seg`), so the same code computes one lead at
one moment (online) and a hundred thousand (lead, cutoff) samples (offline): training/serving
parity holds by construction, and tests/ml/test_parity.py checks it.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ml.features.columns import NONE
from ml.features.events import DAY_MS, SPAN, BoolArray, FloatArray, IntArray, LeadArrays


class Block:
    """Samples `(lead[i], cutoff[i])` over `events`. Row arrays are indexed by visible event row."""

    def __init__(self, events: LeadArrays, lead: IntArray, cutoff: IntArray) -> None:
        self.events = events
        self.lead = lead.astype(np.int64)
        self.cutoff = cutoff.astype(np.int64)
        self.n = len(lead)
        base = int(events.at.min()) if len(events.at) else 0
        keys = events.lead * SPAN + (events.at - base)
        starts = np.searchsorted(events.lead, self.lead, side="left")
        rel = np.clip(self.cutoff - base, -1, SPAN // 2)
        ends = np.searchsorted(keys, self.lead * SPAN + rel, side="right")
        lengths = np.maximum(ends - starts, 0)
        seg = np.repeat(np.arange(self.n, dtype=np.int64), lengths)
        first = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        rows = np.arange(len(seg), dtype=np.int64) + first
        # An event that happened before the cutoff but arrived after it is not visible yet.
        visible = events.known[rows] <= self.cutoff[seg]
        self.seg = seg[visible]
        self.rows = rows[visible]
        self._cache: dict[str, FloatArray | IntArray | BoolArray] = {}

    def col(self, name: str) -> FloatArray | IntArray | BoolArray:
        """Event column `name` at the block's rows (gathered once, then cached)."""
        if name not in self._cache:
            self._cache[name] = self.events.cols[name][self.rows]
        return self._cache[name]

    def mask(self, name: str) -> BoolArray:
        key = "?" + name
        if key not in self._cache:
            self._cache[key] = self.col(name).astype(bool)
        return self._cache[key]  # type: ignore[return-value]

    def prof(self, name: str) -> FloatArray:
        """Profile column `name` per sample."""
        return self.events.profile[name][self.lead].astype(float)

    @cached_property
    def at(self) -> IntArray:
        return np.asarray(self.events.at[self.rows], dtype=np.int64)

    @cached_property
    def row_cutoff(self) -> IntArray:
        return np.asarray(self.cutoff[self.seg], dtype=np.int64)

    @cached_property
    def age_days(self) -> FloatArray:
        """Per row: days from the event to its sample's cutoff (>= 0)."""
        return (self.row_cutoff - self.at) / DAY_MS

    def within(self, days: float) -> BoolArray:
        key = f"<{days!r}"
        if key not in self._cache:
            self._cache[key] = np.asarray(self.age_days < days, dtype=np.bool_)
        return self._cache[key]  # type: ignore[return-value]

    # Reductions per sample; each returns float64 of length n. A block of one sample (the online
    # path) takes the same reductions without the scatter (bincount / ufunc.at) machinery, which
    # costs more than the arithmetic on a few dozen rows; tests/ml/test_parity.py keeps both equal.
    def count(self, mask: BoolArray) -> FloatArray:
        if self.n == 1:
            return np.array([np.count_nonzero(mask)], dtype=np.float64)
        return np.bincount(self.seg[mask], minlength=self.n).astype(float)

    def total(self, values: FloatArray, mask: BoolArray) -> FloatArray:
        keep = mask & ~np.isnan(values)
        # bincount for one sample too: its sequential sum keeps both paths bit-identical.
        return np.bincount(self.seg[keep], weights=values[keep], minlength=self.n).astype(np.float64)

    def mean(self, values: FloatArray, mask: BoolArray) -> FloatArray:
        keep = mask & ~np.isnan(values)
        return ratio(self.total(values, keep), self.count(keep))

    def std(self, values: FloatArray, mask: BoolArray) -> FloatArray:
        keep = mask & ~np.isnan(values)
        mean = self.mean(values, keep)
        deviation = np.where(keep, values - mean[self.seg], 0.0)
        return np.sqrt(ratio(self.total(deviation**2, keep), self.count(keep)))

    def maximum(self, values: FloatArray, mask: BoolArray) -> FloatArray:
        keep = mask & ~np.isnan(values)
        if self.n == 1:
            return np.array([values[keep].max() if keep.any() else np.nan], dtype=np.float64)
        out = np.full(self.n, -np.inf)
        np.maximum.at(out, self.seg[keep], values[keep])
        return np.where(np.isinf(out), np.nan, out)

    def nunique(self, codes: IntArray, mask: BoolArray) -> FloatArray:
        keep = mask & (codes >= 0)
        if self.n == 1:
            return np.array([len(np.unique(codes[keep]))], dtype=np.float64)
        pairs = np.unique(self.seg[keep] * (int(codes.max(initial=0)) + 1) + codes[keep])
        return np.bincount(pairs // (int(codes.max(initial=0)) + 1), minlength=self.n).astype(float)

    def last_index(self, mask: BoolArray) -> IntArray:
        """Per sample, the block row of the latest masked event (-1 if none); rows are time-sorted."""
        if self.n == 1:
            hits = np.flatnonzero(mask)
            return np.array([hits[-1] if len(hits) else -1], dtype=np.int64)
        out = np.full(self.n, -1, dtype=np.int64)
        np.maximum.at(out, self.seg[mask], np.flatnonzero(mask))
        return out

    def last_value(self, values: FloatArray, mask: BoolArray, default: float = np.nan) -> FloatArray:
        """Per sample, `values` at the latest masked row whose value is known."""
        if self.n == 1:
            hits = np.flatnonzero(mask & ~np.isnan(values))
            return np.array([values[hits[-1]] if len(hits) else default], dtype=np.float64)
        index = self.last_index(mask & ~np.isnan(values))
        return np.where(index >= 0, values[np.maximum(index, 0)] if len(values) else default, default)

    def last_time(self, mask: BoolArray) -> IntArray:
        if self.n == 1:
            hits = np.flatnonzero(mask)
            return np.array([self.at[hits[-1]] if len(hits) else NONE], dtype=np.int64)
        index = self.last_index(mask)
        return np.where(index >= 0, self.at[np.maximum(index, 0)] if len(self.at) else NONE, NONE)

    def first_time(self, mask: BoolArray) -> IntArray:
        if self.n == 1:
            hits = np.flatnonzero(mask)
            return np.array([self.at[hits[0]] if len(hits) else NONE], dtype=np.int64)
        out = np.full(self.n, np.iinfo(np.int64).max)
        np.minimum.at(out, self.seg[mask], self.at[mask])
        return np.where(out == np.iinfo(np.int64).max, NONE, out)

    def days_since(self, times: IntArray) -> FloatArray:
        """Per sample: days from `times` (per sample, NONE = never) to the cutoff, NaN if never."""
        if self.n == 1:
            moment = int(times[0])
            return np.array([np.nan if moment == NONE else (int(self.cutoff[0]) - moment) / DAY_MS])
        return np.where(times == NONE, np.nan, (self.cutoff - times) / DAY_MS)


def ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """numerator / denominator, NaN where the denominator is 0."""
    if len(numerator) == 1:
        below = float(denominator[0])
        return np.array([float(numerator[0]) / below if below > 0 else np.nan])
    out = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out

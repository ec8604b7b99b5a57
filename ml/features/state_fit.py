"""Fit the state filter's parameters (ml.features.state_filter) by EM on a training window.

    params = fit_filter(events, profiles, fit_end=first_validation_cutoff)

Baum-Welch over every lead's days up to `fit_end`, from the same day evidence the filter reads
(so it sees only events known by `fit_end`): the E step runs the scaled forward-backward pass for
all leads at once, the M step sets start odds, transitions, per-state Poisson rates and call
pick-up odds from the expected state occupancies. No label and no simulator ground truth is used.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from ml.features.block import Block
from ml.features.build import moment_ms
from ml.features.columns import profile_columns
from ml.features.events import FloatArray, prepare
from ml.features.state_filter import COUNTS, ENGAGING, FilterParams, day_evidence

_FLOOR = 1e-6


def _emissions(x: dict[str, FloatArray], rates: FloatArray, answer: FloatArray) -> FloatArray:
    """(n, days, K) likelihood of each day's evidence in each state, scaled per day (max 1)."""
    log = np.zeros((*x["opt_outs"].shape, len(answer)))
    for f, name in enumerate(COUNTS):
        rate = np.maximum(rates[f], _FLOOR)
        log += x[name][:, :, None] * np.log(rate) - rate
    p = np.clip(answer, _FLOOR, 1 - _FLOOR)
    log += x["calls_answered"][:, :, None] * np.log(p) + x["calls_unanswered"][:, :, None] * np.log(1 - p)
    scaled: FloatArray = np.exp(log - log.max(axis=2, keepdims=True))
    return scaled


def _em_step(x: dict[str, FloatArray], alive: np.ndarray, first: np.ndarray, p: FilterParams) -> FilterParams:
    initial, a = np.array(p.initial), np.array(p.transition)
    e = _emissions(x, np.array(p.rates), np.array(p.answer))
    n, days, k = e.shape
    alpha = np.zeros((n, days, k))
    belief = np.tile(initial, (n, 1))
    for t in range(days):
        prior = np.where(first[:, t, None], initial, belief @ a)
        joint = prior * e[:, t]
        joint /= joint.sum(axis=1, keepdims=True)
        belief = np.where(alive[:, t, None], joint, belief)
        alpha[:, t] = belief
    beta = np.ones((n, days, k))
    for t in range(days - 2, -1, -1):
        nxt = (e[:, t + 1] * beta[:, t + 1]) @ a.T
        beta[:, t] = np.where(alive[:, t + 1, None], nxt / nxt.sum(axis=1, keepdims=True), 1.0)
    gamma = alpha * beta
    gamma /= gamma.sum(axis=2, keepdims=True)
    gamma *= alive[:, :, None]
    # Expected transitions t -> t+1 between days the lead existed on both.
    xi = alpha[:, :-1, :, None] * a[None, None] * (e[:, 1:] * beta[:, 1:])[:, :, None, :]
    xi /= xi.sum(axis=(2, 3), keepdims=True)
    xi *= (alive[:, :-1] & alive[:, 1:] & ~first[:, 1:])[:, :, None, None]
    occupancy = gamma.sum(axis=(0, 1))
    transition = xi.sum(axis=(0, 1))
    transition /= transition.sum(axis=1, keepdims=True)
    rates = np.array([(gamma * x[name][:, :, None]).sum(axis=(0, 1)) / occupancy for name in COUNTS])
    calls = x["calls_answered"] + x["calls_unanswered"]
    answer = (gamma * x["calls_answered"][:, :, None]).sum(axis=(0, 1)) / np.maximum(
        (gamma * calls[:, :, None]).sum(axis=(0, 1)), _FLOOR
    )
    start = (gamma * first[:, :, None]).sum(axis=(0, 1))
    return _params(start / start.sum(), transition, rates, answer)


def _params(
    initial: FloatArray, transition: FloatArray, rates: FloatArray, answer: FloatArray
) -> FilterParams:
    engaging = rates[[COUNTS.index(name) for name in ENGAGING]].sum(axis=0)
    order = np.argsort(engaging)  # coldest state first

    def r(values: FloatArray) -> tuple[float, ...]:
        return tuple(round(float(v), 6) for v in values)

    return FilterParams(
        initial=r(initial[order]),
        transition=tuple(r(transition[i][order]) for i in order),
        rates=tuple(r(row[order]) for row in rates),
        answer=r(answer[order]),
    )


def fit_filter(
    events: pd.DataFrame,
    profiles: pd.DataFrame,
    *,
    fit_end: datetime,
    k: int = 3,
    days: int = 120,
    iterations: int = 40,
) -> FilterParams:
    """EM fit on every lead's days up to `fit_end` (events known by then only)."""
    arrays = prepare(events, profile_columns(profiles))
    end = moment_ms(fit_end)
    leads = np.flatnonzero(arrays.profile["created"] <= end)
    block = Block(arrays, leads.astype(np.int64), np.full(len(leads), end, dtype=np.int64))
    counts, age = day_evidence(block, days)
    # Chronological order: column 0 is the oldest day.
    x = {name: values[:, ::-1].copy() for name, values in counts.items()}
    t_back = np.arange(days)[::-1]
    alive = age[:, None] > t_back[None, :]
    first = alive & (age[:, None] <= t_back[None, :] + 1)
    first[:, 0] |= alive[:, 0]  # leads older than the window start there
    mean = np.array([x[name][alive].mean() for name in COUNTS])
    spread = np.geomspace(0.1, 3.0, k)
    calls = x["calls_answered"][alive].sum() / max(
        (x["calls_answered"] + x["calls_unanswered"])[alive].sum(), 1
    )
    params = _params(
        np.full(k, 1 / k),
        np.full((k, k), 0.1 / (k - 1)) + np.eye(k) * (0.9 - 0.1 / (k - 1)),
        mean[:, None] * spread[None, :],
        np.full(k, calls) * np.linspace(0.7, 1.3, k),
    )
    for _ in range(iterations):
        params = _em_step(x, alive, first, params)
    return params

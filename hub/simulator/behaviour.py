"""The daily engine: advance every lead's latent state and draw the day's activity, vectorised.

For each day t, across all leads at once (numpy): arrivals draw their first state, the others move
by their transition matrix; leads in an emitting state draw Poisson counts of each engagement kind
and a Bernoulli booking; agents draw follow-ups and campaign e-mails. Only leads with something to
do get a Python call (`Story.play_day`), which times and writes the events.

The engine also records the realised latent path (state per lead per day) and, per day, whether
the lead converted (booked an appointment or was won) and whether it engaged — the realised
labels the oracle is scored against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hub.simulator.context import DAY_MS, Context
from hub.simulator.latent import (
    BROWSING,
    ENGAGEMENT_KINDS,
    HOT,
    LOST,
    OPTED_OUT,
    WON,
    Dynamics,
    first_states,
    step,
)
from hub.simulator.story import Story, Transition

NURTURE_AFTER_DAYS = 21
REASSIGN_DAILY = 0.0015
DRIP_DAILY = 1 / 7


@dataclass(frozen=True, slots=True)
class LatentPath:
    """What the latent process did: states (-1 before arrival) and daily conversion/engagement flags."""

    states: NDArray[np.int8]  # (n, days)
    converted: NDArray[np.bool_]  # (n, days): an appointment booked or the opportunity won that day
    engaged: NDArray[np.bool_]  # (n, days): at least one inbound engagement event that day


def run(ctx: Context, dynamics: Dynamics, rng: np.random.Generator) -> LatentPath:
    """Simulate every day of the window, writing events into `ctx.timeline`."""
    leads, days, n = ctx.leads, ctx.days, ctx.leads.n
    story = Story(ctx)
    k = len(ENGAGEMENT_KINDS)
    state = np.full(n, -1, dtype=np.int64)
    states = np.full((n, days), -1, dtype=np.int8)
    converted = np.zeros((n, days), dtype=bool)
    engaged = np.zeros((n, days), dtype=bool)
    by_day = np.argsort(leads.arrival_day, kind="stable")
    bounds = np.searchsorted(leads.arrival_day[by_day], np.arange(days + 1))
    diligence = np.array(
        [
            ctx.world.locations[loc].agents[a].diligence
            for loc, a in zip(leads.location, leads.agent, strict=True)
        ]
    )
    last_engaged = leads.arrival_day.copy()
    nurtured = np.zeros(n, dtype=bool)
    won_known = np.zeros(n, dtype=bool)

    for t in range(days):
        arrivals = by_day[bounds[t] : bounds[t + 1]]
        transition = np.zeros(n, dtype=np.int64)
        movers = np.flatnonzero((state >= 0) & (state < WON))
        if movers.size:
            old = state[movers]
            new = step(dynamics, movers, old, rng.random(movers.size))
            transition[movers] = np.select(
                [
                    new == WON,
                    new == LOST,
                    (new == OPTED_OUT) & (old != OPTED_OUT),
                    (old == OPTED_OUT) & (new == BROWSING),
                ],
                [Transition.WON, Transition.LOST, Transition.STOPPED, Transition.STARTED],
                Transition.NONE,
            )
            state[movers] = new
        if arrivals.size:
            state[arrivals] = first_states(dynamics, arrivals, rng.random(arrivals.size))
        states[:, t] = state

        live = np.flatnonzero((state >= 0) & (state <= HOT))
        lam = dynamics.rates[live, state[live]]
        fresh = leads.arrival_day[live] == t
        # On its arrival day a lead only has what is left of the day to act in.
        remaining = (ctx.day_start(t + 1) - leads.created_ms[live]) / DAY_MS
        lam = lam * np.where(fresh, remaining, 1.0)[:, None]
        counts = np.zeros((n, k), dtype=np.int64)
        counts[live] = rng.poisson(lam)
        booked = np.zeros(n, dtype=bool)
        booked[live] = rng.random(live.size) < dynamics.booking[live, state[live]]
        converted[:, t] = booked | (transition == Transition.WON)
        engaged[:, t] = counts.any(axis=1)

        reachable = np.flatnonzero((state >= 0) & (state <= OPTED_OUT) & (leads.arrival_day < t))
        age = t - leads.arrival_day[reachable]
        follow = np.zeros(n, dtype=np.int64)
        follow[reachable] = rng.poisson(diligence[reachable] * (0.45 * np.exp(-age / 6.0) + 0.05))
        drips = np.zeros(n, dtype=np.int64)
        drips[reachable] = rng.poisson(DRIP_DAILY, reachable.size)

        for i in arrivals.tolist():
            # A lead who texted in engaged on arrival (outside the Poisson streams; arrival day only).
            engaged[i, t] |= story.arrive(i, int(state[i])).texted_in
        active = np.flatnonzero(
            (transition != Transition.NONE)
            | booked
            | (counts.sum(axis=1) > 0)
            | (follow > 0)
            | (drips > 0)
            | (leads.arrival_day == t)
        )
        rows = counts[active].tolist()
        for j, i in enumerate(active.tolist()):
            rec = ctx.files[i]
            assert rec is not None  # every active lead has arrived
            story.play_day(
                rec,
                t,
                int(state[i]),
                int(transition[i]),
                rows[j],
                bool(booked[i]),
                int(follow[i]),
                int(drips[i]),
            )

        last_engaged[engaged[:, t]] = t
        nurtured[engaged[:, t]] = False
        won_known |= transition == Transition.WON
        due = np.flatnonzero((state >= 0) & ~nurtured & ~won_known & (t - last_engaged >= NURTURE_AFTER_DAYS))
        for i in due.tolist():
            rec = ctx.files[i]
            assert rec is not None
            story.nurture(rec, t)
        nurtured[due] = True
        moving = np.flatnonzero((state >= 0) & ~won_known & (rng.random(n) < REASSIGN_DAILY))
        for i in moving.tolist():
            rec = ctx.files[i]
            assert rec is not None
            diligence[i] = story.reassign(rec, t)
    return LatentPath(states, converted, engaged)

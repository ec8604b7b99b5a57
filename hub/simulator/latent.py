"""The latent engagement process: a per-lead Markov chain over days, and what each state emits.

Every lead is in one latent state per simulated day. Each day (after the arrival day) the state
moves by the lead's own transition matrix `P[i]`, whose entries depend on static latent traits:
motivation, urgency (true timeline) and the speed-to-lead effect. Given the day's state, the
lead's observable inbound activity is Poisson with state- and trait-dependent rates, and a
showing / listing appointment is booked with a Bernoulli probability. Because the whole process is
Markov in (state, static traits), the oracle probabilities are exact (see `oracle.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class State(IntEnum):
    """Latent engagement states; WON and LOST are absorbing."""

    COLD = 0
    BROWSING = 1
    ACTIVE = 2
    HOT = 3
    OPTED_OUT = 4
    WON = 5
    LOST = 6


STATE_NAMES = tuple(state.name.lower() for state in State)
N_STATES = len(State)
COLD, BROWSING, ACTIVE, HOT, OPTED_OUT, WON, LOST = (int(state) for state in State)

# Inbound engagement kinds, in the column order of `Dynamics.rates`.
ENGAGEMENT_KINDS = ("sms", "email", "call", "view", "save", "showing_request", "not_interested")
# Per-state base daily rates (COLD, BROWSING, ACTIVE, HOT); OPTED_OUT, WON, LOST emit nothing.
_BASE_RATES = np.array(
    [
        [0.010, 0.10, 0.40, 0.70],  # SMS replies        x chattiness x SMS affinity
        [0.004, 0.04, 0.14, 0.22],  # e-mail replies     x chattiness x e-mail affinity
        [0.000, 0.01, 0.04, 0.10],  # inbound calls      x chattiness
        [0.030, 0.55, 1.10, 1.40],  # listing views      x browse intensity
        [0.000, 0.05, 0.20, 0.32],  # saves              x browse intensity
        [0.000, 0.004, 0.04, 0.12],  # showing requests   x browse intensity (buyers)
        [0.004, 0.04, 0.05, 0.03],  # "not interested"   x browse intensity
    ]
)
_BOOKING = np.array([0.0, 0.003, 0.035, 0.15])


@dataclass(frozen=True, slots=True)
class Traits:
    """Static latent traits of n leads (arrays of length n)."""

    motivation: FloatArray  # 0..1: how serious the lead is
    urgency: FloatArray  # rate multiplier from the true timeline (0-3 months fastest)
    chattiness: FloatArray  # how much the lead writes, independent of intent (noise)
    browse: FloatArray  # website activity; 0 for leads without an IDX account
    sms_weight: FloatArray  # 0 without a phone
    email_weight: FloatArray  # 0 without an e-mail address
    stop_prone: FloatArray  # propensity to text STOP
    stl_factor: FloatArray  # speed-to-lead effect, fixed once the first response delay is drawn
    seller: NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Dynamics:
    """Per-lead transition matrices, booking probabilities and engagement rates."""

    transition: FloatArray  # (n, S, S), rows sum to 1
    cumulative: FloatArray  # (n, S, S) row-wise cumulative sums, for inverse-CDF sampling
    booking: FloatArray  # (n, S) probability of booking an appointment on a day in that state
    rates: FloatArray  # (n, S, K) Poisson rates of the inbound engagement kinds
    initial: FloatArray  # (n, S) distribution of the state on the arrival day

    @property
    def engagement_rate(self) -> FloatArray:
        """(n, S) total inbound engagement rate: the churn oracle's "no engagement" hazard."""
        total: FloatArray = self.rates.sum(axis=2)
        return total


def build_dynamics(traits: Traits) -> Dynamics:
    """Turn static traits into each lead's chain and emission parameters."""
    m, u, f = traits.motivation, traits.urgency, traits.stl_factor
    sp = traits.stop_prone
    n = m.shape[0]
    p = np.zeros((n, N_STATES, N_STATES))
    p[:, COLD, BROWSING] = 0.006 + 0.025 * m
    p[:, COLD, OPTED_OUT] = 0.0015 * sp
    p[:, COLD, LOST] = 0.003
    p[:, BROWSING, ACTIVE] = 0.035 * (0.4 + m) * u * f
    p[:, BROWSING, COLD] = 0.045 * (1.4 - m) / f
    p[:, BROWSING, OPTED_OUT] = 0.003 * sp
    p[:, BROWSING, LOST] = 0.002
    p[:, ACTIVE, HOT] = 0.045 * m * u
    p[:, ACTIVE, BROWSING] = 0.05 * (1.3 - m)
    p[:, ACTIVE, COLD] = 0.015 * (1.3 - m) / f
    p[:, ACTIVE, OPTED_OUT] = 0.0015 * sp
    p[:, ACTIVE, LOST] = 0.004
    p[:, HOT, WON] = 0.025 * (0.3 + m) * u * np.where(traits.seller, 0.8, 1.0)
    p[:, HOT, ACTIVE] = 0.06 * (1.2 - m)
    p[:, HOT, COLD] = 0.008
    p[:, HOT, LOST] = 0.012
    p[:, OPTED_OUT, BROWSING] = 0.006  # texts START again
    np.clip(p, 0.0, 0.3, out=p)
    idx = np.arange(N_STATES)
    p[:, idx, idx] = 0.0
    p[:, idx, idx] = 1.0 - p.sum(axis=2)
    cumulative = np.cumsum(p, axis=2)
    cumulative[:, :, -1] = 1.0 + 1e-12  # guard the inverse-CDF against rounding

    seller = traits.seller
    buyer_only = np.where(seller, 0.0, 1.0)
    seller_dim = np.where(seller, 0.25, 1.0)
    scale = np.stack(
        [
            traits.chattiness * traits.sms_weight,
            traits.chattiness * traits.email_weight,
            traits.chattiness * (traits.sms_weight > 0),  # calling needs a phone on file
            traits.browse * seller_dim,
            traits.browse * seller_dim,
            traits.browse * buyer_only,
            traits.browse * seller_dim,
        ],
        axis=1,
    )  # (n, K)
    rates = np.zeros((n, N_STATES, len(ENGAGEMENT_KINDS)))
    rates[:, :4, :] = _BASE_RATES.T[None, :, :] * scale[:, None, :]
    booking = np.zeros((n, N_STATES))
    booking[:, :4] = _BOOKING[None, :] * np.where(seller, 0.7, 1.0)[:, None]

    initial = np.zeros((n, N_STATES))
    initial[:, HOT] = 0.03 + 0.12 * m
    initial[:, ACTIVE] = 0.12 + 0.30 * m
    initial[:, COLD] = 0.40 * (1.0 - m)
    initial[:, BROWSING] = 1.0 - initial[:, [HOT, ACTIVE, COLD]].sum(axis=1)
    return Dynamics(p, cumulative, booking, rates, initial)


def step(dynamics: Dynamics, leads: IntArray, states: IntArray, u: FloatArray) -> IntArray:
    """Next day's states of `leads` (currently in `states`) by inverse-CDF with uniforms `u`."""
    rows = dynamics.cumulative[leads, states]  # (m, S)
    nxt: IntArray = (u[:, None] >= rows).sum(axis=1).astype(np.int64)
    return nxt


def first_states(dynamics: Dynamics, leads: IntArray, u: FloatArray) -> IntArray:
    """Arrival-day states of `leads` drawn from their initial distributions."""
    rows = np.cumsum(dynamics.initial[leads], axis=1)
    rows[:, -1] = 1.0 + 1e-12
    first: IntArray = (u[:, None] >= rows).sum(axis=1).astype(np.int64)
    return first

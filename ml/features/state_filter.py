"""A learned state filter: where the lead stands *today*, inferred day by day from what the CRM shows.

Counts and decays say how much a lead did; a hidden-Markov filter says what that pattern of days
means now. The lead is modelled as being in one of a few hidden engagement states (from cold to
hot) that persist from day to day and change with learned odds; each day's evidence — engagement
events, messages asking about a home or ready to act, messages putting us off, e-mail opens,
agent calls picked up or not, opt-out texts — is more or less likely in each state. The forward
filter turns the last FILTER_DAYS days of evidence into P(state today), which the model uses as
features.

Point in time: a sample's days are the 24-hour bins that end at its cutoff, filled from the
block's visible rows only, so a later event never changes an earlier cutoff's features. Batch
and one-lead paths do the same operations in the same order, so they give the same bits
(tests/ml/test_parity.py, tests/ml/test_state_filter.py).

The parameters (PARAMS) are fitted by EM (`fit_filter`, Baum-Welch on every lead's days) on the
TRAINING window of the seed-7 bench brokerage only — events known before its first validation
cutoff, no labels, no simulator ground truth — and kept as constants like the feature windows
are: `.venv/bin/python bench/bench_models.py --fit-filter` refits and prints them. Refitting on
another brokerage's (seed 11's) own training window scored no better (bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.features.block import Block
from ml.features.events import FloatArray
from ml.features.feature import Feature
from ml.intent import EVALUATING, STALLING

FILTER_DAYS = 30
# Evidence counted per day: Poisson counts, then agent calls (picked up / not) as Bernoulli trials.
COUNTS = ("engagements", "asking_messages", "stalling_messages", "email_opens", "opt_outs")
# The COUNTS that are engagement events (ml.features.engagement): their rates sum to a state's
# engagement rate.
ENGAGING = ("engagements",)
_FLOOR = 1e-6  # smallest rate / probability, so one surprising day never gives zero likelihood


@dataclass(frozen=True, slots=True)
class FilterParams:
    """A K-state filter: start odds (K), daily transition matrix (K x K), per-state daily rate of
    each COUNTS evidence (len(COUNTS) x K) and per-state chance an agent call is picked up (K).
    States are ordered by engagement rate, coldest first."""

    initial: tuple[float, ...]
    transition: tuple[tuple[float, ...], ...]
    rates: tuple[tuple[float, ...], ...]
    answer: tuple[float, ...]

    @property
    def k(self) -> int:
        return len(self.initial)


# Fitted by `fit_filter` on the seed-7 bench training window (see the module docstring).
PARAMS = FilterParams(
    initial=(0.465695, 0.482305, 0.051999),
    transition=(
        (0.984485, 0.015398, 0.000117),
        (0.062227, 0.836392, 0.101381),
        (0.030367, 0.205245, 0.764388),
    ),
    rates=(
        (0.045812, 0.767309, 3.049041),  # engagements
        (0.0, 0.166503, 1.278514),  # asking_messages
        (0.009567, 0.000314, 0.0),  # stalling_messages
        (0.016646, 0.063757, 0.130092),  # email_opens
        (0.001974, 0.0, 0.0),  # opt_outs
    ),
    answer=(0.191189, 0.423979, 0.547277),
)

_SOURCES = (
    "engagement events, inbound messages by intent (ml.intent), e-mail opens, agent calls (picked "
    "up or not), opt-out texts; last 30 days"
)
FEATURES = (
    Feature(
        "state_p_cold",
        "Probability the lead is in the coldest engagement state today (learned state filter).",
        "decayed",
        _SOURCES,
        "{value:pct} likely to have gone cold",
    ),
    Feature(
        "state_p_hot",
        "Probability the lead is in the hottest engagement state today (learned state filter).",
        "decayed",
        _SOURCES,
        "{value:pct} likely to be in an active buying phase",
    ),
    Feature(
        "state_expected_engagements_1d",
        "Engagement events the filter expects from the lead tomorrow (its state odds x each state's rate).",
        "decayed",
        _SOURCES,
        "expected to engage {value:1f} times tomorrow",
    ),
)


def day_evidence(b: Block, days: int) -> tuple[dict[str, FloatArray], FloatArray]:
    """Per sample and day bin (0 = the 24 h up to the cutoff, days-1 the oldest): each evidence
    count as an (n, days) array, and the lead's age in days at the cutoff (n)."""
    day = np.floor(b.age_days).astype(np.int64)
    recent = day < days
    cell = b.seg * days + day
    intent = b.col("intent").astype(float)
    msg_in = b.mask("msg_in")
    answered = b.mask("call_answered")
    masks = {
        "engagements": b.mask("engagement"),
        "asking_messages": msg_in & (intent >= EVALUATING),
        "stalling_messages": msg_in & (intent <= STALLING),
        "email_opens": b.mask("email_opened"),
        "opt_outs": b.mask("opt_out"),
        "calls_answered": answered,
        "calls_unanswered": b.mask("call_out") & ~answered,
    }
    size = b.n * days
    counts = {
        name: np.bincount(cell[mask & recent], minlength=size).astype(np.float64).reshape(b.n, days)
        for name, mask in masks.items()
    }
    age = (b.cutoff - b.prof("created").astype(np.int64)) / 86_400_000
    return counts, age


def likelihoods(counts: dict[str, FloatArray], params: FilterParams) -> list[FloatArray]:
    """Per state, the likelihood of each sample's evidence on each day bin, (n, days), scaled so
    the likeliest state of each day has 1 (element-wise numpy only: equal for any batch size)."""
    logs = []
    for s in range(params.k):
        total = np.zeros_like(counts["opt_outs"])
        for name, rates in zip(COUNTS, params.rates, strict=True):
            rate = max(rates[s], _FLOOR)
            total = total + (counts[name] * np.log(rate) - rate)
        p = min(max(params.answer[s], _FLOOR), 1 - _FLOOR)
        total = total + counts["calls_answered"] * np.log(p)
        total = total + counts["calls_unanswered"] * np.log(1 - p)
        logs.append(total)
    top = logs[0]
    for s in range(1, params.k):
        top = np.maximum(top, logs[s])
    return [np.exp(log - top) for log in logs]


def forward(
    counts: dict[str, FloatArray], age: FloatArray, params: FilterParams, days: int
) -> list[FloatArray]:
    """P(state) at the cutoff per sample: the filter run from the oldest bin to bin 0. Bins before
    the lead existed are skipped (its belief starts at `initial` on its first day)."""
    like = likelihoods(counts, params)
    if len(age) == 1:
        return [np.array([p]) for p in _forward_one(float(age[0]), [row[0].tolist() for row in like], params)]
    n, k = len(age), params.k
    belief = [np.full(n, params.initial[s]) for s in range(k)]
    for t in range(days - 1, -1, -1):
        alive = age > t  # the lead existed during bin t
        first = alive & (age <= t + 1)  # bin t is its first day: no transition into it
        prior = [
            np.where(first, params.initial[j], sum(belief[i] * params.transition[i][j] for i in range(k)))
            for j in range(k)
        ]
        joint = [prior[s] * like[s][:, t] for s in range(k)]
        total = joint[0]
        for s in range(1, k):
            total = total + joint[s]
        belief = [np.where(alive, joint[s] / total, belief[s]) for s in range(k)]
    return belief


def _forward_one(age: float, like: list[list[float]], params: FilterParams) -> list[float]:
    """`forward` for one sample in plain floats: the same operations in the same order (IEEE
    +, *, / give the same bits), without ~1,000 numpy calls on one-element arrays."""
    k = params.k
    belief = list(params.initial)
    for t in range(len(like[0]) - 1, -1, -1):
        if not age > t:
            continue
        if age <= t + 1:
            prior = list(params.initial)
        else:
            prior = [sum(belief[i] * params.transition[i][j] for i in range(k)) for j in range(k)]
        joint = [prior[s] * like[s][t] for s in range(k)]
        total = joint[0]
        for s in range(1, k):
            total = total + joint[s]
        belief = [joint[s] / total for s in range(k)]
    return belief


def engagement_rate(params: FilterParams, state: int) -> float:
    """Engagement events per day in `state`."""
    return sum(params.rates[COUNTS.index(name)][state] for name in ENGAGING)


def compute(b: Block) -> dict[str, FloatArray]:
    counts, age = day_evidence(b, FILTER_DAYS)
    belief = forward(counts, age, PARAMS, FILTER_DAYS)
    k = PARAMS.k
    expected = np.zeros(b.n)
    for j in range(k):
        tomorrow = sum(belief[i] * PARAMS.transition[i][j] for i in range(k))
        expected = expected + tomorrow * engagement_rate(PARAMS, j)
    return {
        "state_p_cold": belief[0],
        "state_p_hot": belief[k - 1],
        "state_expected_engagements_1d": expected,
    }

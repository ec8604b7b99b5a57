"""Training the ranker for serving: a time split of a brokerage's history, the candidate, the rule
scorer (and the current champion) ranked on the same held-out later window, and the decision.

    split = plan_split(interactions, end=now, test_days=14, horizon_days=14, every_days=3)
    run = train_and_compare(listings, interactions, explicit, split, champion=current)
    run.decision.promote, run.decision.reason, run.metrics["candidate"].ndcg

The window (test_at, end] is never seen by training: every training label ends by test_at
(`train_ranker` labels (T, T + horizon] for cutoffs T ≤ test_at − horizon), and the model is not
chosen by its held-out score — the held-out score only decides whether it is promoted. Plain
frames in and out (ml/ never reads the store); see ml/matching/__init__.py for their columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from hub.errors import TrainingDataError
from ml.matching.evaluation import RankingMetrics, evaluate_rankings, future_relevance
from ml.matching.frames import validate_interactions
from ml.matching.model import MatchModel, train_ranker
from ml.matching.profiles import buyer_profiles
from ml.matching.rank import rank_matches

TEST_DAYS = 14.0
HORIZON_DAYS = 14.0
EVERY_DAYS = 3.0
MIN_TEST_INTERACTIONS = 30
TOP_K = 10
CANDIDATE, RULES, CHAMPION = "candidate", "rules", "champion"


@dataclass(frozen=True, slots=True)
class RankerSplit:
    """Training cutoffs (ascending; the last one is the validation cutoff for early stopping) and the
    held-out window (test_at, end]."""

    train_cutoffs: list[datetime]
    test_at: datetime
    end: datetime
    horizon_days: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "train_cutoffs": [self.train_cutoffs[0].isoformat(), self.train_cutoffs[-1].isoformat()],
            "n_cutoffs": len(self.train_cutoffs),
            "labels_end": (self.train_cutoffs[-1] + timedelta(days=self.horizon_days)).isoformat(),
            "test_window": [self.test_at.isoformat(), self.end.isoformat()],
        }


@dataclass(frozen=True, slots=True)
class RankerDecision:
    promote: bool
    reason: str


@dataclass(frozen=True, slots=True)
class RankerTraining:
    model: MatchModel
    split: RankerSplit
    metrics: dict[str, RankingMetrics]  # CANDIDATE, RULES and (when there is one) CHAMPION
    decision: RankerDecision
    held_out_pairs: int  # relevant (buyer, listing) pairs in the held-out window


def plan_split(
    interactions: pd.DataFrame,
    *,
    end: datetime,
    test_days: float = TEST_DAYS,
    horizon_days: float = HORIZON_DAYS,
    every_days: float = EVERY_DAYS,
) -> RankerSplit:
    """Held-out window (end − test_days, end]; training cutoffs every `every_days` going back from
    test_at − horizon_days while at least `every_days` of history lie before them, so no training
    label reaches into the held-out window. Needs at least two cutoffs (one trains, the last one
    validates)."""
    if min(test_days, horizon_days, every_days) <= 0:
        raise TrainingDataError(
            f"test_days, horizon_days and every_days must be positive; got {test_days}, {horizon_days}, "
            f"{every_days}"
        )
    stop = pd.Timestamp(end)
    if stop.tzinfo is None:
        raise TrainingDataError("end must be timezone-aware (UTC)")
    log = validate_interactions(interactions)
    log = log[log["at"] <= stop]
    if log.empty:
        raise TrainingDataError(
            f"no listing interactions up to {stop:%Y-%m-%d %H:%M} UTC: nothing to learn from"
        )
    test_at = stop - pd.Timedelta(days=test_days)
    every = pd.Timedelta(days=every_days)
    earliest = log["at"].min() + every
    cutoffs: list[datetime] = []
    cutoff = test_at - pd.Timedelta(days=horizon_days)
    while cutoff >= earliest:
        cutoffs.append(cutoff.to_pydatetime())
        cutoff -= every
    if len(cutoffs) < 2:
        needed = test_days + horizon_days + 2 * every_days
        have = (stop - log["at"].min()) / pd.Timedelta(days=1)
        raise TrainingDataError(
            f"need at least {needed:g} days of listing interactions for a time split (held-out "
            f"{test_days:g} d + label horizon {horizon_days:g} d + two cutoffs {every_days:g} d apart); "
            f"have {have:.1f} days ({log['at'].min():%Y-%m-%d} to {stop:%Y-%m-%d})"
        )
    return RankerSplit(sorted(cutoffs), test_at.to_pydatetime(), stop.to_pydatetime(), horizon_days)


@dataclass(frozen=True, slots=True)
class HeldOut:
    """What every scorer is ranked on: profiles as of test_at and the later relevant pairs."""

    listings: pd.DataFrame
    profiles: pd.DataFrame
    relevance: pd.DataFrame


def held_out_window(
    listings: pd.DataFrame,
    interactions: pd.DataFrame,
    explicit: pd.DataFrame | None,
    split: RankerSplit,
    *,
    min_interactions: int = MIN_TEST_INTERACTIONS,
) -> HeldOut:
    """Profiles as of test_at (interactions after it unseen) and, as relevance, each profiled buyer's
    best interaction in (test_at, end] with a listing they had not interacted with by test_at — what
    a match at test_at could have shown them. Raises TrainingDataError below `min_interactions`
    relevant pairs: a comparison on a handful of buyers would promote by chance."""
    log = validate_interactions(interactions)
    profiles = buyer_profiles(log[log["at"] <= split.test_at], listings, explicit, split.test_at)
    relevance = future_relevance(log, split.test_at, split.end)
    seen = (
        profiles[["contact_id", "seen_listing_ids"]]
        .explode("seen_listing_ids")
        .dropna()
        .rename(columns={"seen_listing_ids": "listing_id"})
    )
    relevance = relevance.merge(seen.assign(_seen=True), on=["contact_id", "listing_id"], how="left")
    relevance = relevance[
        relevance["_seen"].isna() & relevance["contact_id"].isin(set(profiles["contact_id"]))
    ]
    relevance = relevance.drop(columns="_seen").reset_index(drop=True)
    if len(relevance) < min_interactions:
        raise TrainingDataError(
            f"need at least {min_interactions} interactions in the held-out window "
            f"({split.test_at:%Y-%m-%d %H:%M} to {split.end:%Y-%m-%d %H:%M} UTC); have {len(relevance)} "
            "(a view, save, showing request or alert click of a listing the buyer had not seen before, "
            "counted once per buyer and listing); wait for more activity or lower min_interactions"
        )
    # Past statuses are not stored (the feed overwrites them), so, as in training, the held-out
    # ranking treats every listing as on the market: the same candidates for every scorer.
    return HeldOut(listings.assign(status="Active"), profiles, relevance)


def compare_scorers(
    held_out: HeldOut, scorers: dict[str, MatchModel | None], *, k: int = TOP_K
) -> dict[str, RankingMetrics]:
    """NDCG@k and recall@k of each scorer (None = the rule scorer) on the same held-out window."""
    return {
        name: evaluate_rankings(
            rank_matches(held_out.listings, held_out.profiles, model, top_k=k), held_out.relevance, k=k
        )
        for name, model in scorers.items()
    }


def decide(metrics: dict[str, RankingMetrics]) -> RankerDecision:
    """Promote only if the candidate's held-out NDCG beats the rule scorer's and the champion's
    (when there is one) on the same window; a tie is not a win."""
    candidate = metrics[CANDIDATE]
    if math.isnan(candidate.ndcg):
        return RankerDecision(
            False, "no buyer in the held-out window had a relevant listing: nothing to compare"
        )
    for name, label in ((RULES, "rule scorer"), (CHAMPION, "current champion")):
        other = metrics.get(name)
        if other is not None and not candidate.ndcg > other.ndcg:
            return RankerDecision(
                False,
                f"NDCG@{candidate.k} {candidate.ndcg:.4f} does not beat the {label}'s {other.ndcg:.4f} on "
                f"the same {candidate.buyers} held-out buyers",
            )
    beaten = " and the current champion" if CHAMPION in metrics else ""
    rules = metrics[RULES]
    return RankerDecision(
        True,
        f"NDCG@{candidate.k} {candidate.ndcg:.4f} beats the rule scorer's {rules.ndcg:.4f}{beaten} on the "
        f"same {candidate.buyers} held-out buyers",
    )


def train_and_compare(
    listings: pd.DataFrame,
    interactions: pd.DataFrame,
    explicit: pd.DataFrame | None,
    split: RankerSplit,
    *,
    champion: MatchModel | None = None,
    min_test_interactions: int = MIN_TEST_INTERACTIONS,
    params: dict[str, Any] | None = None,
    seed: int = 0,
) -> RankerTraining:
    """Check the held-out window has enough data, fit the ranker on the training cutoffs, rank the
    held-out window with the candidate, the rules and the champion, and decide."""
    held_out = held_out_window(
        listings, interactions, explicit, split, min_interactions=min_test_interactions
    )
    model = train_ranker(
        listings,
        interactions,
        explicit,
        split.train_cutoffs,
        horizon_days=split.horizon_days,
        params=params,
        seed=seed,
    )
    scorers: dict[str, MatchModel | None] = {CANDIDATE: model, RULES: None}
    if champion is not None:
        scorers[CHAMPION] = champion
    metrics = compare_scorers(held_out, scorers)
    return RankerTraining(model, split, metrics, decide(metrics), len(held_out.relevance))

"""Ranking quality on held-out future interactions: NDCG@k and recall@k.

Relevance of a (buyer, listing) pair in a window is its best interaction there: showing request 3,
save 2, view or alert click 1 ("not interested" 0, i.e. not relevant). Gains are 2^rel − 1 with a
log2 position discount; the ideal ranking is the buyer's relevant pairs sorted by relevance, so a
ranker is only credited for listings the buyer really went on to engage with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from hub.errors import TrainingDataError
from ml.matching.frames import validate_interactions

RELEVANCE = {"showing_request": 3.0, "save": 2.0, "view": 1.0, "alert_click": 1.0, "not_interested": 0.0}


@dataclass(frozen=True, slots=True)
class RankingMetrics:
    """Mean NDCG@k and recall@k over the buyers that have at least one relevant listing."""

    ndcg: float
    recall: float
    buyers: int
    k: int

    def as_dict(self) -> dict[str, float | int]:
        return {f"ndcg@{self.k}": self.ndcg, f"recall@{self.k}": self.recall, "buyers": self.buyers}


def future_relevance(interactions: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    """(contact_id, listing_id, relevance): the best interaction of each pair with start < at ≤ end
    (RELEVANCE grades; pairs whose best is 0 are dropped)."""
    log = validate_interactions(interactions)
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    if lo.tzinfo is None or hi.tzinfo is None:
        raise TrainingDataError("start and end must be timezone-aware (UTC)")
    window = log[(log["at"] > lo) & (log["at"] <= hi)]
    graded = window.assign(relevance=window["kind"].map(RELEVANCE).astype(float))
    best = graded.groupby(["contact_id", "listing_id"], as_index=False)["relevance"].max()
    return best[best["relevance"] > 0].sort_values(["contact_id", "listing_id"]).reset_index(drop=True)


def per_buyer(rankings: pd.DataFrame, relevance: pd.DataFrame, *, k: int = 10) -> tuple[pd.Series, pd.Series]:
    """(NDCG@k, recall@k) of each buyer of `relevance` (contact_id index): `rankings` (contact_id,
    listing_id, rank) against `relevance` (future_relevance); a buyer missing from `rankings`
    scores 0. Vectorised with pandas (no loop over buyers)."""
    if k < 1:
        raise TrainingDataError(f"k must be at least 1, got {k}")
    truth = relevance[relevance["relevance"] > 0].astype({"contact_id": str, "listing_id": str})
    buyers = pd.Index(truth["contact_id"].unique(), name="contact_id")
    top = rankings[rankings["rank"] <= k][["contact_id", "listing_id", "rank"]].astype(
        {"contact_id": str, "listing_id": str}
    )
    hits = top.merge(truth, on=["contact_id", "listing_id"])
    gain = (np.power(2.0, hits["relevance"]) - 1.0) / np.log2(hits["rank"].to_numpy(dtype=float) + 1.0)
    dcg = gain.groupby(hits["contact_id"]).sum()
    ideal = truth.sort_values(["contact_id", "relevance"], ascending=[True, False])
    position = ideal.groupby("contact_id").cumcount() + 1
    kept = position <= k
    ideal_gain = (np.power(2.0, ideal["relevance"][kept]) - 1.0) / np.log2(position[kept] + 1.0)
    idcg = ideal_gain.groupby(ideal["contact_id"][kept]).sum()
    ndcg = (dcg.reindex(buyers, fill_value=0.0) / idcg.reindex(buyers)).rename(f"ndcg@{k}")
    found = hits.groupby("contact_id").size().reindex(buyers, fill_value=0)
    recall = (found / truth.groupby("contact_id").size().reindex(buyers)).astype(float).rename(f"recall@{k}")
    return ndcg, recall


def per_buyer_ndcg(rankings: pd.DataFrame, relevance: pd.DataFrame, *, k: int = 10) -> pd.Series:
    """NDCG@k of each buyer (`per_buyer`); `evaluate_rankings` reports its mean."""
    return per_buyer(rankings, relevance, k=k)[0]


def evaluate_rankings(rankings: pd.DataFrame, relevance: pd.DataFrame, *, k: int = 10) -> RankingMetrics:
    """Mean NDCG@k and recall@k over the buyers of `relevance` (`per_buyer`)."""
    ndcg, recall = per_buyer(rankings, relevance, k=k)
    if ndcg.empty:
        return RankingMetrics(float("nan"), float("nan"), 0, k)
    return RankingMetrics(float(ndcg.mean()), float(recall.mean()), int(ndcg.size), k)

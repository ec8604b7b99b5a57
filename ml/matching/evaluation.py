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


def evaluate_rankings(rankings: pd.DataFrame, relevance: pd.DataFrame, *, k: int = 10) -> RankingMetrics:
    """NDCG@k and recall@k of `rankings` (contact_id, listing_id, rank) against `relevance`
    (future_relevance), averaged over the buyers of `relevance`; a buyer missing from `rankings`
    scores 0. Vectorised with pandas (no loop over buyers)."""
    if k < 1:
        raise TrainingDataError(f"k must be at least 1, got {k}")
    truth = relevance[relevance["relevance"] > 0]
    buyers = truth["contact_id"].astype(str).unique()
    if buyers.size == 0:
        return RankingMetrics(float("nan"), float("nan"), 0, k)
    top = rankings[rankings["rank"] <= k][["contact_id", "listing_id", "rank"]].astype(
        {"contact_id": str, "listing_id": str}
    )
    hits = top.merge(truth.astype({"contact_id": str, "listing_id": str}), on=["contact_id", "listing_id"])
    gain = (np.power(2.0, hits["relevance"]) - 1.0) / np.log2(hits["rank"].to_numpy(dtype=float) + 1.0)
    dcg = gain.groupby(hits["contact_id"]).sum()
    ideal_sorted = truth.sort_values(["contact_id", "relevance"], ascending=[True, False])
    position = ideal_sorted.groupby("contact_id").cumcount() + 1
    ideal_rows = ideal_sorted[position <= k]
    ideal_gain = (np.power(2.0, ideal_rows["relevance"]) - 1.0) / np.log2(position[position <= k] + 1.0)
    idcg = ideal_gain.groupby(ideal_rows["contact_id"]).sum()
    ndcg = (dcg.reindex(buyers, fill_value=0.0) / idcg.reindex(buyers)).to_numpy()
    found = hits.groupby("contact_id").size().reindex(buyers, fill_value=0)
    total = truth.groupby("contact_id").size().reindex(buyers)
    recall = (found / total).to_numpy(dtype=float)
    return RankingMetrics(float(ndcg.mean()), float(recall.mean()), int(buyers.size), k)

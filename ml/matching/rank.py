"""`rank_matches`: hard filters, then the learned ranker (or the rule scorer), top-k and reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hub.errors import TrainingDataError
from ml.matching.encode import Encoded, blocked_pairs, candidate_blocks, encode
from ml.matching.features import pair_features, pre_scores
from ml.matching.frames import MATCH_COLUMNS
from ml.matching.model import MatchModel
from ml.matching.reasons import match_reasons
from ml.matching.rules import RuleTables, encoded_rule_scores, rule_tables

IntArray = NDArray[np.int64]


def top_per_row(scores: NDArray[np.floating], k: int) -> tuple[IntArray, IntArray, NDArray[np.float64]]:
    """(row, column, score) of the k best finite scores of each row, best first; ties are broken by
    the lower column so the answer never depends on partition order."""
    n = scores.shape[1]
    if n == 0 or k < 1:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    kth = min(k, n)
    threshold = np.partition(scores, n - kth, axis=1)[:, n - kth]
    rows, columns = np.nonzero((scores >= threshold[:, None]) & np.isfinite(scores))
    values = scores[rows, columns].astype(np.float64)
    order = np.lexsort((columns, -values, rows))
    rows, columns, values = rows[order], columns[order], values[order]
    first = np.searchsorted(rows, rows, side="left")
    keep = (np.arange(rows.size) - first) < k
    return rows[keep].astype(np.int64), columns[keep].astype(np.int64), values[keep]


def _as_of_year(profiles: pd.DataFrame) -> int:
    if "as_of" not in profiles.columns or profiles["as_of"].isna().all():
        raise TrainingDataError("profiles lack as_of; build them with buyer_profiles(..., as_of)")
    return int(pd.Timestamp(profiles["as_of"].dropna().iloc[0]).year)


def _block_matches(
    encoded: Encoded,
    model: MatchModel | None,
    rows: IntArray,
    columns: IntArray,
    mask: NDArray[np.bool_],
    *,
    top_k: int,
    shortlist: int | None,
    tables: RuleTables | None,
) -> tuple[IntArray, IntArray, NDArray[np.float64]]:
    """(buyer, listing, score) of the top_k matches of one block."""
    if model is None:
        assert tables is not None  # rank_matches builds them whenever there is no model
        scores = encoded_rule_scores(encoded, tables, rows[:, None], columns[None, :])
        scores = np.where(mask, scores, -np.inf)
        r, c, s = top_per_row(scores, top_k)
        return rows[r], columns[c], s
    pre = np.where(mask, pre_scores(encoded, rows, columns), np.float32(-np.inf))
    if shortlist is not None and shortlist < columns.size:
        r, c, _ = top_per_row(pre, shortlist)
        order = np.lexsort((c, r))  # back to column order within each row: ties go to the lower column
        r, c = r[order], c[order]
    else:
        r, c = np.nonzero(mask)
    if r.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    # The model's scores in a compact (rows × candidates-per-row) matrix: a dense rows × listings
    # one would be almost all -inf, where np.partition is ~10× slower (measured).
    position = np.arange(r.size) - np.searchsorted(r, r, side="left")
    width = int(position.max()) + 1
    scored = np.full((rows.size, width), -np.inf, dtype=np.float64)
    column_at = np.zeros((rows.size, width), dtype=np.int64)
    scored[r, position] = model.score(pair_features(encoded, rows[r], columns[c]))
    column_at[r, position] = c
    top_r, top_p, s = top_per_row(scored, top_k)
    return rows[top_r], columns[column_at[top_r, top_p]], s


def rank_matches(
    listings: pd.DataFrame,
    profiles: pd.DataFrame,
    model: MatchModel | None = None,
    *,
    top_k: int = 10,
    exclude: pd.DataFrame | None = None,
    include_seen: bool = False,
    budget_stretch: float = 0.15,
    shortlist: int | None = 300,
    chunk_size: int = 256,
) -> pd.DataFrame:
    """The best `top_k` active listings for every buyer in `profiles` (from `buyer_profiles`).

    Hard filters: status in ACTIVE_STATUSES; list_price ≤ budget_max × (1 + budget_stretch) and
    ≥ budget_min × (1 − budget_stretch) when stated; every must-have among the listing's
    features; same location when both frames carry location_id (a buyer without one then matches
    nothing); not in `exclude` (contact_id, listing_id pairs, e.g. already alerted or rejected);
    not already seen by the buyer unless `include_seen`. Then, with a model: a cheap vectorised
    pre-score keeps the `shortlist` best candidates per buyer (None = score every candidate) and
    the model ranks them; without a model: the seed rule scorer (`rules`). Work is done in blocks
    of `chunk_size` buyers with numpy over all their candidate pairs — no Python loop over pairs.

    Returns columns MATCH_COLUMNS (contact_id, listing_id, score, rank, reasons, scorer), sorted
    by contact_id then rank.
    """
    if top_k < 1:
        raise TrainingDataError(f"top_k must be at least 1, got {top_k}")
    if shortlist is not None and shortlist < top_k:
        raise TrainingDataError(f"shortlist ({shortlist}) must be at least top_k ({top_k}), or None")
    empty = pd.DataFrame({column: pd.Series(dtype=object) for column in MATCH_COLUMNS})
    if len(profiles) == 0:
        return empty
    encoded = encode(listings, profiles)
    tables = rule_tables(encoded, _as_of_year(profiles)) if model is None else None
    blocked = blocked_pairs(encoded, exclude, include_seen=include_seen)
    found: list[tuple[IntArray, IntArray, NDArray[np.float64]]] = []
    for block in candidate_blocks(encoded, blocked, budget_stretch=budget_stretch, chunk=chunk_size):
        found.append(
            _block_matches(
                encoded,
                model,
                block.buyers,
                block.listings,
                block.mask,
                top_k=top_k,
                shortlist=shortlist,
                tables=tables,
            )
        )
    if not found:
        return empty
    buyer = np.concatenate([f[0] for f in found])
    listing = np.concatenate([f[1] for f in found])
    score = np.concatenate([f[2] for f in found])
    if buyer.size == 0:
        return empty
    contact = encoded.buyers.ids[buyer].astype(str)
    order = np.lexsort((encoded.listings.ids[listing].astype(str), -score, contact))
    buyer, listing, score, contact = buyer[order], listing[order], score[order], contact[order]
    first = np.searchsorted(contact, contact, side="left")
    rank = (np.arange(contact.size) - first + 1).astype(np.int64)
    scorer = "rules" if model is None else f"model:{model.version or 'unsaved'}"
    return pd.DataFrame(
        {
            "contact_id": contact,
            "listing_id": encoded.listings.ids[listing].astype(str),
            "score": score,
            "rank": rank,
            "reasons": match_reasons(encoded, buyer, listing),
            "scorer": scorer,
        }
    )

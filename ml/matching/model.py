"""The learned ranker: XGBoost `rank:ndcg` over (buyer, listing) pair features, trained on time-split
interaction outcomes, saved as a "listing-match" model in the registry (native .ubj + JSON)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import xgboost as xgb
from numpy.typing import NDArray

from hub.errors import ModelError, TrainingDataError
from ml.matching.encode import blocked_pairs, candidate_blocks, encode
from ml.matching.evaluation import future_relevance
from ml.matching.features import FEATURE_NAMES, pair_features
from ml.matching.frames import validate_interactions, validate_listings
from ml.matching.profiles import buyer_profiles
from ml.registry import ModelRegistry

MATCH_KIND = "listing-match"
MAX_THREADS = 2  # the hub shares small hosts with the API and workers
# Prediction threads: on the shared 2-core hosts a second thread bought nothing for batch predict
# (1.5M rows: 5.3–6.1 s with 1 thread, 6.4–6.6 s with 2, measured under load).
PREDICT_THREADS = 1
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "rank:ndcg",
    "eval_metric": "ndcg@10",
    "lambdarank_pair_method": "topk",
    "eta": 0.1,
    "max_depth": 4,
    "min_child_weight": 1.0,
    "subsample": 0.8,
    "colsample_bytree": 0.9,
    "tree_method": "hist",
    # One thread: the training sets are small (~10^5 rows) and on the shared 2-core hosts the
    # per-iteration OpenMP synchronisation made 2 threads ~4× slower than 1 (measured).
    "nthread": 1,
}
NUM_ROUNDS = 400
EARLY_STOPPING = 40

Explicit: TypeAlias = pd.DataFrame | Callable[[datetime], pd.DataFrame] | None


@dataclass
class MatchModel:
    """A fitted ranker: the booster, its feature list, and provenance metadata."""

    booster: xgb.Booster
    feature_names: list[str]
    params: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    version: str | None = None

    def score(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        """Ranking score (higher = better) of each row of a pair-feature matrix (FEATURE_NAMES)."""
        if features.shape[1] != len(self.feature_names):
            raise ModelError(
                f"the model expects {len(self.feature_names)} features, got {features.shape[1]}; "
                "it was trained with another feature list — retrain it"
            )
        if features.shape[0] == 0:
            return np.zeros(0)
        return np.asarray(self.booster.inplace_predict(features), dtype=np.float64)

    def save(
        self, registry: ModelRegistry, *, promote: bool = True, created_at: datetime | None = None
    ) -> str:
        """Register as a new "listing-match" version (model.ubj + metadata.json); returns the version.
        With promote=True it also becomes the champion that `MatchModel.champion` loads."""
        meta = {**self.metadata, "features": self.feature_names, "xgboost_params": self.params}
        version = registry.register_booster(
            MATCH_KIND,
            self.booster,
            meta,
            data_hash=str(self.metadata.get("data_hash", "sha256:unknown")),
            created_at=created_at,
        )
        if promote:
            registry.promote(version)
        self.version = version
        return version

    @classmethod
    def load(cls, registry: ModelRegistry, version: str) -> MatchModel:
        """Load a registered version; raises ModelError if it does not exist or is not a ranker."""
        booster, meta = registry.load_booster(version)
        if meta.get("kind") != MATCH_KIND:
            raise ModelError(f"version {version!r} is a {meta.get('kind')!r} model, not {MATCH_KIND!r}")
        features = list(meta["features"])
        if features != list(FEATURE_NAMES):
            raise ModelError(
                f"version {version!r} was trained on features {features}, this code builds "
                f"{list(FEATURE_NAMES)}; retrain the ranker"
            )
        booster.set_param({"nthread": PREDICT_THREADS})
        booster.feature_names = features
        return cls(booster, features, dict(meta.get("xgboost_params", {})), meta, version)

    @classmethod
    def champion(cls, registry: ModelRegistry) -> MatchModel | None:
        """The current "listing-match" champion, or None when none was promoted (use the rules)."""
        version = registry.champion_version(MATCH_KIND)
        return None if version is None else cls.load(registry, version)


@dataclass(frozen=True, slots=True)
class _Samples:
    features: NDArray[np.float32]
    labels: NDArray[np.float64]
    groups: NDArray[np.int64]  # group key per row (cutoff, buyer), rows sorted by it


def _explicit_at(explicit: Explicit, cutoff: datetime) -> pd.DataFrame | None:
    return explicit(cutoff) if callable(explicit) else explicit


def _samples_at(
    listings: pd.DataFrame,
    interactions: pd.DataFrame,
    explicit: pd.DataFrame | None,
    cutoff: datetime,
    *,
    horizon: timedelta,
    negatives: int,
    budget_stretch: float,
    rng: np.random.Generator,
    cutoff_index: int,
) -> _Samples | None:
    relevance = future_relevance(interactions, cutoff, cutoff + horizon)
    if relevance.empty:
        return None
    profiles = buyer_profiles(interactions, listings, explicit, cutoff)
    profiles = profiles[profiles["contact_id"].isin(set(relevance["contact_id"]))].reset_index(drop=True)
    if profiles.empty:
        return None
    encoded = encode(listings, profiles, validated=True)
    n_listings = len(encoded.listings.ids)
    b = pd.Index(encoded.buyers.ids).get_indexer(relevance["contact_id"].astype(str))
    li = pd.Index(encoded.listings.ids).get_indexer(relevance["listing_id"].astype(str))
    ok = (b >= 0) & (li >= 0)
    keys = b[ok].astype(np.int64) * n_listings + li[ok]
    order = np.argsort(keys)
    keys, grades = keys[order], relevance["relevance"].to_numpy()[ok][order]
    if keys.size == 0:
        return None

    parts: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]] = []
    blocked = blocked_pairs(encoded, None, include_seen=False)
    moment = pd.Timestamp(cutoff).value
    for block in candidate_blocks(
        encoded, blocked, budget_stretch=budget_stretch, chunk=512, require_active=False, listed_by_ns=moment
    ):
        r, c = np.nonzero(block.mask)
        bi, lj = block.buyers[r], block.listings[c]
        pair = bi * n_listings + lj
        at = np.minimum(np.searchsorted(keys, pair), keys.size - 1)
        label = np.where(keys[at] == pair, grades[at], 0.0)
        # Keep every positive and `negatives` random negatives per buyer (vectorised sampling).
        priority = rng.random(bi.size)
        by_buyer = np.lexsort((priority, bi))
        bi_sorted = bi[by_buyer]
        position = np.arange(bi.size) - np.searchsorted(bi_sorted, bi_sorted, side="left")
        keep_sorted = (label[by_buyer] > 0) | (position < negatives)
        keep = by_buyer[keep_sorted]
        parts.append((bi[keep], lj[keep], label[keep]))
    if not parts:
        return None
    bi = np.concatenate([p[0] for p in parts])
    lj = np.concatenate([p[1] for p in parts])
    label = np.concatenate([p[2] for p in parts])
    has_positive = np.zeros(len(encoded.buyers.ids), dtype=bool)
    has_positive[bi[label > 0]] = True
    keep = has_positive[bi]
    bi, lj, label = bi[keep], lj[keep], label[keep]
    if bi.size == 0:
        return None
    order = np.argsort(bi, kind="stable")
    bi, lj, label = bi[order], lj[order], label[order]
    return _Samples(pair_features(encoded, bi, lj), label, cutoff_index * 10_000_000 + bi)


def _concat(samples: list[_Samples]) -> tuple[NDArray[np.float32], NDArray[np.float64], NDArray[np.int64]]:
    features = np.concatenate([s.features for s in samples])
    labels = np.concatenate([s.labels for s in samples])
    groups = np.concatenate([s.groups for s in samples])
    _, qid = np.unique(groups, return_inverse=True)
    return features, labels, qid.astype(np.int64)


def train_ranker(
    listings: pd.DataFrame,
    interactions: pd.DataFrame,
    explicit: Explicit,
    cutoffs: Sequence[datetime],
    *,
    horizon_days: float = 14.0,
    valid_cutoffs: int = 1,
    negatives_per_buyer: int = 60,
    budget_stretch: float = 0.15,
    params: dict[str, Any] | None = None,
    seed: int = 0,
) -> MatchModel:
    """Fit the ranker on time-split samples.

    For each cutoff T (ascending): profiles as of T (`explicit` may be a frame, or a function of T
    returning the stated preferences known at T), candidate listings as of T (hard filters;
    `listed_at` ≤ T when given; status is not filtered because past statuses are unknown; listings
    the buyer had already interacted with are excluded, as when serving), and relevance = the best
    interaction in (T, T + horizon] (showing_request 3, save 2, view or alert_click 1, else 0).
    Only buyers with a positive label are query groups; every positive and `negatives_per_buyer`
    random negatives per buyer are kept. The last `valid_cutoffs` cutoffs are the validation
    window for early stopping. Labels never reach past the last cutoff + horizon: choose cutoffs
    so that this ends before any period you evaluate on.
    """
    if len(cutoffs) < valid_cutoffs + 1:
        raise TrainingDataError(
            f"train_ranker needs more than valid_cutoffs={valid_cutoffs} cutoffs, got {len(cutoffs)}"
        )
    ordered = sorted(pd.Timestamp(c).to_pydatetime() for c in cutoffs)
    if any(moment.tzinfo is None for moment in ordered):
        raise TrainingDataError("cutoffs must be timezone-aware (UTC)")
    feed = validate_listings(listings)
    log = validate_interactions(interactions)
    horizon = timedelta(days=horizon_days)
    rng = np.random.default_rng(seed)
    collected: list[tuple[int, _Samples]] = []
    for index, cutoff in enumerate(ordered):
        samples = _samples_at(
            feed,
            log,
            _explicit_at(explicit, cutoff),
            cutoff,
            horizon=horizon,
            negatives=negatives_per_buyer,
            budget_stretch=budget_stretch,
            rng=rng,
            cutoff_index=index,
        )
        if samples is not None:
            collected.append((index, samples))
    first_valid = len(ordered) - valid_cutoffs
    train = [s for i, s in collected if i < first_valid]
    valid = [s for i, s in collected if i >= first_valid]
    if not train or not valid:
        raise TrainingDataError(
            "no buyer had a future interaction on a candidate listing in the "
            + ("training" if not train else "validation")
            + " cutoffs; use more data or later cutoffs"
        )
    x_train, y_train, q_train = _concat(train)
    x_valid, y_valid, q_valid = _concat(valid)
    names = list(FEATURE_NAMES)
    d_train = xgb.DMatrix(x_train, label=y_train, qid=q_train, feature_names=names)
    d_valid = xgb.DMatrix(x_valid, label=y_valid, qid=q_valid, feature_names=names)
    chosen = {**DEFAULT_PARAMS, "seed": seed, **(params or {})}
    if not 1 <= int(chosen.get("nthread", MAX_THREADS)) <= MAX_THREADS:
        raise ModelError(f"nthread must be 1..{MAX_THREADS}")
    booster = xgb.train(
        chosen,
        d_train,
        num_boost_round=NUM_ROUNDS,
        evals=[(d_valid, "valid")],
        early_stopping_rounds=EARLY_STOPPING,
        verbose_eval=False,
    )
    best = int(booster.best_iteration)
    booster = booster[: best + 1]  # keep exactly the trees that won on validation
    digest = hashlib.sha256()
    for array in (x_train, y_train, q_train, x_valid, y_valid, q_valid):
        digest.update(np.ascontiguousarray(array).tobytes())
    metadata = {
        "target": "listing interactions (showing_request 3, save 2, view/alert_click 1)",
        "horizon_days": horizon_days,
        "cutoffs": [moment.isoformat() for moment in ordered],
        "valid_cutoffs": valid_cutoffs,
        "data_window": [ordered[0].isoformat(), (ordered[-1] + horizon).isoformat()],
        "data_hash": "sha256:" + digest.hexdigest(),
        "best_iteration": best,
        "sample_counts": {
            "train_rows": int(y_train.size),
            "train_groups": int(np.unique(q_train).size),
            "valid_rows": int(y_valid.size),
            "valid_groups": int(np.unique(q_valid).size),
            "positives": int((y_train > 0).sum() + (y_valid > 0).sum()),
        },
        "negatives_per_buyer": negatives_per_buyer,
        "budget_stretch": budget_stretch,
        "valid_ndcg@10": float(booster.eval(d_valid).split(":")[-1]),
    }
    return MatchModel(booster, names, chosen, metadata)

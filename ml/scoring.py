"""Score leads with a registered model: calibrated probability, tier, and reasons in plain words.

    scorer = LeadScorer.from_registry(registry, "churn-7d")
    score = scorer.score_lead(lead_events, profile, as_of=now)
    score.tier, score.reasons[0].text            # "high", "no reply in 12 days"
    scorer.score_batch(feature_frame)            # many leads, vectorised

    scorer.score_row(latest.get(location_id, contact_id))   # the row processing kept (ml.latest_features)

Reasons come from exact TreeSHAP contributions (xgboost `pred_contribs`) rendered by the feature
registry with the lead's actual values. One predict call gives both: TreeSHAP is additive, so the
contributions plus the bias sum to the margin and the probability needs no second predict. A positive
contribution raises the probability: for churn that is a risk factor, a negative one protective.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from numpy.typing import NDArray

from hub.errors import ModelError
from ml.features import BY_NAME, FEATURE_NAMES, LeadArrays, feature_vector_at, lead_feature_vector
from ml.latest_features import FeatureRow, LatestFeatures
from ml.registry import ModelRegistry, RegisteredModel

# (tier, minimum calibrated probability), highest first; the last tier must start at 0.
CONVERSION_TIERS: tuple[tuple[str, float], ...] = (("hot", 0.30), ("warm", 0.10), ("cold", 0.0))
CHURN_TIERS: tuple[tuple[str, float], ...] = (
    ("critical", 0.80),
    ("high", 0.60),
    ("medium", 0.40),
    ("low", 0.0),
)
CHURN_INTERVENTIONS: dict[str, str] = {
    "critical": "Agent calls today with a personal note; offer a fresh search or a market update.",
    "high": "Personal text from the assigned agent within 24 h with 2-3 new listings matching their search.",
    "medium": "Enrol in the re-engagement drip (listing alerts + one check-in e-mail this week).",
    "low": "No action; keep the regular nurture cadence.",
}


@dataclass(frozen=True, slots=True)
class Reason:
    """One feature's push on this lead's score, in words."""

    feature: str
    value: float
    impact: float  # TreeSHAP contribution in log-odds; > 0 raises the probability
    text: str

    def as_dict(self) -> dict[str, Any]:
        # A missing feature value (NaN, e.g. a share of zero events) is JSON null: PostgreSQL's JSONB
        # rejects NaN, and the reasons are stored as JSON.
        value = None if math.isnan(self.value) else self.value
        return {"feature": self.feature, "value": value, "impact": self.impact, "text": self.text}


@dataclass(frozen=True, slots=True)
class LeadScore:
    kind: str
    model_version: str
    probability: float
    tier: str
    reasons: list[Reason]  # the top reasons by |impact|
    raising: list[Reason] = field(default_factory=list)  # top pushes up (churn: risk factors)
    lowering: list[Reason] = field(default_factory=list)  # top pushes down (churn: protective factors)
    intervention: str | None = None  # churn models only

    @property
    def risk_factors(self) -> list[Reason]:
        return self.raising

    @property
    def protective_factors(self) -> list[Reason]:
        return self.lowering


class _Row(Mapping[str, float]):
    """One scored row's values by feature name, for the reason phrases that name another feature
    (a view on the vector: building a ~100-entry dict per lead would cost more than the phrase)."""

    def __init__(self, position: Mapping[str, int], values: NDArray[np.float64]) -> None:
        self._position, self._values = position, values

    def __getitem__(self, name: str) -> float:
        return float(self._values[self._position[name]])

    def __iter__(self) -> Iterator[str]:
        return iter(self._position)

    def __len__(self) -> int:
        return len(self._position)


def tier_of(probability: float, tiers: Sequence[tuple[str, float]]) -> str:
    for name, floor in tiers:
        if probability >= floor:
            return name
    return tiers[-1][0]


class LeadScorer:
    """Scores with one registered model; tiers, interventions and reason count are configurable."""

    def __init__(
        self,
        registered: RegisteredModel,
        *,
        tiers: Sequence[tuple[str, float]] | None = None,
        interventions: Mapping[str, str] | None = None,
        top_n: int = 3,
    ) -> None:
        self.registered = registered
        self.kind = registered.kind
        self.churn = registered.metadata["target"] == "churn"
        self.tiers = tuple(tiers or (CHURN_TIERS if self.churn else CONVERSION_TIERS))
        if self.tiers[-1][1] > 0 or any(
            a[1] <= b[1] for a, b in zip(self.tiers, self.tiers[1:], strict=False)
        ):
            raise ModelError(f"tiers must be in decreasing thresholds ending at 0, got {self.tiers}")
        self.interventions = dict(interventions or (CHURN_INTERVENTIONS if self.churn else {}))
        self.top_n = top_n
        self.features = registered.features
        unknown = [name for name in self.features if name not in BY_NAME]
        if unknown:
            raise ModelError(
                f"model {registered.version} uses features the registry does not define: {unknown}"
            )
        self._columns = np.array([FEATURE_NAMES.index(name) for name in self.features], dtype=np.int64)
        booster = registered.model.booster_
        calibrator = registered.model.calibrator_
        if booster is None or calibrator is None:
            raise ModelError(f"model {registered.version} is not fitted")
        self._booster, self._calibrator = booster, calibrator
        # One row on two OpenMP threads costs milliseconds of thread hand-off (measured: ~8-16 ms
        # vs ~0.1 ms on a busy 2-core host), so single leads are scored on a one-thread copy. The
        # copy carries no feature names: the scorer itself orders the columns (self._columns), and
        # xgboost's per-call name check costs about as much as the TreeSHAP of one row.
        self._single = booster.copy()
        self._single.set_param({"nthread": 1})
        self._single.feature_names = None
        self._position = {name: i for i, name in enumerate(self.features)}

    @classmethod
    def from_registry(cls, registry: ModelRegistry, kind: str, **options: Any) -> LeadScorer:
        champion = registry.champion(kind)
        if champion is None:
            raise ModelError(
                f"no champion model for {kind!r} in {registry.root}; train and promote one first"
            )
        return cls(champion, **options)

    def _contributions(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        if len(matrix) == 1:
            # float32 is xgboost's own input type: handing it over saves the conversion inside.
            data = xgb.DMatrix(matrix.astype(np.float32), nthread=1)
            return np.asarray(
                self._single.predict(data, pred_contribs=True, validate_features=False), dtype=np.float64
            )
        data = xgb.DMatrix(matrix, feature_names=self.features, nthread=self.registered.model.nthread)
        return np.asarray(self._booster.predict(data, pred_contribs=True), dtype=np.float64)

    def _reasons(
        self, values: NDArray[np.float64], impacts: NDArray[np.float64], order: Sequence[int]
    ) -> list[Reason]:
        row = _Row(self._position, values)
        return [
            Reason(
                self.features[i],
                float(values[i]),
                float(impacts[i]),
                BY_NAME[self.features[i]].describe(float(values[i]), row),
            )
            for i in order
        ]

    def _score_row(self, values: NDArray[np.float64], contributions: NDArray[np.float64]) -> LeadScore:
        impacts = contributions[:-1]
        margin = float(contributions.sum())
        raw = 1.0 / (1.0 + math.exp(-margin)) if margin >= 0 else 1.0 - 1.0 / (1.0 + math.exp(margin))
        probability = self._calibrator.apply_one(raw)
        tier = tier_of(probability, self.tiers)
        n = self.top_n
        by_size = np.argsort(-np.abs(impacts), kind="stable")[:n].tolist()
        up = [i for i in np.argsort(-impacts, kind="stable")[:n].tolist() if impacts[i] > 0]
        down = [i for i in np.argsort(impacts, kind="stable")[:n].tolist() if impacts[i] < 0]
        # The three lists overlap (the biggest push is in two of them): render each reason once.
        wanted = list(dict.fromkeys(by_size + up + down))
        rendered = dict(zip(wanted, self._reasons(values, impacts, wanted), strict=True))
        return LeadScore(
            kind=self.kind,
            model_version=self.registered.version,
            probability=probability,
            tier=tier,
            reasons=[rendered[i] for i in by_size],
            raising=[rendered[i] for i in up],
            lowering=[rendered[i] for i in down],
            intervention=self.interventions.get(tier) if self.churn else None,
        )

    def score_vector(self, vector: NDArray[np.float64]) -> LeadScore:
        """Score one lead's feature vector (FEATURE_NAMES order, as lead_feature_vector returns)."""
        values = np.asarray(vector, dtype=np.float64)[self._columns]
        return self._score_row(values, self._contributions(values.reshape(1, -1))[0])

    def score_row(self, row: FeatureRow) -> LeadScore:
        """Score a lead's kept feature row (`ml.latest_features`): its score as of `row.as_of`."""
        return self.score_vector(row.values)

    def score_latest(self, latest: LatestFeatures, location_id: str, contact_id: str) -> LeadScore:
        """Online, one lead: read the feature row processing kept for it, then score and explain."""
        row = latest.get(location_id, contact_id)
        if row is None:
            raise ModelError(
                f"no feature row kept for contact {contact_id!r} in location {location_id!r}: it has not "
                "been processed in this process yet; score it from its timeline with score_lead"
            )
        return self.score_row(row)

    def score_lead(
        self, lead_events: pd.DataFrame, profile: pd.Series | Mapping[str, Any], as_of: datetime
    ) -> LeadScore:
        """Online: the lead's features as of `as_of`, then its score and reasons."""
        return self.score_vector(lead_feature_vector(lead_events, profile, as_of))

    def score_prepared(self, lead: LeadArrays, as_of: datetime) -> LeadScore:
        """Online, numpy only: a lead prepared once (`ml.features.prepare_lead`) scored as of `as_of`.
        Same features, numbers and reasons as `score_lead` on the rows it was prepared from."""
        return self.score_vector(feature_vector_at(lead, as_of))

    def score_batch(self, features: pd.DataFrame) -> pd.DataFrame:
        """Many leads at once (a build_features frame): probability, tier and top reasons per row."""
        missing = [name for name in self.features if name not in features.columns]
        if missing:
            raise ModelError(
                f"the feature frame lacks {missing[:5]}; build it with ml.features.build_features"
            )
        values = features[self.features].to_numpy(dtype=np.float64)
        contributions = self._contributions(values)
        raw = 1.0 / (1.0 + np.exp(-contributions.sum(axis=1)))
        probability = self._calibrator.apply(raw)
        floors = np.array([floor for _, floor in self.tiers])
        names = np.array([name for name, _ in self.tiers], dtype=object)
        tier = names[np.argmax(probability[:, None] >= floors[None, :], axis=1)]
        impacts = contributions[:, :-1]
        top = np.argsort(-np.abs(impacts), axis=1, kind="stable")[:, : self.top_n]
        reasons = [
            [r.as_dict() for r in self._reasons(values[i], impacts[i], top[i])] for i in range(len(values))
        ]
        keys = [c for c in ("location_id", "contact_id", "cutoff") if c in features.columns]
        out = features[keys].reset_index(drop=True).copy()
        out["probability"], out["tier"], out["reasons"] = probability, tier, reasons
        if self.churn:
            out["intervention"] = [self.interventions.get(t) for t in tier]
        return out

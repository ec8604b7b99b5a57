"""Model registry: native .ubj + JSON metadata round trip, and champion/challenger promotion."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hub.errors import ModelError
from ml.features import FEATURE_NAMES
from ml.labels import build_samples
from ml.metrics import evaluate
from ml.model import LeadModel
from ml.registry import ModelRegistry, promote_if_better
from ml.splits import day_cutoffs
from ml.timeline import Timeline
from ml.training import TrainingResult, train_on_samples


@pytest.fixture(scope="module")
def samples(timeline: Timeline, data_end: datetime) -> pd.DataFrame:
    first = pd.Timestamp(timeline.events["at"].min()).normalize().to_pydatetime()
    return build_samples(
        timeline.events,
        timeline.profiles,
        day_cutoffs(first, data_end),
        target="conversion",
        horizon_days=7,
        data_end=data_end,
    )


@pytest.fixture(scope="module")
def weak(samples: pd.DataFrame) -> TrainingResult:
    """Three decision stumps: a real but clearly worse model on the same window."""
    stumps = LeadModel(max_depth=1, n_estimators=3, learning_rate=0.3, early_stopping_rounds=1)
    return train_on_samples(samples, target="conversion", horizon_days=7, model=stumps)


@pytest.fixture(scope="module")
def strong(samples: pd.DataFrame) -> TrainingResult:
    return train_on_samples(samples, target="conversion", horizon_days=7)


def test_round_trip_keeps_predictions_and_provenance(strong: TrainingResult, tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    registered = registry.register(strong)
    assert sorted(p.name for p in registered.path.iterdir()) == ["metadata.json", "model.ubj"]
    assert not list(tmp_path.rglob("*.pkl")) and not list(tmp_path.rglob("*.pickle"))
    meta = json.loads((registered.path / "metadata.json").read_text())
    assert meta["features"] == list(FEATURE_NAMES)
    assert meta["data_hash"] == strong.data_hash
    assert meta["code_version"].startswith(("git:", "enterprisehub=="))
    assert meta["metrics"]["test"]["roc_auc"] == pytest.approx(strong.metrics.roc_auc)
    assert meta["calibration"]["method"] == "platt"
    assert meta["params"]["max_depth"] == strong.model.max_depth
    assert pd.Timestamp(meta["data_window"][0]) == pd.Timestamp(strong.data_window[0])
    X = strong.test[strong.features]
    loaded = registry.load(registered.version)
    np.testing.assert_array_equal(loaded.model.predict_probability(X), strong.model.predict_probability(X))
    np.testing.assert_array_equal(loaded.model.contributions(X), strong.model.contributions(X))


def test_first_model_becomes_champion_and_a_worse_one_does_not_replace_it(
    strong: TrainingResult, weak: TrainingResult, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path)
    first = promote_if_better(strong, registry)
    assert first.promoted and first.champion_version is None
    decision = promote_if_better(weak, registry, metric="roc_auc")
    assert not decision.promoted
    assert decision.champion_version == first.candidate_version
    # The champion was re-scored on the candidate's own test window, not compared by stored metrics.
    rescored = evaluate(strong.model.predict_probability(weak.test[strong.features]), weak.test["label"])
    assert decision.champion_score == pytest.approx(rescored.roc_auc)
    assert decision.champion_score is not None and decision.candidate_score < decision.champion_score
    champion = registry.champion("conversion-7d")
    assert champion is not None and champion.version == first.candidate_version
    assert len(registry.versions("conversion-7d")) == 2  # the challenger is kept, not promoted


def test_a_better_challenger_is_promoted(
    strong: TrainingResult, weak: TrainingResult, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path)
    promote_if_better(weak, registry)
    decision = promote_if_better(strong, registry, metric="brier")
    assert decision.promoted
    assert decision.candidate_score < (decision.champion_score or 0)
    champion = registry.champion("conversion-7d")
    assert champion is not None and champion.version == decision.candidate_version


def test_champion_features_missing_from_the_test_set_is_an_error(
    strong: TrainingResult, samples: pd.DataFrame, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path)
    promote_if_better(strong, registry)
    narrow = train_on_samples(
        samples, target="conversion", horizon_days=7, features=["lead_age_days", "engagements_7d"]
    )
    with pytest.raises(ModelError, match="needs features the candidate's test set lacks"):
        promote_if_better(narrow, registry)


def test_unknown_version_and_no_champion(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    assert registry.champion("churn-7d") is None
    with pytest.raises(ModelError, match="no model version"):
        registry.load("churn-7d-20260101T000000000000-deadbeef")

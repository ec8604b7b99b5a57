"""Train a lead model on time-split samples and measure it on the held-out test window.

    result = train_lead_model(timeline.events, timeline.profiles, target="conversion", horizon_days=7)
    result.metrics            # test window: ROC-AUC, PR-AUC, Brier, ECE, lift in the top decile
    result.importance         # mean |TreeSHAP| per feature on the test window
    compare_with_oracle(result, oracle_daily, probability_column="p_convert_7d")

The tabular path for any CRM export lives in ml.tabular (`train_from_csv`), re-exported here.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from hub.errors import ModelError, TrainingDataError
from ml.csv_training import CsvTrainingResult, train_from_csv
from ml.features import FEATURE_NAMES, KEY_COLUMNS
from ml.labels import Target, build_samples
from ml.metrics import Metrics, evaluate
from ml.model import LeadModel
from ml.splits import TimeSplit, day_cutoffs, time_split


@dataclass(frozen=True, slots=True)
class TrainingResult:
    """A trained model with its provenance and its held-out evaluation."""

    model: LeadModel
    target: Target
    horizon_days: int
    split: TimeSplit
    metrics: Metrics  # test window, calibrated probability
    valid_metrics: Metrics
    importance: pd.Series  # mean |contribution| per feature on the test window, descending
    test: pd.DataFrame  # KEY_COLUMNS + features + label + probability
    data_window: tuple[datetime, datetime]  # first cutoff .. last cutoff + horizon
    data_hash: str
    sample_counts: dict[str, int] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return list(self.model.feature_names_)


def data_hash(samples: pd.DataFrame) -> str:
    """sha256 of the samples' keys, features and labels (row order included)."""
    hashed = pd.util.hash_pandas_object(samples, index=False).to_numpy()
    return "sha256:" + hashlib.sha256(hashed.tobytes()).hexdigest()


def shap_importance(model: LeadModel, X: pd.DataFrame) -> pd.Series:
    """Global importance: mean |exact TreeSHAP contribution| per feature (log-odds units)."""
    contributions = model.contributions(X)[:, :-1]
    importance = pd.Series(np.abs(contributions).mean(axis=0), index=model.feature_names_)
    return importance.sort_values(ascending=False)


def train_on_samples(
    samples: pd.DataFrame,
    *,
    target: Target,
    horizon_days: int,
    model: LeadModel | None = None,
    features: Sequence[str] = FEATURE_NAMES,
    valid_fraction: float = 0.2,
    test_fraction: float = 0.25,
    refit: bool = True,
) -> TrainingResult:
    """Time-split labelled samples (from ml.labels.build_samples), fit, calibrate and evaluate.

    The tree count (early stopping) and the calibrator come from the validation window; with
    `refit` the trees are then relearned on every sample labelled before the test window
    (`LeadModel.refit`), so the model also learns from the most recent labelled data.
    `valid_metrics` are always those of the model before the refit (held-out)."""
    started = time.perf_counter()
    split = time_split(
        samples["cutoff"],
        horizon_days=horizon_days,
        valid_fraction=valid_fraction,
        test_fraction=test_fraction,
    )
    parts = {name: split.part(samples, name) for name in ("train", "valid", "test")}
    for name, part in parts.items():
        if part["label"].nunique() < 2:
            raise TrainingDataError(
                f"the {name} window has {len(part)} samples and only one label value; "
                "use more leads or cutoffs, or a longer horizon"
            )
    columns = list(features)
    model = model or LeadModel()
    model.fit(
        parts["train"][columns],
        parts["train"]["label"],
        eval_set=(parts["valid"][columns], parts["valid"]["label"]),
    )
    # Validation metrics of the model that never learned from the validation window.
    valid_p = model.predict_probability(parts["valid"][columns])
    counts = {name: len(part) for name, part in parts.items()}
    if refit:
        # Everything labelled before the test window (train, the gap, validation); the last
        # label window still ends before the first test cutoff (ml.splits).
        known = samples[(samples["cutoff"] <= pd.Timestamp(split.valid[1])).to_numpy()]
        model.refit(known[columns], known["label"])
        counts["refit"] = len(known)
    fitted = time.perf_counter()
    test = parts["test"][[*KEY_COLUMNS, *columns, "label"]].copy()
    test["probability"] = model.predict_probability(test[columns])
    window_end = pd.Timestamp(samples["cutoff"].max()) + pd.Timedelta(days=horizon_days)
    return TrainingResult(
        model=model,
        target=target,
        horizon_days=horizon_days,
        split=split,
        metrics=evaluate(test["probability"], test["label"]),
        valid_metrics=evaluate(valid_p, parts["valid"]["label"]),
        importance=shap_importance(model, test[columns]),
        test=test,
        data_window=(pd.Timestamp(samples["cutoff"].min()).to_pydatetime(), window_end.to_pydatetime()),
        data_hash=data_hash(samples[[*KEY_COLUMNS, *columns, "label"]]),
        sample_counts=counts,
        timings_s={"fit": fitted - started, "evaluate": time.perf_counter() - fitted},
    )


def train_lead_model(
    events: pd.DataFrame,
    profiles: pd.DataFrame,
    *,
    target: Target,
    horizon_days: int = 7,
    cutoffs: Sequence[datetime] | None = None,
    every_days: int = 1,
    lookback_days: float | None = 30,
    model: LeadModel | None = None,
    data_end: datetime | None = None,
    valid_fraction: float = 0.2,
    test_fraction: float = 0.25,
) -> TrainingResult:
    """Samples at daily (or given) cutoffs → time split → fit → calibrate → test metrics."""
    if events.empty:
        raise TrainingDataError("the timeline has no events")
    if cutoffs is None:
        first = pd.Timestamp(events["at"].min()).normalize().to_pydatetime()
        cutoffs = day_cutoffs(first, pd.Timestamp(events["at"].max()).to_pydatetime(), every_days=every_days)
    started = time.perf_counter()
    samples = build_samples(
        events,
        profiles,
        cutoffs,
        target=target,
        horizon_days=horizon_days,
        lookback_days=lookback_days,
        data_end=data_end,
    )
    built = time.perf_counter() - started
    result = train_on_samples(
        samples,
        target=target,
        horizon_days=horizon_days,
        model=model,
        valid_fraction=valid_fraction,
        test_fraction=test_fraction,
    )
    result.timings_s["features_and_labels"] = built
    return result


@dataclass(frozen=True, slots=True)
class OracleComparison:
    """The model and the simulator's oracle scored on the same test samples."""

    n: int
    model: Metrics
    oracle: Metrics

    @property
    def auc_ratio(self) -> float:
        return self.model.roc_auc / self.oracle.roc_auc


def compare_with_oracle(
    result: TrainingResult, oracle: pd.DataFrame, *, probability_column: str
) -> OracleComparison:
    """Score the oracle's probability (`oracle`: contact_id, cutoff, `probability_column`) on exactly
    the model's test samples; samples the oracle lacks are an error, not silently dropped."""
    wanted = result.test[["contact_id", "cutoff", "label", "probability"]]
    table = oracle[["contact_id", "cutoff", probability_column]]
    joined = wanted.merge(table, on=["contact_id", "cutoff"], how="left", validate="one_to_one")
    missing = int(joined[probability_column].isna().sum())
    if missing:
        raise ModelError(
            f"the oracle has no {probability_column} for {missing} of {len(joined)} test samples"
        )
    return OracleComparison(
        n=len(joined),
        model=evaluate(joined["probability"], joined["label"]),
        oracle=evaluate(joined[probability_column], joined["label"]),
    )


__all__ = [
    "CsvTrainingResult",
    "OracleComparison",
    "TrainingResult",
    "compare_with_oracle",
    "data_hash",
    "shap_importance",
    "train_from_csv",
    "train_lead_model",
    "train_on_samples",
]

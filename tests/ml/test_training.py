"""Models trained on simulated traffic, measured on a later, held-out time window, against the
simulator's oracle on the very same samples."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from hub.errors import ModelError
from hub.simulator import Simulation
from ml.calibration import fit_calibrator
from ml.features import FEATURE_NAMES
from ml.labels import build_samples
from ml.model import LeadModel
from ml.timeline import Timeline
from ml.training import TrainingResult, compare_with_oracle, train_on_samples


@pytest.mark.parametrize(
    ("fixture", "oracle_column"), [("conversion_result", "p_convert_7d"), ("churn_result", "p_quiet_7d")]
)
def test_model_beats_chance_on_held_out_time_and_approaches_the_oracle(
    fixture: str, oracle_column: str, sim: Simulation, request: pytest.FixtureRequest
) -> None:
    result: TrainingResult = request.getfixturevalue(fixture)
    comparison = compare_with_oracle(result, sim.oracle.daily, probability_column=oracle_column)
    print(
        f"\n{result.target} 7d on {comparison.n} test samples: model AUC {comparison.model.roc_auc:.3f}, "
        f"oracle AUC {comparison.oracle.roc_auc:.3f}, ratio {comparison.auc_ratio:.3f}; "
        f"Brier {comparison.model.brier:.4f} vs {comparison.oracle.brier:.4f}; "
        f"ECE {comparison.model.ece:.4f}; lift@10% {comparison.model.lift_top_decile:.2f}"
    )
    assert comparison.n == len(result.test) > 1_000
    assert result.metrics.roc_auc > 0.75
    assert comparison.model.roc_auc == pytest.approx(result.metrics.roc_auc)
    # The oracle knows the latent state; the model sees only traffic, so it cannot beat it.
    assert comparison.model.roc_auc < comparison.oracle.roc_auc
    assert comparison.auc_ratio > 0.8
    assert result.metrics.ece < 0.08
    assert result.metrics.lift_top_decile > 1.5


def test_the_test_window_comes_after_training_and_validation(conversion_result: TrainingResult) -> None:
    split = conversion_result.split
    assert conversion_result.test["cutoff"].min() >= pd.Timestamp(split.test[0])
    assert split.valid[1] + pd.Timedelta(days=7) <= split.test[0]
    counts = conversion_result.sample_counts
    assert set(counts) == {"train", "valid", "test", "refit"}
    # The refit learns from train, the days between train and validation, and validation (that
    # it never learns from test: test_the_refit_learns_from_validation_but_never_from_the_test_window).
    assert counts["refit"] > counts["train"] + counts["valid"]
    assert conversion_result.data_hash.startswith("sha256:")


def test_calibration_is_fitted_on_validation_only(
    conversion_result: TrainingResult, timeline: Timeline, data_end: datetime
) -> None:
    # train_lead_model used daily cutoffs: rebuild exactly the validation window's samples.
    low, high = (pd.Timestamp(x) for x in conversion_result.split.valid)
    cutoffs = [c.to_pydatetime() for c in pd.date_range(low, high, freq="D")]
    valid = build_samples(
        timeline.events, timeline.profiles, cutoffs, target="conversion", horizon_days=7, data_end=data_end
    )
    assert len(valid) == conversion_result.sample_counts["valid"]
    # The calibrator is the one fitted on the validation predictions of the model *before* its
    # refit (which then also learned from the validation window): refit a training-window model.
    low, high = (pd.Timestamp(x) for x in conversion_result.split.train)
    train_cutoffs = [c.to_pydatetime() for c in pd.date_range(low, high, freq="D")]
    train = build_samples(
        timeline.events,
        timeline.profiles,
        train_cutoffs,
        target="conversion",
        horizon_days=7,
        data_end=data_end,
    )
    columns = list(FEATURE_NAMES)
    before = LeadModel().fit(train[columns], train["label"], eval_set=(valid[columns], valid["label"]))
    expected = fit_calibrator(before.predict_raw(valid[columns]), valid["label"], "platt")
    model = conversion_result.model
    assert model.calibrator_ is not None
    assert model.calibrator_.params == pytest.approx(expected.params)
    assert model.booster_ is not None and before.booster_ is not None
    assert model.booster_.num_boosted_rounds() == before.booster_.num_boosted_rounds()
    # ... and the refitted trees are not those: they learned from the validation window too.
    assert not np.allclose(model.predict_raw(valid[columns]), before.predict_raw(valid[columns]))


def test_the_refit_learns_from_validation_but_never_from_the_test_window(
    timeline: Timeline, data_end: datetime
) -> None:
    start = pd.Timestamp(timeline.events["at"].min()).normalize()
    cutoffs = [c.to_pydatetime() for c in pd.date_range(start + pd.Timedelta(days=1), data_end, freq="D")]
    samples = build_samples(
        timeline.events, timeline.profiles, cutoffs, target="conversion", horizon_days=7, data_end=data_end
    )
    refit = train_on_samples(samples, target="conversion", horizon_days=7)
    held = train_on_samples(samples, target="conversion", horizon_days=7, refit=False)
    # Same early stopping and calibration; the validation metrics are the held-out ones.
    assert refit.valid_metrics == held.valid_metrics
    assert refit.model.calibrator_ == held.model.calibrator_
    assert not np.allclose(refit.test["probability"], held.test["probability"])
    # Flipping every test-window label changes nothing the refitted model learned.
    in_test = (samples["cutoff"] >= pd.Timestamp(refit.split.test[0])).to_numpy()
    flipped = samples.copy()
    flipped.loc[in_test, "label"] = 1.0 - flipped.loc[in_test, "label"]
    again = train_on_samples(flipped, target="conversion", horizon_days=7)
    np.testing.assert_array_equal(again.test["probability"], refit.test["probability"])


def test_shap_importance_is_mean_absolute_contribution(churn_result: TrainingResult) -> None:
    X = churn_result.test[churn_result.features]
    contributions = churn_result.model.contributions(X)
    assert contributions.shape == (len(X), len(churn_result.features) + 1)
    top = churn_result.importance.index[0]
    column = churn_result.features.index(top)
    assert churn_result.importance.iloc[0] == pytest.approx(np.abs(contributions[:, column]).mean())
    # Exact TreeSHAP is additive: contributions sum to the model's log-odds.
    raw = churn_result.model.predict_raw(X)
    np.testing.assert_allclose(1 / (1 + np.exp(-contributions.sum(axis=1))), raw, atol=1e-5)


def test_model_api_is_sklearn_like(conversion_result: TrainingResult) -> None:
    model = conversion_result.model
    X = conversion_result.test[model.feature_names_]
    proba = model.predict_proba(X.head(5))
    assert proba.shape == (5, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.get_params()) >= {"max_depth", "learning_rate", "n_estimators", "calibration", "nthread"}
    with pytest.raises(ModelError, match=r"nthread must be 1\.\.2"):
        LeadModel(nthread=8)
    with pytest.raises(ModelError, match="different columns"):
        model.predict_probability(X[model.feature_names_[::-1]])
    with pytest.raises(ModelError, match="not fitted"):
        LeadModel().predict_probability(X)
    with pytest.raises(ModelError, match="not fitted"):
        LeadModel().refit(X, conversion_result.test["label"])
    with pytest.raises(ModelError, match="same order"):
        model.refit(X[model.feature_names_[::-1]], conversion_result.test["label"])

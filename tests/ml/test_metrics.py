"""Metrics and calibration on data whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from hub.errors import ModelError
from ml.calibration import Calibrator, fit_calibrator
from ml.metrics import better, evaluate, expected_calibration_error, lift_curve


def test_metrics_of_a_small_hand_example() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1, 0.6, 0.4, 0.05, 0.95])
    y = np.array([1, 1, 0, 0, 0, 0, 1, 0, 0, 1], dtype=float)
    metrics = evaluate(p, y)
    assert metrics.roc_auc == pytest.approx(roc_auc_score(y, p))
    assert metrics.brier == pytest.approx(np.mean((p - y) ** 2))
    assert metrics.base_rate == 0.4 and metrics.positives == 4 and metrics.n == 10
    # The top decile is one sample (0.95, a positive): lift = 1 / 0.4.
    assert metrics.lift_top_decile == pytest.approx(2.5)


def test_ece_is_zero_when_calibrated_and_large_when_not() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 200_000)
    y = (rng.uniform(0, 1, len(p)) < p).astype(float)
    assert expected_calibration_error(p, y) < 0.01
    assert expected_calibration_error(np.clip(p + 0.2, 0, 1), y) > 0.15


def test_lift_curve_falls_for_a_ranking_score() -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, 10_000)
    y = (rng.uniform(0, 1, len(p)) < p**2).astype(float)
    lift = lift_curve(p, y)
    assert lift[0] > 2 and lift[-1] < 0.2
    assert np.all(np.diff(lift) < 0.05)


def test_one_class_test_window_is_an_error() -> None:
    with pytest.raises(ModelError, match="needs both classes"):
        evaluate(np.array([0.1, 0.2]), np.array([0.0, 0.0]))


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibration_repairs_an_overconfident_score(method: str) -> None:
    rng = np.random.default_rng(2)
    truth = rng.uniform(0.02, 0.98, 20_000)
    y = (rng.uniform(0, 1, len(truth)) < truth).astype(float)
    overconfident = 1 / (1 + np.exp(-3 * np.log(truth / (1 - truth))))
    calibrator = fit_calibrator(overconfident[:10_000], y[:10_000], method)  # type: ignore[arg-type]
    before = expected_calibration_error(overconfident[10_000:], y[10_000:])
    after = expected_calibration_error(calibrator.apply(overconfident[10_000:]), y[10_000:])
    assert after < before / 3
    # The parameters are plain JSON numbers and give the same mapping back.
    again = Calibrator.from_dict(calibrator.to_dict())
    np.testing.assert_array_equal(again.apply(overconfident), calibrator.apply(overconfident))


@pytest.mark.parametrize("method", ["platt", "isotonic", "none"])
def test_one_probability_calibrates_as_the_array_path(method: str) -> None:
    """A single lead's score uses apply_one (plain floats); it must be the array mapping's number."""
    rng = np.random.default_rng(5)
    p = rng.uniform(0, 1, 5_000)
    y = (rng.uniform(0, 1, len(p)) < p**2).astype(float)
    calibrator = fit_calibrator(p, y, method)  # type: ignore[arg-type]
    probe = np.concatenate([rng.uniform(0, 1, 2_000), [0.0, 1.0, 1e-9, 1 - 1e-9, p.min(), p.max(), p[7]]])
    one = np.array([calibrator.apply_one(float(x)) for x in probe])
    np.testing.assert_allclose(one, calibrator.apply(probe), rtol=0, atol=1e-12)


def test_calibration_needs_both_classes_and_a_known_method() -> None:
    with pytest.raises(ModelError, match="only negative labels"):
        fit_calibrator([0.1, 0.2], [0.0, 0.0], "platt")
    with pytest.raises(ModelError, match="not one of"):
        Calibrator.from_dict({"method": "magic"})


def test_metric_direction() -> None:
    assert better("roc_auc", 0.8, 0.7) and not better("roc_auc", 0.7, 0.8)
    assert better("brier", 0.1, 0.2) and not better("ece", 0.3, 0.2)
    with pytest.raises(ModelError, match="unknown metric"):
        better("accuracy", 1, 0)

"""Probability calibration fitted on the validation window (never on test), stored as plain numbers.

- `platt`: logistic regression on the logit of the model's probability — monotone, so ranking
  metrics (AUC) are unchanged; two parameters; robust with few positives.
- `isotonic`: a monotone step function (sklearn's IsotonicRegression); more flexible, needs more
  validation positives, and its plateaus create ties.
- `none`: the model's own probability.

A calibrator is applied with numpy alone from its JSON parameters, so a registered model scores the
same after a round trip with no pickled object (tests/ml/test_registry.py).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from hub.errors import ModelError

Method = Literal["platt", "isotonic", "none"]
METHODS: tuple[Method, ...] = ("platt", "isotonic", "none")
_EPS = 1e-6


def logit(p: ArrayLike) -> NDArray[np.float64]:
    q = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(q / (1 - q))


@dataclass(frozen=True, slots=True)
class Calibrator:
    """Maps the model's probability to a calibrated one."""

    method: Method
    params: dict[str, Any] = field(default_factory=dict)

    def apply(self, probability: ArrayLike) -> NDArray[np.float64]:
        p = np.asarray(probability, dtype=np.float64)
        if self.method == "none":
            return p
        if self.method == "platt":
            z = self.params["slope"] * logit(p) + self.params["intercept"]
            return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)
        return np.asarray(np.interp(p, self.params["x"], self.params["y"]), dtype=np.float64)

    def apply_one(self, probability: float) -> float:
        """`apply` for one probability with plain floats: a single lead's score would spend more on
        building and reading one-element arrays than on the arithmetic (same numbers to ~1e-15)."""
        if self.method == "none":
            return probability
        if self.method == "platt":
            q = min(max(probability, _EPS), 1 - _EPS)
            z = self.params["slope"] * math.log(q / (1 - q)) + self.params["intercept"]
            return 1.0 / (1.0 + math.exp(-z)) if z >= -700 else 0.0
        x, y = self.params["x"], self.params["y"]
        if probability <= x[0]:
            return float(y[0])
        if probability >= x[-1]:
            return float(y[-1])
        # np.interp: the segment [x[i-1], x[i]) holding the point, linear within it.
        i = bisect.bisect_right(x, probability)
        left, right = x[i - 1], x[i]
        share = (probability - left) / (right - left)
        return float(y[i - 1] + share * (y[i] - y[i - 1]))

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "params": self.params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        method = data.get("method")
        if method not in METHODS:
            raise ModelError(f"calibration method {method!r} is not one of {', '.join(METHODS)}")
        return cls(method, dict(data.get("params", {})))


def fit_calibrator(probability: ArrayLike, label: ArrayLike, method: Method) -> Calibrator:
    """Fit `method` on (model probability, 0/1 label) pairs of the validation window."""
    p = np.asarray(probability, dtype=np.float64)
    y = np.asarray(label, dtype=np.float64)
    if method == "none":
        return Calibrator("none")
    if method not in METHODS:
        raise ModelError(f"calibration method {method!r} is not one of {', '.join(METHODS)}")
    if len(np.unique(y)) < 2:
        raise ModelError(
            f"cannot calibrate on a validation window with only {'positive' if y.mean() else 'negative'} "
            "labels; widen the validation window or use calibration='none'"
        )
    if method == "platt":
        # Nearly unregularised (C large): two parameters fitted on thousands of points.
        fitted = LogisticRegression(C=1e6, solver="lbfgs").fit(logit(p).reshape(-1, 1), y)
        return Calibrator(
            "platt", {"slope": float(fitted.coef_[0, 0]), "intercept": float(fitted.intercept_[0])}
        )
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(p, y)
    return Calibrator(
        "isotonic", {"x": [float(v) for v in iso.X_thresholds_], "y": [float(v) for v in iso.y_thresholds_]}
    )

"""`LeadModel`: a calibrated XGBoost binary classifier with an sklearn-like API.

    model = LeadModel(max_depth=4, learning_rate=0.05).fit(X_train, y_train, eval_set=(X_valid, y_valid))
    p = model.predict_probability(X_test)           # calibrated P(label = 1)
    contributions = model.contributions(X_test)     # exact TreeSHAP, one column per feature + bias

Hyper-parameters go to the constructor, data is positional, everything else keyword-only (as in
xgboost's sklearn wrapper). Early stopping and calibration both use `eval_set` — the validation
window — so the test window stays unseen until evaluation. `refit(X_train_and_valid, y)` then
relearns the trees (same count) on training + validation data, keeping that calibrator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from numpy.typing import ArrayLike, NDArray

from hub.errors import ModelError
from ml.calibration import Calibrator, Method, fit_calibrator

FloatMatrix = NDArray[np.float64]
MAX_THREADS = 2  # the hub shares small hosts with the API and workers


class LeadModel:
    """XGBoost (`hist`, binary:logistic) + a probability calibrator fitted on validation data."""

    def __init__(
        self,
        *,
        n_estimators: int = 600,
        # Size chosen by `bench/bench_models.py --size-sweep`: the least exact-TreeSHAP work within
        # 0.005 validation AUC of the best size, for conversion and churn (bench/README.md).
        learning_rate: float = 0.2,
        max_depth: int = 2,
        min_child_weight: float = 5.0,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        early_stopping_rounds: int = 50,
        calibration: Method = "platt",
        nthread: int = MAX_THREADS,
        seed: int = 0,
    ) -> None:
        if not 1 <= nthread <= MAX_THREADS:
            raise ModelError(f"nthread must be 1..{MAX_THREADS}, got {nthread}")
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.calibration: Method = calibration
        self.nthread = nthread
        self.seed = seed
        self.booster_: xgb.Booster | None = None
        self.calibrator_: Calibrator | None = None
        self.feature_names_: list[str] = []
        self.best_iteration_: int = -1

    def get_params(self) -> dict[str, Any]:
        return {
            "n_estimators": self.n_estimators,
            "learning_rate": self.learning_rate,
            "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "reg_lambda": self.reg_lambda,
            "early_stopping_rounds": self.early_stopping_rounds,
            "calibration": self.calibration,
            "nthread": self.nthread,
            "seed": self.seed,
        }

    def xgb_params(self) -> dict[str, Any]:
        return {
            "objective": "binary:logistic",
            "eval_metric": "logloss",
            "tree_method": "hist",
            "eta": self.learning_rate,
            "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "lambda": self.reg_lambda,
            "nthread": self.nthread,
            "seed": self.seed,
        }

    def _matrix(self, X: pd.DataFrame | ArrayLike, label: ArrayLike | None = None) -> xgb.DMatrix:
        return xgb.DMatrix(
            self._values(X), label=label, feature_names=self.feature_names_ or None, nthread=self.nthread
        )

    def _values(self, X: pd.DataFrame | ArrayLike) -> FloatMatrix:
        if isinstance(X, pd.DataFrame):
            if self.feature_names_ and list(X.columns) != self.feature_names_:
                missing = [c for c in self.feature_names_ if c not in X.columns]
                raise ModelError(
                    f"X has different columns than the model was trained on (missing {missing[:5]}); "
                    "select them with X[model.feature_names_]"
                )
            return np.asarray(X.to_numpy(dtype=np.float64), dtype=np.float64)
        values = np.asarray(X, dtype=np.float64)
        return values.reshape(1, -1) if values.ndim == 1 else values

    def fit(self, X: pd.DataFrame, y: ArrayLike, *, eval_set: tuple[pd.DataFrame, ArrayLike]) -> LeadModel:
        """Train with early stopping on `eval_set` and fit the calibrator on it."""
        if not isinstance(X, pd.DataFrame):
            raise ModelError("X must be a pandas DataFrame whose columns name the features")
        self.feature_names_ = [str(c) for c in X.columns]
        X_valid, y_valid = eval_set
        dtrain = self._matrix(X, np.asarray(y, dtype=np.float64))
        dvalid = self._matrix(X_valid, np.asarray(y_valid, dtype=np.float64))
        booster = xgb.train(
            self.xgb_params(),
            dtrain,
            num_boost_round=self.n_estimators,
            evals=[(dvalid, "valid")],
            early_stopping_rounds=self.early_stopping_rounds,
            verbose_eval=False,
        )
        self.best_iteration_ = int(booster.best_iteration)
        # Keep only the trees up to the best round, so every later predict (and the saved .ubj)
        # is the early-stopped model without passing iteration ranges around.
        self.booster_ = booster[: self.best_iteration_ + 1]
        raw = self.booster_.predict(dvalid)
        self.calibrator_ = fit_calibrator(raw, y_valid, self.calibration)
        return self

    def refit(self, X: pd.DataFrame, y: ArrayLike) -> LeadModel:
        """Retrain the booster on `X` (the training and validation windows together) with the tree
        count early stopping chose, keeping the calibrator fitted on the validation window.

        Why: the validation window is the most recent labelled data, closest to what the model
        will score; once it has chosen the size and the calibration it can also be learned from
        (seed 7, judged on the validation window with an inner split of the training window:
        conversion AUC 0.8954 -> 0.8975, churn 0.8661 -> 0.8716; bench/README.md). The calibrator
        stays the one fitted on held-out predictions; the refitted trees are only a little more
        confident, which the bench's test ECE checks."""
        booster, _ = self._fitted()
        if list(X.columns) != self.feature_names_:
            raise ModelError("refit needs the columns the model was fitted on, in the same order")
        self.booster_ = xgb.train(
            self.xgb_params(),
            self._matrix(X, np.asarray(y, dtype=np.float64)),
            num_boost_round=booster.num_boosted_rounds(),
        )
        return self

    def _fitted(self) -> tuple[xgb.Booster, Calibrator]:
        if self.booster_ is None or self.calibrator_ is None:
            raise ModelError("the model is not fitted yet; call fit() or load it from the registry")
        return self.booster_, self.calibrator_

    def predict_raw(self, X: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        """The booster's own probability (before calibration)."""
        booster, _ = self._fitted()
        return np.asarray(booster.inplace_predict(self._values(X)), dtype=np.float64).reshape(-1)

    def predict_probability(self, X: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        """Calibrated P(label = 1), one per row."""
        _, calibrator = self._fitted()
        return calibrator.apply(self.predict_raw(X))

    def predict_proba(self, X: pd.DataFrame | ArrayLike) -> FloatMatrix:
        """sklearn's shape: columns P(0), P(1)."""
        p = self.predict_probability(X)
        return np.column_stack([1.0 - p, p])

    def contributions(self, X: pd.DataFrame | ArrayLike) -> FloatMatrix:
        """Exact TreeSHAP contributions in log-odds (`pred_contribs`); last column is the bias."""
        booster, _ = self._fitted()
        return np.asarray(booster.predict(self._matrix(X), pred_contribs=True), dtype=np.float64)

    @classmethod
    def from_parts(
        cls, booster: xgb.Booster, calibrator: Calibrator, feature_names: list[str], params: dict[str, Any]
    ) -> LeadModel:
        """A fitted model from its saved parts (the registry's load)."""
        model = cls(**params)
        model.booster_, model.calibrator_ = booster, calibrator
        model.feature_names_ = list(feature_names)
        model.best_iteration_ = booster.num_boosted_rounds() - 1
        return model

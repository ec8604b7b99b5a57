"""`train_from_csv`: a calibrated lead model from any CRM export with a binary target column.

Metrics are honest: stratified k-fold cross-validation where each fold's model sees only its own
training rows (early stopping and calibration use an inner split of those rows), after the leakage
guard of ml.tabular has removed outcome-like columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

from hub.errors import TrainingDataError
from ml.metrics import Metrics, evaluate
from ml.model import LeadModel
from ml.tabular import ColumnIssue, TableEncoding, leakage_guard, read_target, table_features


@dataclass(frozen=True, slots=True)
class CsvTrainingResult:
    """A model fitted on every usable row, with its cross-validated metrics and dropped columns."""

    model: LeadModel
    target: str
    features: list[str]
    encoding: TableEncoding
    unusable: list[ColumnIssue]
    leakage: list[ColumnIssue]
    folds: list[Metrics]
    rows_used: int
    rows_without_target: int

    def cv_summary(self) -> dict[str, tuple[float, float]]:
        """Per metric: (mean, std) over folds."""
        table = pd.DataFrame([m.as_dict() for m in self.folds])
        return {c: (float(table[c].mean()), float(table[c].std(ddof=0))) for c in table.columns}

    def predict_probability(self, frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Calibrated probability for new rows of the same export (encoded like the training rows)."""
        return self.model.predict_probability(self.encoding.encode(frame)[self.features])


def read_crm_csv(path: str | Path) -> pd.DataFrame:
    """Read an export; errors name the file and what is wrong with it."""
    file = Path(path)
    if not file.is_file():
        raise TrainingDataError(f"{file}: no such file")
    try:
        frame = pd.read_csv(file, low_memory=False)
    except pd.errors.EmptyDataError:
        raise TrainingDataError(f"{file}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise TrainingDataError(f"{file}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if frame.empty:
        raise TrainingDataError(f"{file}: has a header but no rows")
    return frame


def _fit(X: pd.DataFrame, y: pd.Series, params: dict[str, Any], seed: int) -> LeadModel:
    """Fit on (X, y) with an inner stratified split for early stopping and calibration."""
    X_fit, X_stop, y_fit, y_stop = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    return LeadModel(**params).fit(X_fit, y_fit, eval_set=(X_stop, y_stop))


def train_from_csv(
    path: str | Path,
    *,
    target: str,
    folds: int = 5,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    max_single_column_auc: float = 0.98,
    on_unusable: Literal["drop", "raise"] = "drop",
) -> CsvTrainingResult:
    """Read, type, guard against leakage, cross-validate, then fit on all usable rows."""
    frame = read_crm_csv(path)
    if target not in frame.columns:
        raise TrainingDataError(
            f"no such column; the file has {', '.join(map(str, frame.columns[:20]))}", column=target
        )
    label = read_target(frame[target], target)
    has_target = label.notna().to_numpy()
    frame, y = frame[has_target].reset_index(drop=True), label[has_target].reset_index(drop=True)
    X, encoding, unusable = table_features(frame, target, on_unusable=on_unusable)
    kept, leakage = leakage_guard(X, y, target, encoding, max_auc=max_single_column_auc)
    if not kept:
        reasons = "; ".join(f"{i.column!r} {i.problem}" for i in [*unusable, *leakage])
        raise TrainingDataError(f"no usable feature column is left: {reasons}")
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < 2 * folds:
        raise TrainingDataError(
            f"only {minority} rows of the rarer class; {folds}-fold CV needs at least {2 * folds}",
            column=target,
        )
    model_params = {
        "n_estimators": 400,
        "learning_rate": 0.05,
        "max_depth": 4,
        "seed": seed,
        **(params or {}),
    }
    X = X[kept]
    fold_metrics: list[Metrics] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_rows, held_rows in splitter.split(X, y):
        model = _fit(X.iloc[fit_rows], y.iloc[fit_rows], model_params, seed)
        fold_metrics.append(evaluate(model.predict_probability(X.iloc[held_rows]), y.iloc[held_rows]))
    return CsvTrainingResult(
        model=_fit(X, y, model_params, seed),
        target=target,
        features=kept,
        encoding=TableEncoding(
            {c: encoding.kinds[c] for c in kept}, {c: v for c, v in encoding.categories.items() if c in kept}
        ),
        unusable=unusable,
        leakage=leakage,
        folds=fold_metrics,
        rows_used=len(y),
        rows_without_target=int((~has_target).sum()),
    )

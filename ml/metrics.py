"""Metrics of a probability on held-out data: ranking (ROC-AUC, PR-AUC, lift) and calibration
(Brier, log loss, expected calibration error), plus the curves the model report draws."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from hub.errors import ModelError

HIGHER_IS_BETTER = {
    "roc_auc": True,
    "pr_auc": True,
    "lift_top_decile": True,
    "brier": False,
    "ece": False,
    "log_loss": False,
}


@dataclass(frozen=True, slots=True)
class Metrics:
    """Test-window metrics of one score. `lift_top_decile` = positive rate in the top 10 % / overall."""

    n: int
    positives: int
    base_rate: float
    roc_auc: float
    pr_auc: float
    brier: float
    log_loss: float
    ece: float
    lift_top_decile: float

    def as_dict(self) -> dict[str, float]:
        return {key: float(value) for key, value in asdict(self).items()}


def _arrays(probability: ArrayLike, label: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    p = np.asarray(probability, dtype=np.float64)
    y = np.asarray(label, dtype=np.float64)
    if p.shape != y.shape or p.ndim != 1:
        raise ModelError(f"scores and labels must be 1-d and of equal length, got {p.shape} and {y.shape}")
    if np.isnan(p).any():
        raise ModelError("scores contain NaN; every sample needs a probability")
    return p, y


def expected_calibration_error(probability: ArrayLike, label: ArrayLike, *, bins: int = 10) -> float:
    """Σ over equal-width probability bins of (bin share) × |mean predicted − observed rate|."""
    p, y = _arrays(probability, label)
    index = np.minimum((p * bins).astype(int), bins - 1)
    gap = np.abs(
        np.bincount(index, weights=p, minlength=bins) - np.bincount(index, weights=y, minlength=bins)
    )
    return float(gap.sum() / len(p))


def lift_curve(probability: ArrayLike, label: ArrayLike, *, groups: int = 10) -> NDArray[np.float64]:
    """Positive rate of each score decile (highest scores first) divided by the overall rate."""
    p, y = _arrays(probability, label)
    order = np.argsort(-p, kind="stable")
    rates = np.array([chunk.mean() for chunk in np.array_split(y[order], groups)])
    return rates / y.mean() if y.mean() > 0 else np.full(groups, np.nan)


def calibration_curve(
    probability: ArrayLike, label: ArrayLike, *, bins: int = 10
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """(mean predicted, observed rate, count) per quantile bin of the score."""
    p, y = _arrays(probability, label)
    order = np.argsort(p, kind="stable")
    chunks = [c for c in np.array_split(order, bins) if len(c)]
    return (
        np.array([p[c].mean() for c in chunks]),
        np.array([y[c].mean() for c in chunks]),
        np.array([len(c) for c in chunks], dtype=np.int64),
    )


def evaluate(probability: ArrayLike, label: ArrayLike) -> Metrics:
    """Every metric of `probability` against the 0/1 `label` (both classes must occur)."""
    p, y = _arrays(probability, label)
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        raise ModelError(
            f"the evaluation window has {positives} positives out of {len(y)}; AUC needs both classes "
            "(widen the test window)"
        )
    return Metrics(
        n=len(y),
        positives=positives,
        base_rate=float(y.mean()),
        roc_auc=float(roc_auc_score(y, p)),
        pr_auc=float(average_precision_score(y, p)),
        brier=float(brier_score_loss(y, p)),
        log_loss=float(log_loss(y, np.clip(p, 1e-12, 1 - 1e-12), labels=[0, 1])),
        ece=expected_calibration_error(p, y),
        lift_top_decile=float(lift_curve(p, y)[0]),
    )


def better(metric: str, candidate: float, incumbent: float) -> bool:
    """Whether `candidate` beats `incumbent` on `metric` (strictly)."""
    if metric not in HIGHER_IS_BETTER:
        raise ModelError(f"unknown metric {metric!r}; use one of {', '.join(HIGHER_IS_BETTER)}")
    return candidate > incumbent if HIGHER_IS_BETTER[metric] else candidate < incumbent

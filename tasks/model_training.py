"""Training from the store's event log: time-split, calibrated, registered, promoted only if better."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import task
from sqlalchemy.orm import Session, sessionmaker

from ml.registry import ModelRegistry, PromotionDecision, promote_if_better
from ml.reports import model_report
from ml.training import train_lead_model
from tasks.ml_data import timeline_from_store


@dataclass(frozen=True)
class TrainingSummary:
    target: str
    version: str
    decision: PromotionDecision
    metrics: dict[str, float]
    valid_metrics: dict[str, float]
    samples: dict[str, int]
    split: dict[str, Any]
    top_features: list[tuple[str, float]]
    report: Path


def train_and_promote(
    sessions: sessionmaker[Session],
    target: str,
    *,
    horizon_days: int,
    every_days: int,
    registry_dir: Path,
    reports_dir: Path,
    location_id: str | None = None,
) -> TrainingSummary:
    with sessions() as session:
        timeline = timeline_from_store(session, location_id)
    result = train_lead_model(
        timeline.events,
        timeline.profiles,
        target=target,  # type: ignore[arg-type]
        horizon_days=horizon_days,
        every_days=every_days,
    )
    decision = promote_if_better(result, ModelRegistry(registry_dir))
    reports_dir.mkdir(parents=True, exist_ok=True)
    report = reports_dir / f"{decision.candidate_version}.html"
    report.write_text(model_report(result), encoding="utf-8")
    return TrainingSummary(
        target=target,
        version=decision.candidate_version,
        decision=decision,
        metrics=result.metrics.as_dict(),
        valid_metrics=result.valid_metrics.as_dict(),
        samples=dict(result.sample_counts),
        split=result.split.as_dict(),
        top_features=[(str(k), float(v)) for k, v in result.importance.head(10).items()],
        report=report,
    )


@task(name="train-and-promote", retries=0)
def train_and_promote_task(target: str, location_id: str | None = None) -> TrainingSummary:
    """Train one model on the event log and promote it only if it beats the champion."""
    from hub.settings import get_settings
    from tasks.resources import store_sessions

    ml = get_settings().ml
    return train_and_promote(
        store_sessions(),
        target,
        horizon_days=ml.horizon_days,
        every_days=ml.cutoff_every_days,
        registry_dir=ml.registry_dir,
        reports_dir=ml.reports_dir,
        location_id=location_id,
    )

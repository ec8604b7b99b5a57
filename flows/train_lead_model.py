"""Nightly: train the conversion model on the event log and promote it only if it is better."""

from __future__ import annotations

from prefect import flow
from prefect.events import emit_event

from tasks.artifacts import publish_training
from tasks.model_training import train_and_promote_task


@flow(name="train-lead-model", log_prints=True)
def train_lead_model(location_id: str | None = None) -> dict[str, object]:
    """Train the conversion model (showing booked or opportunity won within the horizon) on
    time-split samples from the event log, calibrate it, compare it with the champion on the same
    test window, promote it only if better, and publish metrics and the SHAP summary."""
    summary = train_and_promote_task("conversion", location_id)
    publish_training(summary)
    if summary.decision.promoted:
        # The `score-leads/after-promotion` deployment is triggered by this event (prefect.yaml).
        emit_event(
            event="hub.model.promoted",
            resource={"prefect.resource.id": "hub.model.conversion"},
            payload={"target": "conversion", "version": summary.version},
        )
    print(
        f"conversion model {summary.version}: test ROC-AUC {summary.metrics['roc_auc']:.3f}, "
        f"promoted={summary.decision.promoted}"
    )
    return {"version": summary.version, "promoted": summary.decision.promoted, "metrics": summary.metrics}


if __name__ == "__main__":
    train_lead_model()

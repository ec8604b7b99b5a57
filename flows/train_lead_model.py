"""Nightly: train the conversion model on the event log and promote it only if it is better."""

from __future__ import annotations

from prefect import flow

from tasks.artifacts import train_publish_announce


@flow(name="train-lead-model", log_prints=True)
def train_lead_model(location_id: str | None = None) -> dict[str, object]:
    """Train the conversion model (showing booked or opportunity won within the horizon) on
    time-split samples from the event log, calibrate it, compare it with the champion on the same
    test window, promote it only if better, and publish metrics and the SHAP summary."""
    return train_publish_announce("conversion", location_id)


if __name__ == "__main__":
    train_lead_model()

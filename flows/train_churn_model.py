"""Nightly: train the churn ("going cold") model and promote it only if it is better."""

from __future__ import annotations

from prefect import flow

from tasks.artifacts import train_publish_announce


@flow(name="train-churn-model", log_prints=True)
def train_churn_model(location_id: str | None = None) -> dict[str, object]:
    """Train the churn model (a recently engaged lead with no inbound engagement within the
    horizon) on time-split samples, calibrate, compare with the champion on the same test window,
    promote only if better, and publish metrics and the SHAP summary."""
    return train_publish_announce("churn", location_id)


if __name__ == "__main__":
    train_churn_model()

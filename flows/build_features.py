"""Nightly: materialise the point-in-time feature table (Parquet) from the event log."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.task_runners import task_runner
from hub.settings import get_settings
from ml.features import build_features as build_feature_frame
from ml.splits import day_cutoffs
from tasks.ml_data import timeline_from_store
from tasks.resources import store_sessions


@task(name="materialise-features")
def materialise(location_id: str | None, every_days: int) -> dict[str, object]:
    settings = get_settings().ml
    with store_sessions()() as session:
        timeline = timeline_from_store(session, location_id)
    if timeline.events.empty:
        return {"rows": 0, "path": None}
    first = timeline.events["at"].min().to_pydatetime()
    # Up to HUB_ML_AS_OF when set (a replayed history), like scoring: the same data gives the same table.
    cutoffs = day_cutoffs(first, settings.as_of or datetime.now(UTC), every_days=every_days)
    frame = build_feature_frame(timeline.events, timeline.profiles, cutoffs)
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    # Per location: runs for two locations may finish within the same second.
    path = settings.reports_dir / f"features-{location_id or 'all'}-{datetime.now(UTC):%Y%m%dT%H%M%S}.parquet"
    frame.to_parquet(path, index=False)
    return {
        "rows": len(frame),
        "leads": int(frame["contact_id"].nunique()),
        "cutoffs": len(cutoffs),
        "columns": len(frame.columns),
        "path": str(path),
    }


@flow(name="build-features", log_prints=True, task_runner=task_runner())
def build_features(location_id: str | None = None, every_days: int = 7) -> dict[str, object]:
    """Compute every lead's features as of each cutoff (no event after a cutoff is used) and
    write them to Parquet for training and analysis."""
    result = materialise.submit(location_id, every_days).result()  # on the configured task runner
    create_markdown_artifact(key="feature-table", markdown=f"# Feature table\n\n{result}")
    print(result)
    return result


if __name__ == "__main__":
    build_features()

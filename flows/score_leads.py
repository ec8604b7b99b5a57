"""After a promotion: rescore every lead of each location with the promoted models."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_table_artifact

from flows.task_runners import task_runner
from tasks.scans import all_locations, score_location


@flow(name="score-leads", log_prints=True, task_runner=task_runner())
def score_leads(location_id: str | None = None, target: str = "conversion") -> list[dict[str, object]]:
    """Batch-rescore leads (one task run per location, never per lead) with the promoted model
    and record scores, tiers and tier changes; publishes the hottest leads as a table."""
    locations = [location_id] if location_id else all_locations()
    # Locations fan out on the configured task runner (threads, or Dask when scaled out).
    futures = [score_location.submit(target, loc) for loc in locations]
    results = [future.result() for future in futures]
    hottest = [{"location": r["location_id"], **row} for r in results for row in r["top"][:10]]
    if hottest:
        create_table_artifact(
            key=f"{target}-top-leads", table=hottest, description=f"highest {target} probability per location"
        )
    for r in results:
        print(f"{r['location_id']}: scored {r['scored']} ({r.get('skipped', r.get('tiers'))})")
    return results


if __name__ == "__main__":
    score_leads()

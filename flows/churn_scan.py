"""Hourly: which leads are going cold, why, and what to do about each."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_table_artifact

from tasks.scans import all_locations, score_location


@flow(name="churn-scan", log_prints=True)
def churn_scan(location_id: str | None = None) -> list[dict[str, object]]:
    """Score churn risk for every lead (one task run per location), record tiers
    (critical/high/medium/low) with risk and protective reasons and the recommended intervention,
    and publish the riskiest leads as a table artifact."""
    locations = [location_id] if location_id else all_locations()
    results = [score_location("churn", loc) for loc in locations]
    riskiest = [{"location": r["location_id"], **row} for r in results for row in r["top"]]
    if riskiest:
        create_table_artifact(
            key="churn-riskiest-leads",
            table=riskiest,
            description="leads most likely to go cold, with reasons and intervention",
        )
    for r in results:
        print(f"{r['location_id']}: {r['scored']} leads scored, tiers {r.get('tiers', {})}")
    return results


if __name__ == "__main__":
    churn_scan()

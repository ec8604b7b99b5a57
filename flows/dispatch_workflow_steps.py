"""Every minute: execute due workflow steps through the GHL API (the sweeper).

Steps due right after event processing run at once in the task worker (tasks/dispatch_location.py);
this flow catches timed waits, deferrals and whatever a crash left behind.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from hub.workflows.dispatch import dispatch_due
from tasks.resources import ghl_client, store_sessions


@task(name="dispatch-due-steps", retries=2, retry_delay_seconds=[5, 30])
def dispatch_round(location_id: str | None, limit: int) -> dict[str, Any]:
    """Claim up to `limit` due enrollments and run their steps (guards, ledger, GHL)."""
    report = dispatch_due(
        store_sessions(), ghl_client(), now=datetime.now(UTC), location_id=location_id, limit=limit
    )
    return {
        "claimed": report.claimed,
        "steps": report.steps,
        "sends": dict(report.sends),
        "statuses": dict(report.statuses),
        "errors": report.errors[:20],
    }


@flow(name="dispatch-workflow-steps", log_prints=True)
def dispatch_workflow_steps(
    location_id: str | None = None, limit: int = 200, max_rounds: int = 25
) -> dict[str, Any]:
    """Run due workflow steps in batches until none is due: every send passes the compliance
    guards, is reserved in the send ledger before GHL is called (at most once), and every skip or
    deferral is recorded with its reason."""
    sends: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    claimed = steps = 0
    errors: list[str] = []
    for _ in range(max_rounds):
        result = dispatch_round(location_id, limit)
        claimed += result["claimed"]
        steps += result["steps"]
        sends.update(result["sends"])
        statuses.update(result["statuses"])
        errors.extend(result["errors"])
        if result["claimed"] < limit:
            break
    summary = {
        "claimed": claimed,
        "steps": steps,
        "sends": dict(sends),
        "statuses": dict(statuses),
        "errors": errors[:20],
    }
    create_table_artifact(
        key="dispatch-outcomes",
        table=[{"outcome": k, "count": v} for k, v in sends.items()]
        or [{"outcome": "nothing due", "count": 0}],
        description="workflow sends by outcome (sent / deferred / suppressed / ...)",
    )
    print(summary)
    return summary


if __name__ == "__main__":
    dispatch_workflow_steps()

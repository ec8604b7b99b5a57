"""The Prefect background task that runs one location's due workflow steps right away.

Event processing calls `request_dispatch(location_id)` when a batch left a step due now (a new
enrolment's first text, a wait an event resumed); `hub task-worker` serves the task next to
`process-location-events`, in an already-running process, so the first text goes out within about
a second of the enrolment instead of waiting for a deployment run to start (18-28 s, bench/README.md).
Requests are coalesced per location (hub/workflows/dispatch_gate.py). The every-minute
`dispatch-workflow-steps` deployment stays the sweeper for timed waits, deferrals and anything a
crash left behind; the row claims and the send ledger keep the two dispatchers from sending twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from prefect import task

from hub.workflows.dispatch import dispatch_due
from hub.workflows.dispatch_gate import PROCESS_GATE, DispatchGate, RedisGate, run_coalesced
from tasks.resources import ghl_client, redis_client, store_sessions

ROUND_LIMIT = 200  # enrollments per dispatch round; a full round means more may be due


def dispatch_gate() -> DispatchGate:
    """Redis marks when the task workers share a Redis, else this process's."""
    client = redis_client()
    return RedisGate(client) if client is not None else PROCESS_GATE


def request_dispatch(location_id: str) -> bool:
    """Queue `dispatch-location-steps` for the location unless a run is already queued or running
    (that run serves this request too). True when a task run was queued."""
    if not dispatch_gate().request(location_id):
        return False
    dispatch_location_steps.delay(location_id)
    return True


@task(
    name="dispatch-location-steps", retries=1, retry_delay_seconds=5, task_run_name="dispatch-{location_id}"
)
def dispatch_location_steps(location_id: str) -> dict[str, Any]:
    """Run the location's due workflow steps now: every send passes the compliance guards and is
    reserved in the send ledger before GHL is called, exactly as in the every-minute flow."""
    sends: Counter[str] = Counter()
    claimed, errors = 0, []

    def one_round() -> bool:
        nonlocal claimed
        report = dispatch_due(
            store_sessions(), ghl_client(), now=datetime.now(UTC), location_id=location_id, limit=ROUND_LIMIT
        )
        claimed += report.claimed
        sends.update(report.sends)
        errors.extend(report.errors)
        return report.claimed >= ROUND_LIMIT

    rounds = run_coalesced(dispatch_gate(), location_id, one_round)
    return {
        "location_id": location_id,
        "rounds": rounds,
        "claimed": claimed,
        "sends": dict(sends),
        "errors": errors[:20],
    }

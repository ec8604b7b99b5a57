"""The Prefect background task that runs one location's due workflow steps right away.

Event processing calls `dispatch_after_batch(location_id)` when a batch left a step due now (a new
enrolment's first text, a wait an event resumed). Unless a dispatcher already holds the location,
processing runs one round of at most INLINE_LIMIT steps itself, on its own thread: a new lead's
text then costs no task-run start (`.delay()` is a server round trip, 1.2-1.9 s at load 8, and each
task run re-builds Prefect's settings and clients, ~0.8 s at load 10). A full round, or a request
made meanwhile, is handed to the `dispatch-location-steps` background task, which `hub task-worker`
serves next to `process-location-events`; a deployment run would take 18-28 s to start
(bench/README.md).
Requests are coalesced per location (hub/workflows/dispatch_gate.py). The every-minute
`dispatch-workflow-steps` deployment stays the sweeper for timed waits, deferrals and anything a
crash left behind; the row claims and the send ledger keep the two dispatchers from sending twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from prefect import task

from hub.workflows.dispatch import DispatchReport, dispatch_due
from hub.workflows.dispatch_gate import (
    PROCESS_GATE,
    DispatchGate,
    RedisGate,
    dispatch_here_first,
    run_coalesced,
)
from tasks.resources import ghl_client, redis_client, store_sessions

ROUND_LIMIT = 200  # enrollments per dispatch round; a full round means more may be due
# Steps processing dispatches itself before handing over: a new lead or two per batch is the usual
# case; a bigger backlog must not hold up event processing (its lease lasts 10 s).
INLINE_LIMIT = 5


def dispatch_gate() -> DispatchGate:
    """Redis marks when the task workers share a Redis, else this process's."""
    client = redis_client()
    return RedisGate(client) if client is not None else PROCESS_GATE


def dispatch_after_batch(location_id: str) -> str:
    """Processing's hook: run the location's due steps now, on this thread while they are few, else
    in the background task. Returns what happened ("inline", "queued" or "coalesced")."""

    def queue() -> None:
        dispatch_location_steps.delay(location_id)

    return dispatch_here_first(
        dispatch_gate(),
        location_id,
        lambda: dispatch_round(location_id, INLINE_LIMIT).claimed >= INLINE_LIMIT,
        queue,
    )


def dispatch_round(location_id: str, limit: int) -> DispatchReport:
    return dispatch_due(
        store_sessions(), ghl_client(), now=datetime.now(UTC), location_id=location_id, limit=limit
    )


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
        report = dispatch_round(location_id, ROUND_LIMIT)
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

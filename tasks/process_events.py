"""The Prefect background task that turns a location's new webhook events into lead state.

The API calls `process_location_events.delay(location_id)` once per location micro-batch (never
per webhook: a `delay()` costs a server round trip, prefect-notes.md §7); `hub task-worker` serves it.
"""

from __future__ import annotations

import math
import time
from typing import Any

from prefect import task
from prefect.events import emit_event

from hub.events.drain import drain_and_linger
from hub.events.drain_lease import InProcessLease, RedisLease
from hub.events.processor import ProcessingHooks
from hub.live_feed import notify_activity
from hub.settings import get_settings
from tasks.lead_scoring import rescore_changed_contacts
from tasks.resources import redis_client, store_sessions
from tasks.workflow_hooks import react_to_changes


@task(
    name="process-location-events",
    retries=2,
    retry_delay_seconds=[1, 5],
    task_run_name="process-{location_id}",
)
def process_location_events(location_id: str) -> dict[str, Any]:
    """Drain the location's unprocessed events into lead state, activity and hooks, then linger.

    The run keeps polling for `HUB_PROCESSING_LINGER_S` after the backlog empties, so a steady
    stream of webhooks is processed within one poll instead of one Prefect task start per tick;
    a kick that arrives while another run lingers hands over at once (hub/events/drain_lease.py).
    """
    settings = get_settings()
    processing = settings.processing
    client = redis_client()
    # Scoring is the ML issue's hook: every contact a batch changed is rescored by the promoted models.
    # Workflows are the workflow issue's hook: triggers, goals, exits and stop-on-reply per change.
    hooks = ProcessingHooks(
        on_contacts_changed=rescore_changed_contacts(settings.ml.registry_dir, settings.ml.horizon_days),
        on_changes=react_to_changes,
    )
    wake_dispatcher = _DispatcherWake(location_id)

    def on_activity(loc: str) -> None:
        if client is not None:
            notify_activity(client, loc)
        wake_dispatcher()

    lease = RedisLease(client, ttl_s=max(10.0, 3 * processing.linger_s)) if client else InProcessLease()
    report = drain_and_linger(
        store_sessions(),
        location_id,
        lease,
        linger_s=processing.linger_s,
        poll_s=processing.poll_s,
        max_s=processing.max_drain_s,
        batch_size=processing.batch_size,
        max_batches=processing.max_batches,
        hooks=hooks,
        on_activity=on_activity,
    )
    if report is None:
        return {"location_id": location_id, "handed_over": True}
    if report.out_of_time:
        process_location_events.delay(location_id)  # a successor run takes over the stream
    return {
        "location_id": location_id,
        "batches": report.batches,
        "processed": report.processed,
        "errors": report.errors,
        "activity": report.activity_written,
        "by_type": dict(report.counts_by_type),
        "unknown_types": dict(report.unknown_types),
        "out_of_time": report.out_of_time,
    }


class _DispatcherWake:
    """Emit `hub.workflow.due` when new lead-state changes may have enrolled leads or resumed waits.

    `dispatch-workflow-steps/every-minute` is triggered by this event (prefect.yaml). At most one
    per second per location: a lingering drain writes activity many times a second.
    """

    def __init__(self, location_id: str, min_interval_s: float = 1.0) -> None:
        self._location_id = location_id
        self._min_interval_s = min_interval_s
        self._last = -math.inf

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last < self._min_interval_s:
            return
        self._last = now
        emit_event(
            event="hub.workflow.due", resource={"prefect.resource.id": f"hub.location.{self._location_id}"}
        )

"""The Prefect background task that turns a location's new webhook events into lead state.

The API calls `process_location_events.delay(location_id)` once per location micro-batch (never
per webhook: a `delay()` costs a server round trip, prefect-notes.md §7); `hub task-worker` serves it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import task

from hub.events.drain import drain_and_linger
from hub.events.drain_lease import InProcessLease, RedisLease
from hub.events.processor import ProcessingHooks
from hub.live_feed import notify_activity
from hub.settings import get_settings
from hub.workflows.claims import has_due
from tasks.dispatch_location import dispatch_after_batch
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
        if processing.dispatch_on_enrol:
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
    """Run the location's due workflow steps now when a batch may have made one due (a new
    enrolment's first step, a wait an event resumed): a probe of the store, then a small round on
    this thread or a coalesced `dispatch-location-steps` background task (tasks/dispatch_location.py).
    Every batch is probed, not one a second: a skipped probe would leave a new lead to the minute
    sweep."""

    def __init__(self, location_id: str) -> None:
        self._location_id = location_id

    def __call__(self) -> None:
        with store_sessions()() as session:
            due = has_due(session, self._location_id, datetime.now(UTC))
        if due:
            dispatch_after_batch(self._location_id)

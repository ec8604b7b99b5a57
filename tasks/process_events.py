"""The Prefect background task that turns a location's new webhook events into lead state.

The API calls `process_location_events.delay(location_id)` once per location micro-batch (never
per webhook: a `delay()` costs a server round trip, prefect-notes.md §7); `hub task-worker` serves it.
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.events import emit_event

from hub.events.drain import drain_location
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
    """Drain the location's unprocessed events into lead state, activity and hooks."""
    settings = get_settings()
    client = redis_client()
    # Scoring is the ML issue's hook: every contact a batch changed is rescored by the promoted models.
    # Workflows are the workflow issue's hook: triggers, goals, exits and stop-on-reply per change.
    hooks = ProcessingHooks(
        on_contacts_changed=rescore_changed_contacts(settings.ml.registry_dir, settings.ml.horizon_days),
        on_changes=react_to_changes,
    )
    report = drain_location(
        store_sessions(),
        location_id,
        batch_size=settings.processing.batch_size,
        max_batches=settings.processing.max_batches,
        hooks=hooks,
        on_activity=(lambda loc: notify_activity(client, loc)) if client is not None else None,
    )
    if report.activity_written:
        # New lead-state changes may have enrolled leads or resumed waits: wake the dispatcher
        # (`dispatch-workflow-steps/every-minute` is triggered by this event; prefect.yaml).
        emit_event(event="hub.workflow.due", resource={"prefect.resource.id": f"hub.location.{location_id}"})
    return {
        "location_id": location_id,
        "batches": report.batches,
        "processed": report.processed,
        "errors": report.errors,
        "activity": report.activity_written,
        "by_type": dict(report.counts_by_type),
        "unknown_types": dict(report.unknown_types),
    }

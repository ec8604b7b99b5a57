"""The dry run's virtual clock (hub.workflows.simulate): time jumps to the next due step or input
event, whichever comes first, and the real dispatcher runs at that moment; nothing waits in real time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import SecretStr

from hub.store.models import Enrollment
from hub.workflows.dispatch import dispatch_due
from hub.workflows.durations import parse_duration
from hub.workflows.simulate_events import apply_event, sync_tags
from hub.workflows.simulate_inputs import SimEvent
from hub.workflows.simulate_run import SimRun, collect, note_wait
from hub.workflows.timeline import TimelineEntry

MAX_ROUNDS = 2_000  # dispatcher runs + events; a workflow looping faster than its waits stops here
DRY_RUN_SECRET = SecretStr("dry-run")  # webhook steps sign with it; the recorder verifies nothing

TimedEvent = tuple[datetime, int, SimEvent]  # when (UTC), input order, the event


def aware(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment`, read in `zone` when it has no offset of its own."""
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def timed_events(events: list[SimEvent], start: datetime, zone: ZoneInfo) -> list[TimedEvent]:
    """The input events in time order (input order among events at the same moment)."""
    timed = ((_event_time(event, start, zone), n, event) for n, event in enumerate(events))
    return sorted(timed, key=lambda t: t[:2])


def _event_time(event: SimEvent, start: datetime, zone: ZoneInfo) -> datetime:
    if event.at is not None:
        return aware(event.at, zone).astimezone(UTC)
    assert event.after is not None
    return (start + parse_duration(event.after)).astimezone(UTC)


def drive(run: SimRun, timed: list[TimedEvent], start: datetime, horizon: timedelta) -> datetime:
    """Alternate input events and dispatcher runs in time order; returns the virtual time at the end."""
    now, stop_at, pending = start, start + horizon, list(timed)
    http = run.ghl.http_client()
    client = run.ghl.client()
    try:
        for _ in range(MAX_ROUNDS):
            due = _next_due(run)
            next_event = pending[0][0] if pending else None
            if due is None and next_event is None:
                return now
            if next_event is not None and (due is None or next_event <= due):
                if next_event > stop_at:
                    break
                at, _n, event = pending.pop(0)
                now = max(now, at)
                apply_event(run, event, now)
                continue
            assert due is not None
            if due > stop_at:
                break
            now = max(now, due)
            dispatch_due(
                run.sessions,
                client,
                now=now,
                location_id=run.location_id,
                http=http,
                webhook_secrets=lambda _location, _name: DRY_RUN_SECRET,
            )
            sync_tags(run)
            collect(run)
            note_wait(run, now)
        else:
            run.entries.append(TimelineEntry(now, "stopped", f"stopped after {MAX_ROUNDS} rounds"))
            return now
    finally:
        client.close()
        http.close()
    run.entries.append(
        TimelineEntry(
            stop_at, "stopped", f"the dry run ends at the horizon ({horizon.days} days after the start)"
        )
    )
    return stop_at


def _next_due(run: SimRun) -> datetime | None:
    """When the lead's next step is due (enrollments on hold wait for a person, not the clock)."""
    with run.sessions() as session:
        return session.scalar(
            sa.select(sa.func.min(Enrollment.next_run_at)).where(
                Enrollment.location_id == run.location_id,
                Enrollment.contact_id == run.contact_id,
                Enrollment.status.in_(("active", "waiting")),
            )
        )

"""Dry run: the timeline one contact would follow through a workflow, with nothing sent anywhere.

    timeline = simulate(loaded.definition, {"first_name": "Dana", "phone": "+13105550143", ...},
                        [{"after": "2h", "type": "InboundMessage", "body": "yes, call me"}],
                        start=datetime(2026, 9, 10, 21, 30), tz="America/Los_Angeles")
    timeline.entries        # what is sent when, what is deferred or skipped and why
    timeline.to_dict()      # JSON-ready (for the API)

`hub workflows simulate FILE --contact ... --events ... --start ... --tz ...` renders it.

The real engine runs, not a model of it: enrollment, the step runner, reactions to events (stop on
reply, goals, exits), every compliance guard (quiet hours in the lead's zone, DND, STOP, consent,
caps, takeover) and the send ledger. They run on a private in-memory SQLite store, thrown away
afterwards, with a virtual clock that jumps to the next due step or input event. GHL is a recorder
(hub.workflows.dry_run_ghl) behind the real GHLClient, so no request leaves the process.

Inputs are checked first; a bad one raises SimulationInputError naming the input, the line (events)
and the field. Input events change the simulated lead as the lead-state processor would (an
inbound "STOP" opts the lead out, a DND update blocks the channel at GHL too, tags change) and then
go through the engine's reactions and triggers.

What a dry run cannot know: the lead's model scores (conditions on score / tier read None unless the
contact input sets nothing else), other workflows (an `enroll` step is recorded as skipped: only
this workflow is in the store), and pipelines (a `move_stage` step fails: the location has none).

The parts: simulate_inputs (checking the inputs), simulate_store (the private store and its seed),
simulate_clock (the virtual clock), simulate_events (input events), simulate_run (the run's state
and the entries it writes), dry_run_ghl (the recorder) and timeline (the result).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from hub.compliance.lead_timezone import LeadFacts, lead_zones, valid_zone
from hub.compliance.policy import parse_policy
from hub.errors import ConfigError
from hub.store.engine import session_factory
from hub.store.models import Enrollment
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.dry_run_ghl import DryRunGHL
from hub.workflows.loader import LoadedWorkflow
from hub.workflows.simulate_clock import aware, drive, timed_events
from hub.workflows.simulate_inputs import (
    SimContact,
    SimEvent,
    SimLocation,
    SimulationInputError,
    parse_contact,
    parse_event,
    validated,
)
from hub.workflows.simulate_run import SimRun
from hub.workflows.simulate_store import ghl_contact, memory_store, seed
from hub.workflows.timeline import Timeline

DEFAULT_HORIZON = timedelta(days=90)
DEFAULT_LOCATION_ZONE = "America/Chicago"


def simulate(
    workflow: WorkflowDefinition | LoadedWorkflow,
    contact: Mapping[str, Any] | SimContact,
    events: Sequence[Mapping[str, Any] | SimEvent] = (),
    *,
    start: datetime,
    tz: str | None = None,
    location: Mapping[str, Any] | None = None,
    horizon: timedelta = DEFAULT_HORIZON,
) -> Timeline:
    """The timeline `contact` would follow through `workflow` from `start` (module docstring).
    `tz`: the zone of times written without an offset and of the printed times (default: the
    lead's own zone). Nothing is sent; no store but a private in-memory one is touched."""
    lead = parse_contact(contact)
    if tz is not None and valid_zone(tz) is None:
        raise SimulationInputError(f"--tz: {tz!r} is not an IANA time zone (e.g. America/Los_Angeles)")
    place: SimLocation = validated(SimLocation, dict(location or {}), "location")
    definition = workflow.definition if isinstance(workflow, LoadedWorkflow) else workflow
    if location is None and definition.locations:
        place.id = definition.locations[0]
    try:
        parse_policy(place.id, place.compliance)
    except ConfigError as exc:
        raise SimulationInputError(f"location: {exc}") from None
    office_zone = place.timezone or tz or lead.timezone or DEFAULT_LOCATION_ZONE
    facts = LeadFacts(lead.timezone, lead.state, lead.postal_code, lead.phone)
    zones = lead_zones(facts, office_zone)
    zone = ZoneInfo(tz or zones.zones[0])
    begin = aware(start, zone)
    parsed = [parse_event(item, f"events[{i}]") for i, item in enumerate(events)]
    timed = timed_events(parsed, begin, zone)
    engine = memory_store()
    try:
        run = SimRun(
            session_factory(engine),
            DryRunGHL(place.id, ghl_contact(lead)),
            place.id,
            lead.id,
            definition,
            zone,
        )
        seed(run, workflow, lead, place, office_zone, begin)
        end = drive(run, timed, begin, horizon)
        with run.sessions() as session:
            enrollment = session.scalars(sa.select(Enrollment).order_by(Enrollment.id)).first()
            status = enrollment.status if enrollment else "not_enrolled"
            reason = enrollment.exit_reason if enrollment else None
    finally:
        engine.dispose()  # the database goes with its only connection
    notes = []
    if location is None:
        notes.append("no location given: placeholder postal address and unsubscribe link used for emails")
    if definition.triggers:
        notes.append("the lead was enrolled at the start; the workflow's triggers were not evaluated")
    return Timeline(
        workflow_id=definition.id,
        contact_id=lead.id,
        start=begin,
        end=end,
        zone=zone.key,
        lead_zones=zones.zones,
        lead_zone_basis=zones.basis,
        status=status,
        exit_reason=reason,
        entries=tuple(run.entries),
        ghl_calls=tuple(run.ghl.calls),
        notes=tuple(notes),
    )

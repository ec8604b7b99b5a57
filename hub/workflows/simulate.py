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
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import command
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from hub.compliance.lead_timezone import LeadFacts, lead_zones, valid_zone
from hub.compliance.opt_out import SmsIntent, classify_sms
from hub.compliance.policy import parse_policy
from hub.errors import ConfigError
from hub.store.engine import alembic_config, session_factory
from hub.store.models import Activity, Contact, Enrollment, Location, Message, User
from hub.store.models.workflows import LIVE_ENROLLMENT_STATUSES
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.dispatch import dispatch_due
from hub.workflows.dry_run_ghl import DryRunGHL
from hub.workflows.durations import parse_duration
from hub.workflows.enrollment import enroll, publish_workflow
from hub.workflows.events import WorkflowEvent
from hub.workflows.intake import handle_events
from hub.workflows.loader import LoadedWorkflow, checksum_of
from hub.workflows.simulate_inputs import (
    SimContact,
    SimEvent,
    SimLocation,
    SimulationInputError,
    parse_contact,
    parse_event,
    validated,
)
from hub.workflows.steps import Goal, Wait
from hub.workflows.timeline import Timeline, TimelineEntry, describe, entry_for, fmt

DEFAULT_HORIZON = timedelta(days=90)
MAX_ROUNDS = 2_000  # dispatcher runs + events; a workflow looping faster than its waits stops here
DEFAULT_LOCATION_ZONE = "America/Chicago"
EMAIL_SUPPRESSING = ("bounce", "complain", "spam", "unsubscrib")
DRY_RUN_SECRET = SecretStr("dry-run")  # webhook steps sign with it; the recorder verifies nothing


@dataclass
class _Run:
    sessions: sessionmaker[Session]
    ghl: DryRunGHL
    location_id: str
    contact_id: str
    definition: WorkflowDefinition
    zone: ZoneInfo
    entries: list[TimelineEntry] = field(default_factory=list)
    last_activity: int = 0
    last_wait: tuple[str, str] | None = None
    inputs: int = 0


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
    begin = _aware(start, zone)
    parsed = [parse_event(item, f"events[{i}]") for i, item in enumerate(events)]
    timed = sorted(
        ((_event_time(event, begin, zone), n, event) for n, event in enumerate(parsed)), key=lambda t: t[:2]
    )
    engine = _memory_store()
    try:
        run = _Run(
            session_factory(engine),
            DryRunGHL(place.id, _ghl_contact(lead)),
            place.id,
            lead.id,
            definition,
            zone,
        )
        _seed(run, workflow, lead, place, office_zone, begin)
        end = _drive(run, timed, begin, horizon)
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


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _event_time(event: SimEvent, start: datetime, zone: ZoneInfo) -> datetime:
    if event.at is not None:
        return _aware(event.at, zone).astimezone(UTC)
    assert event.after is not None
    return (start + parse_duration(event.after)).astimezone(UTC)


def _memory_store() -> Engine:
    """A private SQLite database in memory (one shared connection), with the store's schema."""
    engine = sa.create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    config = alembic_config("sqlite://")
    with engine.begin() as connection:
        # The real migrations, not metadata.create_all: the schema is exactly the production one.
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:  # outside a transaction, where SQLite honours it
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    return engine


def _ghl_contact(lead: SimContact) -> dict[str, Any]:
    """The contact as GHL would hold it (what the fresh DND check reads)."""
    name = lead.name or " ".join(p for p in (lead.first_name, lead.last_name) if p) or None
    settings = {channel: {"status": status} for channel, status in lead.dnd_channels.items()}
    if lead.sms_opted_out:
        settings["SMS"] = {"status": "active"}
    body = {
        "id": lead.id,
        "firstName": lead.first_name,
        "lastName": lead.last_name,
        "name": name,
        "email": lead.email,
        "phone": lead.phone,
        "tags": list(lead.tags),
        "dnd": lead.dnd,
        "dndSettings": settings,
        "timezone": lead.timezone,
        "source": lead.source,
    }
    return {k: v for k, v in body.items() if v is not None}


def _seed(
    run: _Run,
    workflow: WorkflowDefinition | LoadedWorkflow,
    lead: SimContact,
    place: SimLocation,
    office_zone: str,
    start: datetime,
) -> None:
    if isinstance(workflow, WorkflowDefinition):
        text = json.dumps(workflow.to_json(), sort_keys=True)
        workflow = LoadedWorkflow(workflow, text, checksum_of(text), "<simulation>")
    with run.sessions() as session:
        session.add(
            Location(
                id=place.id,
                name=place.name,
                timezone=office_zone,
                postal_address=place.postal_address,
                help_text=place.help_text,
                quiet_hours_start=place.quiet_hours_start,
                quiet_hours_end=place.quiet_hours_end,
                compliance=place.compliance,
            )
        )
        session.flush()  # the unit of work does not order these rows by foreign key: location first
        agent_id = None
        if lead.agent is not None:
            agent_id = "sim-agent"
            session.add(User(location_id=place.id, id=agent_id, **lead.agent.model_dump()))
        name = lead.name or " ".join(p for p in (lead.first_name, lead.last_name) if p) or None
        session.add(
            Contact(
                location_id=place.id,
                id=lead.id,
                name=name,
                first_name=lead.first_name,
                last_name=lead.last_name,
                email=lead.email,
                phone=lead.phone,
                source=lead.source,
                tags=list(lead.tags),
                custom_fields=dict(lead.custom_fields),
                assigned_user_id=agent_id,
                timezone=lead.timezone,
                state=lead.state,
                postal_code=lead.postal_code,
                dnd=lead.dnd,
                dnd_channels=dict(lead.dnd_channels),
                sms_opted_out=lead.sms_opted_out,
                sms_opted_out_at=start if lead.sms_opted_out else None,
                consent=lead.consent,
                date_added=_aware(lead.date_added, run.zone) if lead.date_added else start,
            )
        )
        session.flush()
        publish_workflow(session, workflow, now=start)
        enroll(
            session,
            location_id=place.id,
            contact_id=lead.id,
            workflow_id=run.definition.id,
            now=start,
            reason="dry run",
        )
        session.commit()
    _collect(run)


def _drive(
    run: _Run, timed: list[tuple[datetime, int, SimEvent]], start: datetime, horizon: timedelta
) -> datetime:
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
                _apply_event(run, event, now)
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
            _sync_tags(run)
            _collect(run)
            _note_wait(run, now)
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


def _next_due(run: _Run) -> datetime | None:
    with run.sessions() as session:
        return session.scalar(
            sa.select(sa.func.min(Enrollment.next_run_at)).where(
                Enrollment.location_id == run.location_id,
                Enrollment.contact_id == run.contact_id,
                Enrollment.status.in_(("active", "waiting")),
            )
        )


def _apply_event(run: _Run, event: SimEvent, now: datetime) -> None:
    """Change the lead as the processor would for this event, then let the engine react."""
    run.inputs += 1
    with run.sessions() as session:
        contact = session.get(Contact, (run.location_id, run.contact_id))
        assert contact is not None
        workflow_events, effect = _effects(run, session, contact, event, now)
        before = _live_steps(session, run)
        outcome = handle_events(session, run.location_id, workflow_events, now=now)
        session.commit()
        after = _live_steps(session, run)
    moved = [f"continues at {after[i]}" for i in after if i in before and after[i] != before[i]]
    summary = f"{event.type}{describe(event.data)}"
    details = [d for d in (effect, *moved, *(f"error: {e}" for e in outcome.reactions.errors)) if d]
    if details:
        summary += " → " + "; ".join(details)
    run.entries.append(TimelineEntry(now, "event", summary, reason=effect or None))
    _collect(run)
    run.last_wait = None


def _live_steps(session: Session, run: _Run) -> dict[int, str | None]:
    rows = session.execute(
        sa.select(Enrollment.id, Enrollment.current_step_id).where(
            Enrollment.location_id == run.location_id,
            Enrollment.contact_id == run.contact_id,
            Enrollment.status.in_(LIVE_ENROLLMENT_STATUSES),
        )
    )
    return {row[0]: row[1] for row in rows}


def _effects(
    run: _Run, session: Session, contact: Contact, event: SimEvent, now: datetime
) -> tuple[list[WorkflowEvent], str]:
    """The lead-state change an input event makes, and the workflow events it yields."""
    data, kind, ghl = event.data, event.type, run.ghl
    emitted = [WorkflowEvent(kind, contact.id, now, data)]
    effect = ""
    settings = dict(ghl.contact.get("dndSettings") or {})
    if kind in ("InboundMessage", "OutboundMessage"):
        inbound = kind == "InboundMessage"
        channel = str(data.get("channel") or "SMS")
        data.setdefault("channel", channel)
        if not inbound:
            data.setdefault("source", "app")
        session.add(
            Message(
                location_id=run.location_id,
                id=str(data.get("message_id") or f"sim-message-{run.inputs}"),
                contact_id=contact.id,
                direction="inbound" if inbound else "outbound",
                channel=channel,
                body=data.get("body"),
                status=data.get("status"),
                source=None if inbound else str(data["source"]),
                user_id=data.get("user_id"),
                occurred_at=now,
            )
        )
        intent = classify_sms(data.get("body")).intent if inbound and channel == "SMS" else SmsIntent.NONE
        if intent is SmsIntent.OPT_OUT or (not inbound and data.get("status") == "opt_out"):
            contact.sms_opted_out, contact.sms_opted_out_at = True, now
            settings["SMS"] = {"status": "active"}
            emitted.append(WorkflowEvent("SmsOptedOut", contact.id, now, {"body": data.get("body")}))
            effect = "SMS opt-out recorded"
        elif intent is SmsIntent.OPT_IN:
            contact.sms_opted_out, contact.sms_opted_out_at = False, None
            settings["SMS"] = {"status": "inactive"}
            emitted.append(WorkflowEvent("SmsOptedIn", contact.id, now, {"body": data.get("body")}))
            effect = "SMS opt-in recorded"
    elif kind in ("SmsOptedOut", "SmsOptedIn"):
        out = kind == "SmsOptedOut"
        contact.sms_opted_out, contact.sms_opted_out_at = out, now if out else None
        settings["SMS"] = {"status": "active" if out else "inactive"}
    elif kind == "ContactDndUpdate":
        channels = {str(k): str(v) for k, v in dict(data.get("channels") or {}).items()}
        contact.dnd_channels = {**contact.dnd_channels, **channels}
        settings.update({k: {"status": v} for k, v in channels.items()})
        if data.get("dnd") is not None:
            contact.dnd = bool(data["dnd"])
            ghl.contact["dnd"] = contact.dnd
        effect = "DND now " + ", ".join(f"{k} {v}" for k, v in contact.dnd_channels.items())
    elif kind in ("ContactTagUpdate", "ContactUpdate"):
        tags = list(data["tags"]) if "tags" in data else list(contact.tags)
        tags += [t for t in data.get("added") or [] if t not in tags]
        tags = [t for t in tags if t not in (data.get("removed") or [])]
        contact.tags = tags
        ghl.contact["tags"] = list(tags)
        if data.get("source") is not None:
            contact.source = str(data["source"])
        effect = f"tags now {tags}"
    elif kind == "LCEmailStats" and any(
        word in str(data.get("kind", "")).lower() for word in EMAIL_SUPPRESSING
    ):
        contact.dnd_channels = {**contact.dnd_channels, "Email": "permanent"}
        settings["Email"] = {"status": "permanent"}
        effect = "email suppressed (permanent Email DND)"
    ghl.contact["dndSettings"] = settings
    session.flush()
    return emitted, effect


def _sync_tags(run: _Run) -> None:
    """GHL's ContactTagUpdate webhook would bring tag steps' changes back into the store."""
    with run.sessions() as session:
        contact = session.get(Contact, (run.location_id, run.contact_id))
        tags = list(run.ghl.contact.get("tags", []))
        if contact is not None and list(contact.tags) != tags:
            contact.tags = tags
            session.commit()


def _note_wait(run: _Run, now: datetime) -> None:
    """A `waiting` entry when the enrollment settles on a wait or goal step (sends say their own)."""
    with run.sessions() as session:
        enrollment = session.scalars(
            sa.select(Enrollment).where(
                Enrollment.location_id == run.location_id,
                Enrollment.contact_id == run.contact_id,
                Enrollment.workflow_id == run.definition.id,
                Enrollment.status.in_(LIVE_ENROLLMENT_STATUSES),
            )
        ).first()
        if enrollment is None or not enrollment.current_step_id:
            return
        pending = enrollment.context.get("wait")
        step_id = enrollment.current_step_id
        if not isinstance(pending, dict) or pending.get("step") != step_id:
            return
        key = (step_id, str(pending.get("until")))
        if key == run.last_wait:
            return
        run.last_wait = key
        until = datetime.fromisoformat(pending["until"]) if pending.get("until") else None
        step = run.definition.step(step_id)
        if isinstance(step, Wait) and step.for_event is not None:
            after = step.on_timeout or run.definition.following(step_id)
            summary = f"waiting for {step.for_event.event} until {fmt(until, run.zone)} (else {after})"
        elif isinstance(step, Goal):
            summary = f"waiting for the goal event {step.event}"
        else:
            summary = f"waiting until {fmt(until, run.zone)}"
        run.entries.append(TimelineEntry(now, "waiting", summary, step_id=step_id, until=until))


def _collect(run: _Run) -> None:
    """Turn the audit items written since the last look into timeline entries."""
    with run.sessions() as session:
        items = session.scalars(
            sa.select(Activity).where(Activity.id > run.last_activity).order_by(Activity.id)
        ).all()
    calls = {call.answer_id: call for call in run.ghl.calls if call.answer_id}
    for item in items:
        run.last_activity = item.id
        entry = entry_for(item.kind, dict(item.payload), calls, run.zone)
        if entry is not None:
            run.entries.append(entry)

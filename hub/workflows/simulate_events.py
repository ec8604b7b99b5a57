"""Input events of a dry run (hub.workflows.simulate): each changes the simulated lead the way the
lead-state processor would (an inbound "STOP" opts the lead out, a DND update blocks the channel at
GHL too, tags change), then goes through the engine's reactions and triggers.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.compliance.opt_out import SmsIntent, classify_sms
from hub.store.models import Contact, Enrollment, Message
from hub.workflows.events import WorkflowEvent
from hub.workflows.intake import handle_events
from hub.workflows.simulate_inputs import SimEvent
from hub.workflows.simulate_run import SimRun, collect
from hub.workflows.timeline import TimelineEntry, describe

EMAIL_SUPPRESSING = ("bounce", "complain", "spam", "unsubscrib")


def apply_event(run: SimRun, event: SimEvent, now: datetime) -> None:
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
    collect(run)
    run.last_wait = None


def sync_tags(run: SimRun) -> None:
    """GHL's ContactTagUpdate webhook would bring tag steps' changes back into the store."""
    with run.sessions() as session:
        contact = session.get(Contact, (run.location_id, run.contact_id))
        tags = list(run.ghl.contact.get("tags", []))
        if contact is not None and list(contact.tags) != tags:
            contact.tags = tags
            session.commit()


def _live_steps(session: Session, run: SimRun) -> dict[int, str | None]:
    rows = session.execute(sa.select(Enrollment.id, Enrollment.current_step_id).where(run.live_enrollments()))
    return {row[0]: row[1] for row in rows}


def _effects(
    run: SimRun, session: Session, contact: Contact, event: SimEvent, now: datetime
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

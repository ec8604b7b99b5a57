"""Changes of the records around a lead: messages, opportunities, appointments, listing
interactions (hub.leads.report does the contact itself). Detail keys are the field names workflow
conditions read (hub.workflows.events.EVENT_FIELDS)."""

from __future__ import annotations

from typing import Any

from hub.compliance.opt_out import SmsIntent, classify_sms
from hub.events.domain import (
    APPOINTMENT_CANCELLED,
    APPOINTMENT_DELETED,
    APPOINTMENT_NO_SHOW,
    Channel,
    ConversationMessage,
    Direction,
    ListingInteracted,
)
from hub.leads.changes import Change, ChangeKind
from hub.leads.pipelines import pipeline_names, stage_names
from hub.leads.state import OPPORTUNITY_TRACKED, LeadState, snapshot

_NOT_BOOKED = (APPOINTMENT_CANCELLED, APPOINTMENT_DELETED, "invalid")
_PREVIEW = 160


def message_changes(state: LeadState) -> list[Change]:
    changes: list[Change] = []
    for stamped, row in state.new_messages:
        message = stamped.event
        assert isinstance(message, ConversationMessage)
        inbound = message.direction is Direction.INBOUND
        detail = {
            "message_id": row.id,
            "channel": row.channel,
            "sender": message.sender.value,
            "status": row.status,
            "source": row.source,
            "user_id": row.user_id,
            "body": message.body,
            "preview": (message.body or "")[:_PREVIEW],
        }
        kind = ChangeKind.MESSAGE_RECEIVED if inbound else ChangeKind.MESSAGE_SENT
        changes.append(Change(kind, row.contact_id, stamped.occurred_at, detail))
        if inbound and message.channel is Channel.SMS and classify_sms(message.body).intent is SmsIntent.HELP:
            changes.append(
                Change(
                    ChangeKind.HELP_REQUESTED,
                    row.contact_id,
                    stamped.occurred_at,
                    {"message_id": row.id, "body": message.body},
                )
            )
    return changes


def _opportunity_changes(state: LeadState) -> list[Change]:
    befores = state.opportunities_before
    stage_ids = {row.stage_id for row in state.opportunities.values() if row.stage_id}
    stage_ids |= {before["stage_id"] for before in befores.values() if before and before["stage_id"]}
    stages = stage_names(state.session, state.location_id, stage_ids)
    pipelines = pipeline_names(
        state.session,
        state.location_id,
        {row.pipeline_id for row in state.opportunities.values() if row.pipeline_id},
    )
    changes: list[Change] = []
    for opportunity_id, row in state.opportunities.items():
        if ("opportunity", opportunity_id) not in state.touched:
            continue
        before = befores[opportunity_id]
        common: dict[str, Any] = {
            "opportunity_id": opportunity_id,
            "pipeline_id": row.pipeline_id,
            "pipeline": pipelines.get(row.pipeline_id or ""),
            "stage_id": row.stage_id,
            "stage": stages.get(row.stage_id or ""),
            "status": row.status,
        }
        if before is None:
            at = state.first_touched[("opportunity", opportunity_id)]
            detail = {**common, "name": row.name, "monetary_value": row.monetary_value}
            changes.append(Change(ChangeKind.OPPORTUNITY_CREATED, row.contact_id, at, detail))
            continue
        after = snapshot(row, OPPORTUNITY_TRACKED)
        if before["stage_id"] != after["stage_id"]:
            at = state.when("opportunity", opportunity_id, "stage_id")
            previous = {
                "previous_stage_id": before["stage_id"],
                "previous_stage": stages.get(before["stage_id"] or ""),
            }
            changes.append(
                Change(ChangeKind.OPPORTUNITY_STAGE_CHANGED, row.contact_id, at, {**common, **previous})
            )
        if before["status"] != after["status"]:
            at = state.when("opportunity", opportunity_id, "status")
            changes.append(
                Change(
                    ChangeKind.OPPORTUNITY_STATUS_CHANGED,
                    row.contact_id,
                    at,
                    {**common, "previous_status": before["status"]},
                )
            )
    return changes


def _appointment_changes(state: LeadState) -> list[Change]:
    changes: list[Change] = []
    for appointment_id, row in state.appointments.items():
        if ("appointment", appointment_id) not in state.touched:
            continue
        before = state.appointments_before[appointment_id]
        detail = {
            "appointment_id": appointment_id,
            "status": row.status,
            "title": row.title,
            "calendar_id": row.calendar_id,
            "start_at": row.start_at.isoformat(),
        }
        at = state.when("appointment", appointment_id, "status", "start_at")
        if row.status == APPOINTMENT_NO_SHOW and (before is None or before["status"] != APPOINTMENT_NO_SHOW):
            changes.append(Change(ChangeKind.APPOINTMENT_NO_SHOW, row.contact_id, at, detail))
        elif before is None and row.status not in _NOT_BOOKED:
            at = state.first_touched[("appointment", appointment_id)]
            changes.append(Change(ChangeKind.APPOINTMENT_BOOKED, row.contact_id, at, detail))
        elif before is None or before["status"] != row.status or before["start_at"] != row.start_at:
            if before is not None:
                detail |= {
                    "previous_status": before["status"],
                    "previous_start_at": before["start_at"].isoformat(),
                }
            changes.append(Change(ChangeKind.APPOINTMENT_CHANGED, row.contact_id, at, detail))
    return changes


def _interaction_changes(state: LeadState) -> list[Change]:
    changes: list[Change] = []
    for stamped, row in state.new_interactions:
        event = stamped.event
        assert isinstance(event, ListingInteracted)
        detail = {
            "listing_id": row.listing_id,
            "kind": row.kind,
            "price": event.price,
            "city": event.city,
            "postal_code": event.postal_code,
            "address": event.address,
        }
        changes.append(Change(ChangeKind.LISTING_INTERACTION, row.contact_id, stamped.occurred_at, detail))
    return changes


def record_changes(state: LeadState) -> list[Change]:
    return [*_opportunity_changes(state), *_appointment_changes(state), *_interaction_changes(state)]

"""Note*, Task*, Opportunity* and Appointment* events → their domain events (ghl-api.md §1.4).

- TaskCreate can come without `contactId` and `body` (ISS-332): both stay None, never an error.
- Every Opportunity* type carries the whole opportunity; `pipelineStageId` is a UUID only.
- Appointment* nest everything under `appointment`, and all three doc examples say
  AppointmentCreate (copy/paste error): the delivery's `type` decides the action.
"""

from __future__ import annotations

from hub.events.domain import (
    APPOINTMENT_DELETED,
    AppointmentChanged,
    NoteChanged,
    OpportunityChange,
    OpportunityChanged,
    OpportunityStatus,
    RecordAction,
    TaskChanged,
)
from hub.events.payload import Fields

NOTE_ACTIONS = {
    "NoteCreate": RecordAction.CREATED,
    "NoteUpdate": RecordAction.UPDATED,
    "NoteDelete": RecordAction.DELETED,
}
TASK_ACTIONS = {
    "TaskCreate": RecordAction.CREATED,
    "TaskComplete": RecordAction.COMPLETED,
    "TaskDelete": RecordAction.DELETED,
}
OPPORTUNITY_CHANGES = {
    "OpportunityCreate": OpportunityChange.CREATED,
    "OpportunityUpdate": OpportunityChange.UPDATED,
    "OpportunityStageUpdate": OpportunityChange.STAGE,
    "OpportunityStatusUpdate": OpportunityChange.STATUS,
    "OpportunityMonetaryValueUpdate": OpportunityChange.VALUE,
    "OpportunityAssignedToUpdate": OpportunityChange.ASSIGNMENT,
    "OpportunityDelete": OpportunityChange.DELETED,
}
APPOINTMENT_ACTIONS = {
    "AppointmentCreate": RecordAction.CREATED,
    "AppointmentUpdate": RecordAction.UPDATED,
    "AppointmentDelete": RecordAction.DELETED,
}


def note_changed(event_type: str, fields: Fields, fallback_contact: str | None) -> NoteChanged:
    return NoteChanged(
        action=NOTE_ACTIONS[event_type],
        note_id=fields.ident("id", "noteId"),
        contact_id=fields.ident("contactId") or fallback_contact,
        body=fields.text("body"),
    )


def task_changed(event_type: str, fields: Fields, fallback_contact: str | None) -> TaskChanged:
    return TaskChanged(
        action=TASK_ACTIONS[event_type],
        task_id=fields.ident("id", "taskId"),
        contact_id=fields.ident("contactId") or fallback_contact,
        title=fields.text("title"),
        body=fields.text("body"),
        assigned_to=fields.ident("assignedTo"),
        due_at=fields.time("dueDate"),
    )


def _opportunity_status(fields: Fields) -> OpportunityStatus | None:
    status = fields.text("status")
    if status is None:
        return None
    try:
        return OpportunityStatus(status.lower())
    except ValueError:
        raise fields.error("status", "open, won, lost or abandoned", status) from None


def opportunity_changed(event_type: str, fields: Fields, fallback_contact: str | None) -> OpportunityChanged:
    return OpportunityChanged(
        change=OPPORTUNITY_CHANGES[event_type],
        opportunity_id=fields.required_ident("id", "opportunityId", why="an opportunity event names it"),
        contact_id=fields.ident("contactId") or fallback_contact,
        name=fields.text("name"),
        pipeline_id=fields.ident("pipelineId"),
        stage_id=fields.ident("pipelineStageId", "stageId"),
        status=_opportunity_status(fields),
        monetary_value=fields.number("monetaryValue"),
        assigned_to=fields.ident("assignedTo"),
        source=fields.text("source"),
        date_added=fields.time("dateAdded"),
    )


def appointment_status(value: str | None) -> str | None:
    """GHL's appointmentStatus, lower-cased with separators dropped ("no_show" → "noshow")."""
    if value is None:
        return None
    return value.strip().lower().replace("_", "").replace("-", "").replace(" ", "")


def appointment_changed(event_type: str, fields: Fields, fallback_contact: str | None) -> AppointmentChanged:
    action = APPOINTMENT_ACTIONS[event_type]
    # Nested per the docs; a flat payload (fields at the top, like every other event) is accepted.
    body = fields.nested("appointment") or fields
    start_at = body.time("startTime", "start_time")
    if start_at is None and action is RecordAction.CREATED:
        raise body.error("startTime", "an AppointmentCreate needs the appointment's start", missing=True)
    status = appointment_status(body.text("appointmentStatus", "status"))
    return AppointmentChanged(
        action=action,
        appointment_id=body.required_ident("id", "appointmentId", why="an appointment event names it"),
        contact_id=body.ident("contactId") or fallback_contact,
        status=APPOINTMENT_DELETED if action is RecordAction.DELETED else status,
        calendar_id=body.ident("calendarId"),
        title=body.text("title"),
        start_at=start_at,
        end_at=body.time("endTime", "end_time"),
        assigned_user_id=body.ident("assignedUserId"),
        address=body.text("address"),
        source=body.text("source"),
    )

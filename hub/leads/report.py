"""Turn a batch's before/after rows into `Change`s (hub.leads.changes).

Each change is timed by the event behind it: a creation by the oldest event about the record, a
changed slot (tags, DND, opt-out, stage, ...) by the newest write that landed on it. Detail keys
are the field names workflow conditions read (hub.workflows.events.EVENT_FIELDS).
"""

from __future__ import annotations

from typing import Any

from hub.leads.changes import Change, ChangeKind
from hub.leads.record_changes import message_changes, record_changes
from hub.leads.state import CONTACT_TRACKED, LeadState, snapshot
from hub.leads.writes import CONTACT_COLUMNS

_BLANK_CONTACT: dict[str, Any] = {
    **dict.fromkeys(CONTACT_TRACKED),
    **{"tags": [], "custom_fields": {}, "dnd": False, "dnd_channels": {}, "sms_opted_out": False},
    "deleted": False,
}
_PROFILE = tuple(column for column in CONTACT_COLUMNS if column != "dnd")


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(key for key in {*before, *after} if before.get(key) != after.get(key))


def contact_changes(state: LeadState, contact_id: str) -> list[Change]:
    row = state.contacts[contact_id]
    before, after = state.contacts_before[contact_id], snapshot(row, CONTACT_TRACKED)
    profile = {
        "name": row.name,
        "source": row.source,
        "tags": row.tags,
        "assigned_user_id": row.assigned_user_id,
    }
    changes: list[Change] = []
    if before is None:
        at = state.first_touched[("contact", contact_id)]
        changes.append(Change(ChangeKind.CONTACT_CREATED, contact_id, at, profile))
    else:
        fields = [column for column in _PROFILE if before[column] != after[column]]
        custom = diff(before["custom_fields"], after["custom_fields"])
        if fields or custom:
            at = state.when("contact", contact_id, *_PROFILE, "custom")
            detail = {**profile, "fields": fields, "custom_fields": custom}
            changes.append(Change(ChangeKind.CONTACT_UPDATED, contact_id, at, detail))
    before = before or _BLANK_CONTACT
    if before["tags"] != after["tags"]:
        added = [tag for tag in after["tags"] if tag not in before["tags"]]
        removed = [tag for tag in before["tags"] if tag not in after["tags"]]
        at = state.when("contact", contact_id, "tags")
        changes.append(
            Change(
                ChangeKind.TAGS_CHANGED,
                contact_id,
                at,
                {"added": added, "removed": removed, "tags": after["tags"]},
            )
        )
    if before["dnd"] != after["dnd"] or before["dnd_channels"] != after["dnd_channels"]:
        channels = {
            key: after["dnd_channels"].get(key) for key in diff(before["dnd_channels"], after["dnd_channels"])
        }
        at = state.when("contact", contact_id, "dnd", "dnd_channel")
        changes.append(
            Change(ChangeKind.DND_CHANGED, contact_id, at, {"dnd": after["dnd"], "channels": channels})
        )
    if before["sms_opted_out"] != after["sms_opted_out"]:
        kind = ChangeKind.SMS_OPTED_OUT if after["sms_opted_out"] else ChangeKind.SMS_OPTED_IN
        at = state.when("contact", contact_id, "sms_opt_out")
        changes.append(Change(kind, contact_id, at, dict(after["sms_opt_out_evidence"] or {})))
    if after["deleted"] and not before["deleted"]:
        changes.append(
            Change(ChangeKind.CONTACT_DELETED, contact_id, state.when("contact", contact_id, "deleted"))
        )
    return changes


def state_changes(state: LeadState) -> list[Change]:
    """Everything the batch changed, from the rows' values before and after it. Listed so that a
    stable sort by time reads naturally: a lead is created, then its message, then the opt-out."""
    contacts = [
        change
        for contact_id in state.contacts
        if ("contact", contact_id) in state.touched
        for change in contact_changes(state, contact_id)
    ]
    created = [change for change in contacts if change.kind is ChangeKind.CONTACT_CREATED]
    updated = [change for change in contacts if change.kind is not ChangeKind.CONTACT_CREATED]
    return [*created, *message_changes(state), *updated, *record_changes(state)]

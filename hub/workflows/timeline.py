"""A dry run's result: the timeline, and how audit items become its entries (hub.workflows.simulate).

Entries come from the same audit trail a real run writes (hub.sending.audit), so the timeline says
what the engine decided, in its words: the guard and the reason of every deferral and skip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.workflows.dry_run_ghl import RecordedCall


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One moment of the timeline. `kind`: enrolled, sent, deferred, skipped, failed, uncertain,
    action, waiting, event, on_hold, resumed, exited, completed, not_enrolled, stopped."""

    at: datetime
    kind: str
    summary: str
    step_id: str | None = None
    channel: str | None = None
    guard: str | None = None
    reason: str | None = None
    until: datetime | None = None
    content: dict[str, str] | None = None  # what the lead (or agent) would get: body, subject, title


@dataclass(frozen=True, slots=True)
class Timeline:
    workflow_id: str
    contact_id: str
    start: datetime
    end: datetime
    zone: str  # times are shown in this zone
    lead_zones: tuple[str, ...]  # where quiet hours are enforced (all of them)
    lead_zone_basis: str
    status: str  # the enrollment's status at the end (or "not_enrolled")
    exit_reason: str | None
    entries: tuple[TimelineEntry, ...]
    ghl_calls: tuple[RecordedCall, ...]  # what GHL would have been asked to do (nothing was)
    notes: tuple[str, ...] = ()

    def of_kind(self, kind: str) -> list[TimelineEntry]:
        return [entry for entry in self.entries if entry.kind == kind]

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.zone))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: datetimes as ISO strings with their offset in `zone`."""

        def convert(value: Any) -> Any:
            if isinstance(value, datetime):
                return self.local(value).isoformat()
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [convert(v) for v in value]
            return value

        return convert(asdict(self))  # type: ignore[no-any-return]


def describe(data: Mapping[str, Any]) -> str:
    """Fields as ` (k='v', ...)`, cut short: for one-line summaries."""
    if not data:
        return ""
    shown = ", ".join(f"{k}={v!r}" for k, v in data.items())
    return f" ({shown[:120]})"


def fmt(moment: datetime | None, zone: ZoneInfo) -> str:
    """A moment as people read it in `zone`: "Fri 2026-09-11 08:00 PDT"."""
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") if moment else "an event"


def entry_for(
    kind: str, p: dict[str, Any], calls: Mapping[str, RecordedCall], zone: ZoneInfo
) -> TimelineEntry | None:
    """The entry for one audit item (`kind`, payload `p`); None for kinds a timeline leaves out.
    `calls` (by GHL id) supply what a send would have said."""
    at = datetime.fromisoformat(p["at"])
    step, channel, guard, reason = p.get("step_id"), p.get("channel"), p.get("guard"), p.get("reason")
    until = datetime.fromisoformat(p["until"]) if p.get("until") else None
    label = {"call_task": "call task", None: "message"}.get(channel, channel)
    simple = {
        "workflow_enrolled": ("enrolled", f"enrolled in {p.get('workflow_id')} v{p.get('workflow_version')}"),
        "workflow_enrollment_skipped": ("not_enrolled", f"not enrolled in {p.get('workflow_id')}: {reason}"),
        "workflow_on_hold": ("on_hold", f"on hold for an agent: {reason}"),
        "workflow_resumed": ("resumed", f"resumed by {p.get('by')}"),
        "workflow_exited": ("exited", f"exited: {reason}"),
        "workflow_completed": ("completed", f"completed: {reason}"),
        "workflow_failed": ("failed", f"failed: {reason}"),
        "workflow_send_suppressed": ("skipped", f"{label} skipped by {guard}: {reason}"),
        "workflow_send_failed": ("failed", f"{label} refused by GHL: {reason}"),
        "workflow_send_unknown": ("uncertain", f"{label} outcome unknown: {reason}"),
        "agent_notified": ("action", f"agent notified: {p.get('message')}"),
    }
    if kind in simple:
        entry_kind, summary = simple[kind]
        return TimelineEntry(at, entry_kind, summary, step, channel, guard, reason)
    if kind == "workflow_send_deferred":
        summary = f"{label} deferred to {fmt(until, zone)} by {guard}: {reason}"
        return TimelineEntry(at, "deferred", summary, step, channel, guard, reason, until)
    if kind == "workflow_send":
        call = calls.get(str(p.get("ghl_id")))
        content = _content(call) if call else None
        notes = "; ".join(p.get("notes") or [])
        summary = f"{label} sent" + (f" ({notes})" if notes else "")
        return TimelineEntry(at, "sent", summary, step, channel, reason=notes or None, content=content)
    if kind == "workflow_step":
        action = p.get("action") or "step"
        detail = {k: v for k, v in p.items() if k not in ("at", "step_id", "enrollment_id", "action")}
        failed = p.get("outcome") == "error"
        return TimelineEntry(at, "failed" if failed else "action", f"{action}{describe(detail)}", step)
    return None


def _content(call: RecordedCall) -> dict[str, str]:
    body = call.body
    if "message" in body:
        return {"body": str(body["message"])}
    if "html" in body:
        return {"subject": str(body.get("subject", "")), "html": str(body["html"])}
    picked = {k: str(body[k]) for k in ("title", "body", "dueDate", "assignedTo") if body.get(k) is not None}
    return picked

"""Guard 1, quiet hours: send only inside every applicable window, in the lead's local time.

The allowed local window is the intersection of: the federal 08:00-21:00; each applicable state's
stricter window (state_rules.py); the location's own quiet hours (they can only narrow it); the
workflow's send window and days (a preference, also applied to email). Email is held to the calling
windows only when the location opted in. A lead with several candidate zones (lead_timezone.py) must
be inside the window in all of them.

A send due in quiet hours is deferred to the first allowed minute, never dropped and never early:
`next_allowed` returns `now` itself when allowed, else the earliest later instant that every zone
allows. That instant is always the start of some zone's window (or day), so only those boundaries
need checking, each converted through zoneinfo, which gets DST days right (a 23- or 25-hour day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.compliance.decisions import Channel, Defer, Suppress
from hub.compliance.lead_timezone import LeadZones
from hub.compliance.state_rules import rules_for

# A window that is still closed this far ahead never opens (e.g. a workflow window outside the
# state's hours): that is a configuration error to show, not a deferral.
SEARCH_DAYS = 8
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Interval:
    """Allowed local times [start, end); wraps past midnight when start > end; start == end: any."""

    start: time
    end: time
    label: str

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True, slots=True)
class SendWindow:
    """Every constraint on the send time, and the zones it must hold in."""

    zones: tuple[str, ...]
    intervals: tuple[Interval, ...]
    days: frozenset[int] | None  # allowed weekdays (Monday = 0); None = every day
    basis: str

    def allows(self, instant: datetime) -> bool:
        """True when `instant` is inside every interval (and an allowed day) in every zone."""
        for zone in self.zones:
            local = instant.astimezone(ZoneInfo(zone))
            if self.days is not None and local.weekday() not in self.days:
                return False
            if not all(interval.contains(local.time()) for interval in self.intervals):
                return False
        return True

    def describe(self) -> str:
        parts = [f"{i.label} {i.start:%H:%M}-{i.end:%H:%M}" for i in self.intervals]
        if self.days is not None:
            parts.append("days " + ",".join(WEEKDAYS[d] for d in sorted(self.days)))
        return "; ".join(parts)


def send_window(
    channel: Channel,
    lead: LeadZones,
    *,
    location_quiet_start: time,
    location_quiet_end: time,
    email_quiet_hours: bool,
    workflow_window: Interval | None = None,
    workflow_days: frozenset[int] | None = None,
) -> SendWindow | None:
    """The window for one send; None when nothing restricts the time (email, no opt-in, no window)."""
    intervals: list[Interval] = []
    if channel != "Email" or email_quiet_hours:
        states = lead.states if channel != "Email" else ()
        intervals += [Interval(rule.start, rule.end, rule.name) for rule in rules_for(states)]
        # The location's quiet hours run start -> end; the allowed part is end -> start.
        intervals.append(Interval(location_quiet_end, location_quiet_start, "location"))
    if workflow_window is not None:
        intervals.append(workflow_window)
    if not intervals and workflow_days is None:
        return None
    return SendWindow(lead.zones, tuple(intervals), workflow_days, lead.basis)


def next_allowed(window: SendWindow, now: datetime) -> datetime | None:
    """`now` if allowed, else the earliest later allowed instant; None if none within SEARCH_DAYS."""
    if window.allows(now):
        return now
    boundaries = {i.start for i in window.intervals} | {time(0, 0)}
    candidates: set[datetime] = set()
    for zone_name in window.zones:
        zone = ZoneInfo(zone_name)
        first_day = now.astimezone(zone).date()
        for offset in range(SEARCH_DAYS + 1):
            day = first_day + timedelta(days=offset)
            for boundary in boundaries:
                candidate = _instant(day, boundary, zone)
                if candidate > now:
                    candidates.add(candidate)
    return next((c for c in sorted(candidates) if window.allows(c)), None)


def check_quiet_hours(window: SendWindow | None, now: datetime) -> Defer | Suppress | None:
    """Guard 1: None when the send may go now, else a deferral to the next allowed minute."""
    if window is None:
        return None
    until = next_allowed(window, now)
    if until is None:
        return Suppress(
            "quiet_hours",
            f"no time in the next {SEARCH_DAYS} days satisfies every window ({window.describe()}) "
            f"in {', '.join(window.zones)}; widen the workflow's send_window or days",
        )
    if until == now:
        return None
    local_now = ", ".join(f"{now.astimezone(ZoneInfo(z)):%a %H:%M} {z}" for z in window.zones)
    local_until = ", ".join(f"{until.astimezone(ZoneInfo(z)):%a %Y-%m-%d %H:%M} {z}" for z in window.zones)
    return Defer(
        until,
        "quiet_hours",
        f"{local_now} is outside the allowed window ({window.describe()}; lead zone from "
        f"{window.basis}); deferred to {local_until}",
    )


def _instant(day: date, moment: time, zone: ZoneInfo) -> datetime:
    # fold=0 picks the first of a repeated local time; a local time skipped by DST maps past the
    # gap, and `allows` re-checks every candidate, so a boundary can never make a send early.
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)

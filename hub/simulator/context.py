"""Shared state of one run's storytelling, the clock of who does what when, and CRM-side changes.

Times are epoch milliseconds. Simulated day t covers [start + t·24h, start + (t+1)·24h) in UTC; an
event the latent process produces on day t always falls inside it (the oracle relies on that).
Inside the day, people act at plausible *local* hours: leads mostly 7:00–23:00 in their own time
zone, agents 8:00–20:00 in the office's; a local time is wrapped into the UTC day.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from hub.simulator import payloads
from hub.simulator.delivery import Route, Timeline
from hub.simulator.geography import utc_offset_ms
from hub.simulator.identifiers import Draws, iso_ms
from hub.simulator.lead_file import LeadFile
from hub.simulator.leads import Leads
from hub.simulator.listings import ListingIndex
from hub.simulator.world import World

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
_LEAD_HOURS = list(
    itertools.accumulate((1, 1, 0.3, 0.2, 0.2, 0.4, 1, 2, 4, 5, 6, 6, 7, 7, 6, 6, 7, 8, 9, 10, 10, 9, 6, 3))
)
_AGENT_HOURS = list(
    itertools.accumulate((0, 0, 0, 0, 0, 0, 0.2, 1, 5, 8, 9, 9, 8, 8, 9, 9, 8, 7, 5, 3, 1.5, 0.5, 0.1, 0))
)


@dataclass(slots=True)
class Context:
    """Everything the story modules share: world, leads, random stream, timeline, lead files."""

    world: World
    leads: Leads
    draws: Draws
    timeline: Timeline
    start_ms: int
    days: int
    new_share: float
    indexes: list[ListingIndex]
    files: list[LeadFile | None]

    @property
    def end_ms(self) -> int:
        """End of the window (exclusive)."""
        return self.start_ms + self.days * DAY_MS

    def day_start(self, day: int) -> int:
        """Start of simulated day `day`."""
        return self.start_ms + day * DAY_MS

    def _moment(self, day: int, zone: str, hours: list[float], not_before: int | None) -> int:
        start = self.day_start(day)
        hour = bisect.bisect_right(hours, self.draws.random() * hours[-1])
        local = hour * HOUR_MS + int(self.draws.random() * HOUR_MS)
        ms = start + (local - utc_offset_ms(zone, start)) % DAY_MS
        if not_before is not None and ms <= not_before:
            # Squeeze into what is left of the day, keeping the event inside day `day`.
            room = start + DAY_MS - not_before - 2
            ms = not_before + 1 + int(self.draws.random() * max(room, 0))
        return ms

    def lead_moment(self, i: int, day: int, not_before: int | None = None) -> int:
        """When lead i does something on `day` (local waking hours; after `not_before` if given)."""
        if not_before is None and day == self.leads.arrival_day[i]:
            not_before = int(self.leads.created_ms[i])
        return self._moment(day, self.leads.timezone[i], _LEAD_HOURS, not_before)

    def agent_moment(self, rec: LeadFile, day: int, not_before: int | None = None) -> int:
        """When the lead's agent (or office) does something on `day` (office hours)."""
        if not_before is None and day == self.leads.arrival_day[rec.index]:
            not_before = rec.date_added_ms
        return self._moment(day, rec.location.timezone, _AGENT_HOURS, not_before)

    def emit(self, ms: int, payload: payloads.Payload, rec: LeadFile, route: Route = "ghl") -> bool:
        """Queue a payload about `rec` for delivery at event time `ms` (dropped after the window)."""
        return self.timeline.add(ms, payload, rec.location.id, route)

    def new_shape(self) -> bool:
        """Whether this message event uses the 2026 payload shape (from/to, messageTypeId)."""
        return self.draws.random() < self.new_share


def tag(ctx: Context, rec: LeadFile, label: str, ms: int) -> None:
    """Add a tag; GHL sends ContactTagUpdate with the full tag list (no diff, ghl-api.md §1.4)."""
    if rec.add_tag(label):
        ctx.emit(ms, payloads.contact("ContactTagUpdate", rec), rec)


def untag(ctx: Context, rec: LeadFile, label: str, ms: int) -> None:
    """Remove a tag (ContactTagUpdate with the remaining list)."""
    if label in rec.tags:
        rec.tags.remove(label)
        ctx.emit(ms, payloads.contact("ContactTagUpdate", rec), rec)


def set_dnd(ctx: Context, rec: LeadFile, channel: str, on: bool, ms: int, actor: str) -> None:
    """Flip one channel's DND and send ContactDndUpdate, stamped like real ones (ISS-264)."""
    if channel == "SMS":
        rec.sms_dnd = on
    else:
        rec.email_dnd = on
    rec.dnd_stamps[channel] = f"Updated by '{actor}' at {iso_ms(ms)[:19]}Z"
    ctx.emit(ms, payloads.dnd_update(rec), rec)


def move_stage(ctx: Context, rec: LeadFile, stage: str, ms: int) -> None:
    """Move the opportunity to `stage` (OpportunityStageUpdate carries the stage UUID only)."""
    if rec.stage != stage:
        rec.stage = stage
        ctx.emit(ms, payloads.opportunity("OpportunityStageUpdate", rec, rec.date_added_ms), rec)


def advance_stage(ctx: Context, rec: LeadFile, stage: str, ms: int) -> None:
    """Move forward only: agents do not pull a deal back to an earlier stage."""
    pipeline = rec.pipeline
    if rec.stage == "Nurture" or pipeline.stage(stage).position > pipeline.stage(rec.stage).position:
        move_stage(ctx, rec, stage, ms)

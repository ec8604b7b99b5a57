"""What a guard decides about one send: allow it, defer it to a later minute, or suppress it.

Every Defer and Suppress names the guard (COMPLIANCE.md number and name) and says, in words an
auditor or an agent can act on, which rule and which data decided it (guard 10).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

GuardName = Literal[
    "reachability", "dnd", "opt_out", "consent", "takeover", "first_message", "quiet_hours", "frequency"
]
Channel = Literal["SMS", "Email", "call_task"]
"""The channels the guards know: GHL's message types, plus call tasks (a human will dial)."""


@dataclass(frozen=True, slots=True)
class Defer:
    """Not now: try again at `until` (the next minute every guard allows), never earlier."""

    until: datetime
    guard: GuardName
    reason: str


@dataclass(frozen=True, slots=True)
class Suppress:
    """Not this send. `failover_ok`: another channel of the same step may still be tried (the block
    is about this channel only, e.g. SMS DND or no phone), which is never true for a takeover."""

    guard: GuardName
    reason: str
    failover_ok: bool = False


@dataclass(frozen=True, slots=True)
class Allow:
    """Send now; `notes` records what the guards changed or relied on (e.g. opt-out wording added)."""

    notes: tuple[str, ...] = field(default=())


Decision = Allow | Defer | Suppress

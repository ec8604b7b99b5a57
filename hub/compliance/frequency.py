"""Guard 6, frequency caps: at most N sends per contact per channel per rolling 24 hours.

The cap is the smaller of the location's (policy.py, at most MAX_DAILY_CAP) and the workflow's; on
top, Florida, Oklahoma and Maryland allow at most 3 marketing texts + calls per 24 h in total
(state_rules.py). A capped send is deferred until enough earlier sends age out of the window, never
dropped. Sends counted: every ledger row that is or may be a send (sent, reserved, unknown), across
all workflows of the location: a message of uncertain outcome counts, because it may have arrived.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.compliance.decisions import Channel, Defer
from hub.compliance.state_rules import CallingRule

WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class PastSend:
    """A send to the contact that counts against caps (from the send ledger)."""

    channel: Channel
    at: datetime


def check_frequency(
    channel: Channel,
    now: datetime,
    past: Sequence[PastSend],
    cap: int,
    state_rule: CallingRule | None,
) -> Defer | None:
    """Guard 6: None when under every cap, else a deferral to when the window has room again."""
    recent = [p for p in past if now - WINDOW < p.at <= now]
    own = sorted(p.at for p in recent if p.channel == channel)
    deferrals: list[Defer] = []
    if len(own) >= cap:
        until = own[len(own) - cap] + WINDOW
        deferrals.append(
            Defer(until, "frequency", f"{len(own)} {channel} sends in the last 24 h reach the cap of {cap}")
        )
    if state_rule is not None and state_rule.max_per_24h and channel in ("SMS", "call_task"):
        calls = sorted(p.at for p in recent if p.channel in ("SMS", "call_task"))
        limit = state_rule.max_per_24h
        if len(calls) >= limit:
            until = calls[len(calls) - limit] + WINDOW
            deferrals.append(
                Defer(
                    until,
                    "frequency",
                    f"{len(calls)} texts/calls in the last 24 h reach {state_rule.name}'s limit of "
                    f"{limit} ({state_rule.source})",
                )
            )
    return max(deferrals, key=lambda d: d.until) if deferrals else None

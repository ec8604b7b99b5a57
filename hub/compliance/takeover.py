"""Guard 7 at send time: once a human conversation starts, automation stops talking.

market.md complaint 2 is automation that keeps texting after the lead replied or an agent stepped
in. Enrollments are exited or put on hold when the reply arrives (hub.workflows.enrollment); this
guard is the last line: whatever the workflow says, no automated SMS or email goes to a contact who
replied, or whom an agent messaged by hand, since the enrollment started (or since an agent resumed
it; a message at that very instant counts). Call tasks still go through: they hand the lead to a human.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hub.compliance.decisions import Channel, Suppress

# OutboundMessage `source` values written by automation vs typed by a person (ghl-api.md §1.4).
AUTOMATION_SOURCES = frozenset({"api", "workflow", "bulk_actions", "campaign", "automation"})
AGENT_SOURCES = frozenset({"app", "mobile_app", "user"})


@dataclass(frozen=True, slots=True)
class HumanActivity:
    """The latest sign of a human conversation: an inbound message or an agent's manual one."""

    at: datetime
    kind: str  # "inbound SMS reply", "agent message (Email)", ...


def check_takeover(channel: Channel, latest: HumanActivity | None, since: datetime) -> Suppress | None:
    """Suppress an automated message when a human conversation happened at or after `since`."""
    if channel == "call_task" or latest is None or latest.at < since:
        return None
    return Suppress(
        "takeover",
        f"{latest.kind} at {latest.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, after automation for this "
        f"enrollment started or resumed ({since.astimezone(UTC):%Y-%m-%d %H:%M} UTC); an agent must "
        "resume the enrollment before it messages the lead again",
    )

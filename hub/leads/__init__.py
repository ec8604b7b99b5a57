"""Lead state: fold domain events into contacts, messages, appointments, opportunities and listing
interactions, in event-time order and idempotently (the rule is in hub.leads.apply).

    from hub.leads import apply_events, ApplyResult, Change, ChangeKind
"""

from __future__ import annotations

from hub.leads.apply import apply_events
from hub.leads.changes import ApplyResult, Change, ChangeKind

__all__ = ["ApplyResult", "Change", "ChangeKind", "apply_events"]

"""Guard 2, DND: never send on a channel whose Do-Not-Disturb is on.

GHL has an all-channel `dnd` switch and per-channel `dndSettings.<channel>.status`, where `active`
and `permanent` block (ghl-api.md §4.3). The guard runs twice: on the latest state we hold (the
contact row folded from ContactDndUpdate webhooks), and on a fresh GET /contacts/{id} just before an
SMS or email goes out, because webhooks arrive late or not at all (inbound-DND changes never fire
one, ISS-264) and search results omit `dndSettings` (ISS-43).
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.compliance.decisions import Channel, Suppress
from hub.ghl.models import DND_BLOCKING
from hub.ghl.models import Channel as GHLChannel
from hub.ghl.models import Contact as GHLContact

# The GHL `dndSettings` key that governs each of our channels; a call task is a phone call.
DND_KEY: dict[Channel, GHLChannel] = {"SMS": "SMS", "Email": "Email", "call_task": "Call"}


def check_dnd(channel: Channel, dnd: bool, dnd_channels: Mapping[str, str]) -> Suppress | None:
    """Guard 2 on the stored state: suppress when the contact's DND blocks `channel`."""
    if dnd:
        return Suppress("dnd", "the contact's all-channel DND is on (dnd = true)", failover_ok=False)
    key = DND_KEY[channel]
    status = str(dnd_channels.get(key) or "").lower()
    if status in DND_BLOCKING:
        return Suppress("dnd", f"DND for {key} is {status} on the contact", failover_ok=True)
    return None


def check_fresh_dnd(channel: Channel, contact: GHLContact) -> Suppress | None:
    """Guard 2 on GHL's answer to GET /contacts/{id}, read right before the send."""
    key = DND_KEY[channel]
    if contact.dnd:
        return Suppress("dnd", "GHL reports all-channel DND on (fresh check before sending)")
    if contact.is_dnd(key):
        return Suppress("dnd", f"GHL reports DND for {key} active (fresh check before sending)", True)
    return None

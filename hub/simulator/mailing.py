"""Outbound e-mail and the LCEmailStats events that report what happened to it.

LCEmailStats is a Mailgun-style event wrapped in `webhookPayload` (its doc page in
GoHighLevel/highlevel-api-docs): it names the recipient address and the e-mail's message-id, never
the contact, so a receiver must map it back itself. Opens and clicks depend on the lead's latent
state (opens include some machine opens, so they are a noisy signal); a hard bounce or an
unsubscribe turns e-mail DND on (ghl-api.md §4.3).
"""

from __future__ import annotations

from hub.simulator import payloads
from hub.simulator.context import Context, set_dnd
from hub.simulator.latent import COLD, OPTED_OUT
from hub.simulator.lead_file import LeadFile

MINUTE_MS = 60_000
_OPEN = (0.12, 0.30, 0.50, 0.60, 0.03, 0.10, 0.03)  # P(opened | state), incl. machine opens
_CLICK = (0.05, 0.20, 0.35, 0.45, 0.0, 0.05, 0.0)  # P(clicked | opened, state)
_FLAGS = {
    "is-authenticated": True,
    "is-routed": False,
    "is-big": False,
    "is-system-test": False,
    "is-test-mode": False,
}


class Mailing:
    """Writes outbound e-mails and their delivery statistics into the timeline."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def stat(self, rec: LeadFile, event: str, ms: int, message_id: str, url: str | None = None) -> None:
        """Emit one LCEmailStats event (delivered / failed / opened / clicked / unsubscribed)."""
        world, location = self.ctx.world, rec.location
        domain = rec.email.split("@", 1)[1]
        stats: payloads.Payload = {
            "event": event,
            "id": self.ctx.draws.ghl_id(),
            "timestamp": ms // 1000,
            "flags": dict(_FLAGS),
            "message": {
                "attachments": [],
                "headers": {
                    "message-id": message_id,
                    "from": f"{rec.agent.name} <{rec.agent.email}>",
                    "to": rec.email,
                },
                "size": 1_725,
            },
            "log-level": "error" if event == "failed" else "info",
            "recipient": rec.email,
            "recipient-domain": domain,
            "tags": [f"loc_{location.id}", f"com_{world.company_id}", "et_other"],
            "recipient-provider": "Other",
            "campaigns": [],
        }
        if event in ("delivered", "failed"):
            ok = event == "delivered"
            stats["delivery-status"] = {
                "attempt-no": 1,
                "code": 250 if ok else 550,
                "message": "OK" if ok else "No such user",
                "description": "",
                "session-seconds": 0.087,
                "enhanced-code": "" if ok else "5.1.1",
                "mx-host": f"mx.{domain}",
                "utf8": True,
                "i-first-delivery-attempt-seconds": 0.047,
            }
            stats["envelope"] = {
                "sender": location.email,
                "targets": rec.email,
                "transport": "smtp",
                "sending-ip": "198.51.100.23",
                "i-ip-pool-id": world.version_id,
                "i-ip-pool-name": "shared",
            }
        if url is not None:
            stats["url"] = url
        body = {
            "type": "LCEmailStats",
            "locationId": location.id,
            "companyId": world.company_id,
            "webhookPayload": stats,
        }
        self.ctx.emit(ms, body, rec)

    def send(self, rec: LeadFile, ms: int, subject: str, html: str, source: str, state: int) -> None:
        """An outbound e-mail (OutboundMessage) and what happens to it afterwards."""
        if not rec.email or rec.email_dnd:
            return
        draws = self.ctx.draws
        email_id = draws.ghl_id()
        fields = payloads.email_fields(
            rec, inbound=False, subject=subject, email_message_id=email_id, thread_id=email_id
        )
        message = payloads.message(
            rec,
            ms,
            inbound=False,
            channel="Email",
            body=html,
            message_id=email_id,
            new_shape=self.ctx.new_shape(),
            status="sent",
            user_id=rec.agent.id if source == "app" else None,
            source=source,
            email=fields,
        )
        if not self.ctx.emit(ms, message, rec):
            return
        at = ms + 2_000 + draws.exponential_ms(5_000.0)
        if draws.chance(0.02):  # a hard bounce
            self.stat(rec, "failed", at, email_id)
            set_dnd(self.ctx, rec, "Email", True, at + 1_500, "System")
            return
        self.stat(rec, "delivered", at, email_id)
        if draws.chance(_OPEN[state]):
            at += draws.lognormal_ms(90 * MINUTE_MS, 1.3)
            self.stat(rec, "opened", at, email_id)
            if draws.chance(_CLICK[state]):
                at += draws.lognormal_ms(MINUTE_MS, 1.0)
                self.stat(rec, "clicked", at, email_id, url=f"{rec.location.website}/search?area={rec.area}")
        if state in (COLD, OPTED_OUT) and draws.chance(0.015):
            self.unsubscribe(rec, at + draws.lognormal_ms(30 * MINUTE_MS, 1.0), email_id)

    def unsubscribe(self, rec: LeadFile, ms: int, message_id: str) -> None:
        """The lead clicks the unsubscribe link: LCEmailStats `unsubscribed`, then e-mail DND on."""
        self.stat(rec, "unsubscribed", ms, message_id)
        set_dnd(self.ctx, rec, "Email", True, ms + 1_200, "System")

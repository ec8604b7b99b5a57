"""Messages between a lead and the brokerage: SMS, calls, STOP and START (e-mail: `mailing.py`).

Inbound messages come only from the latent process (one InboundMessage per Poisson count, plus
the opt-out / opt-in messages that mark STOP and START transitions). Outbound traffic is the
agents' and the office's: autoresponders, first touch, replies, follow-ups and drip e-mails.
GHL blocks sends on a DND channel (ghl-api.md §4.3), so no outbound SMS appears while SMS DND is on
— but a free-text "stop texting me" sets no DND, and agents keep texting until someone notices.
"""

from __future__ import annotations

from hub.simulator import payloads
from hub.simulator.context import Context, advance_stage, set_dnd, tag, untag
from hub.simulator.deals import Deals
from hub.simulator.latent import HOT
from hub.simulator.lead_file import LeadFile
from hub.simulator.listings import Taste
from hub.simulator.mailing import Mailing
from hub.simulator.texts import (
    AGENT_REPLIES,
    AUTORESPONDER,
    BUYER_SMS,
    CALL_NOTES,
    DRIP_SUBJECTS,
    EMAIL_REPLIES,
    FIRST_TOUCH,
    FOLLOW_UPS,
    SELLER_SMS,
    START_KEYWORDS,
    STOP_KEYWORDS,
    STOP_PHRASES,
    VOICEMAIL_NOTES,
    fill,
)

_ANSWER = (0.12, 0.30, 0.50, 0.65, 0.04, 0.20, 0.05)  # P(an agent's call is picked up | state)
MINUTE_MS = 60_000


class Conversation:
    """Writes the message traffic of every lead into the timeline."""

    def __init__(self, ctx: Context, deals: Deals) -> None:
        self.ctx, self.deals = ctx, deals
        self.mailing = Mailing(ctx)

    def _values(self, rec: LeadFile, day: int) -> dict[str, str]:
        values = rec.placeholders()
        taste = self.taste(rec)
        listing = taste.liked(day, self.ctx.draws.random())
        if listing is not None:
            values["address"] = listing.unparsed_address
        return values

    def taste(self, rec: LeadFile) -> Taste:
        """The lead's listing taste (built on first use: most leads never need it)."""
        if rec.taste is None:
            leads = self.ctx.leads
            i = rec.index
            rec.taste = Taste(
                self.ctx.indexes[int(leads.location[i])],
                float(leads.budget[i]),
                int(leads.beds[i]),
                int(leads.property_kind[i]),
                leads.markets[i],
            )
        return rec.taste

    # ---- outbound -------------------------------------------------------------------------------
    def sms_out(self, rec: LeadFile, ms: int, text: str, source: str = "app") -> bool:
        """An outbound SMS; nothing is sent without a phone or while SMS DND is on."""
        if not rec.phone or rec.sms_dnd:
            return False
        user = rec.agent.id if source == "app" else None
        sent = self.ctx.emit(
            ms,
            payloads.message(
                rec,
                ms,
                inbound=False,
                channel="SMS",
                body=text,
                message_id=self.ctx.draws.ghl_id(),
                new_shape=self.ctx.new_shape(),
                status="delivered",
                user_id=user,
                source=source,
            ),
            rec,
        )
        if sent and source == "app" and not rec.contacted:
            rec.contacted = True
            advance_stage(self.ctx, rec, "Contacted", ms + 2_000)
        return sent

    def call_out(self, rec: LeadFile, ms: int, state: int) -> None:
        """An agent's call: answered (maybe a note and a task) or voicemail."""
        if not rec.phone:
            return
        draws = self.ctx.draws
        answered = draws.chance(_ANSWER[state])
        seconds = max(20, draws.lognormal_ms(200, 0.8)) if answered else draws.integer(0, 35)
        status = "completed" if answered else "voicemail"
        self.ctx.emit(
            ms,
            payloads.message(
                rec,
                ms,
                inbound=False,
                channel="CALL",
                body="",
                message_id=draws.ghl_id(),
                new_shape=self.ctx.new_shape(),
                status=status,
                user_id=rec.agent.id,
                source="app",
                call_seconds=seconds,
            ),
            rec,
        )
        if not rec.contacted:
            rec.contacted = True
            advance_stage(self.ctx, rec, "Contacted", ms + seconds * 1000 + 3_000)
        after = ms + seconds * 1000 + draws.lognormal_ms(4 * MINUTE_MS, 0.8)
        if answered and draws.chance(0.7):
            self.deals.note(rec, after, fill(draws.choice(CALL_NOTES), rec.placeholders()))
            if draws.chance(0.3):
                self.deals.task(rec, after + 30_000)
        elif not answered and draws.chance(0.3):
            self.deals.note(rec, after, fill(draws.choice(VOICEMAIL_NOTES), rec.placeholders()))

    def first_touch(self, rec: LeadFile, state: int, response_ms: int) -> None:
        """The office's instant autoresponder and the agent's first human response (speed-to-lead)."""
        draws, created = self.ctx.draws, rec.date_added_ms
        values = rec.placeholders()
        if rec.location.uses_autoresponder:
            at = created + 5_000 + draws.exponential_ms(20_000.0)
            if not self.sms_out(rec, at, fill(draws.choice(AUTORESPONDER), values), source="workflow"):
                self.mailing.send(
                    rec,
                    at,
                    f"Thanks for contacting {rec.location.name}",
                    f"<p>Hi {values['first']}, an agent will be in touch shortly.</p>",
                    "workflow",
                    state,
                )
        if response_ms < 0:
            return  # the agent never picked this lead up
        at = created + max(response_ms, 30_000)
        if rec.phone and draws.chance(rec.agent.call_share):
            self.call_out(rec, at, state)
        elif not self.sms_out(rec, at, fill(draws.choice(FIRST_TOUCH), values)):
            self.mailing.send(
                rec,
                at,
                f"Your home search in {rec.area}",
                f"<p>Hi {values['first']}, I'm {values['agent_first']}. How can I help?</p>",
                "app",
                state,
            )

    def follow_up(self, rec: LeadFile, day: int, state: int, ms: int) -> None:
        """A proactive touch from the agent: a call, a text or an e-mail."""
        draws = self.ctx.draws
        if rec.phone and draws.chance(rec.agent.call_share):
            self.call_out(rec, ms, state)
            return
        text = fill(draws.choice(FOLLOW_UPS), self._values(rec, day))
        if not self.sms_out(rec, ms, text):
            self.mailing.send(
                rec, ms, f"Checking in, {rec.first_name or 'there'}", f"<p>{text}</p>", "app", state
            )

    def drip(self, rec: LeadFile, state: int, ms: int) -> None:
        """A campaign e-mail (listing alert / market report)."""
        values = rec.placeholders()
        subject = fill(self.ctx.draws.choice(DRIP_SUBJECTS), values)
        self.mailing.send(
            rec,
            ms,
            subject,
            f"<html><body><h2>{subject}</h2><p>See the latest homes.</p></body></html>",
            "campaign",
            state,
        )

    # ---- inbound --------------------------------------------------------------------------------
    def inbound(
        self,
        rec: LeadFile,
        ms: int,
        channel: str,
        body: str,
        *,
        seconds: int | None = None,
        email: payloads.Payload | None = None,
        status: str = "delivered",
    ) -> None:
        """An InboundMessage from the lead."""
        self.ctx.emit(
            ms,
            payloads.message(
                rec,
                ms,
                inbound=True,
                channel=channel,
                body=body,
                message_id=self.ctx.draws.ghl_id(),
                new_shape=self.ctx.new_shape(),
                status=status,
                call_seconds=seconds,
                email=email,
            ),
            rec,
        )

    def engaged(self, rec: LeadFile, ms: int, day: int) -> None:
        """Bookkeeping after any inbound engagement: stage, details shared with the agent."""
        first_time = not rec.engaged
        rec.engaged, rec.last_engaged_day = True, day
        self.deals.reopen(rec, ms + 50_000)
        if rec.stage == "Nurture" or (first_time and not rec.seller):
            advance_stage(self.ctx, rec, "Contacted" if rec.seller else "Engaged", ms + 60_000)
            if rec.nurtured:
                rec.nurtured = False
                untag(self.ctx, rec, "nurture", ms + 61_000)
        if first_time and self.ctx.draws.chance(0.5):
            self.deals.share_details(rec, ms + self.ctx.draws.lognormal_ms(45 * MINUTE_MS, 1.0))

    def sms_in(self, rec: LeadFile, day: int, state: int, ms: int) -> None:
        """A text from the lead, and maybe the agent's reply."""
        draws = self.ctx.draws
        bank = SELLER_SMS if rec.seller else BUYER_SMS
        self.inbound(rec, ms, "SMS", fill(draws.choice(bank[min(state, HOT)]), self._values(rec, day)))
        self.engaged(rec, ms, day)
        if draws.chance(rec.agent.reply_rate):
            reply_at = ms + draws.lognormal_ms(rec.agent.median_reply_min * MINUTE_MS, 1.0)
            self.sms_out(rec, reply_at, fill(draws.choice(AGENT_REPLIES), rec.placeholders()))

    def email_in(self, rec: LeadFile, day: int, state: int, ms: int) -> None:
        """An e-mail from the lead, and maybe the agent's answer."""
        draws = self.ctx.draws
        email_id = draws.ghl_id()
        subject = f"Re: Homes in {rec.area}"
        fields = payloads.email_fields(
            rec, inbound=True, subject=subject, email_message_id=email_id, thread_id=draws.ghl_id()
        )
        text = fill(draws.choice(EMAIL_REPLIES[min(state, HOT)]), self._values(rec, day))
        self.inbound(rec, ms, "Email", text, email=fields)
        self.engaged(rec, ms, day)
        if draws.chance(rec.agent.reply_rate * 0.8):
            reply_at = ms + draws.lognormal_ms(rec.agent.median_reply_min * 3 * MINUTE_MS, 1.0)
            self.mailing.send(rec, reply_at, subject, "<p>Thanks! Happy to help.</p>", "app", state)

    def call_in(self, rec: LeadFile, day: int, state: int, ms: int) -> None:
        """The lead calls the office: answered, or a voicemail when the agent misses it."""
        draws = self.ctx.draws
        if draws.chance(0.6):
            self.inbound(
                rec, ms, "CALL", "", seconds=max(15, draws.lognormal_ms(150, 0.8)), status="completed"
            )
        else:
            self.inbound(rec, ms, "VoiceMail", "", seconds=draws.integer(5, 60), status="voicemail")
        self.engaged(rec, ms, day)

    def stop(self, rec: LeadFile, ms: int) -> None:
        """The lead opts out. Keywords make GHL set SMS DND; free text waits for a human (or nobody)."""
        draws = self.ctx.draws
        rec.sms_opted_out = True
        if not rec.phone:  # an e-mail-only lead opts out through the unsubscribe link
            self.mailing.unsubscribe(rec, ms, draws.ghl_id())
            return
        keyword = draws.chance(0.7)
        text = draws.choice(STOP_KEYWORDS) if keyword else draws.choice(STOP_PHRASES)
        self.inbound(rec, ms, "SMS", text)
        if keyword:
            set_dnd(self.ctx, rec, "SMS", True, ms + 800 + draws.exponential_ms(1_500.0), "System")
        elif draws.chance(0.5):
            set_dnd(
                self.ctx, rec, "SMS", True, ms + draws.lognormal_ms(3 * 60 * MINUTE_MS, 1.0), rec.agent.name
            )
        if draws.chance(0.5):
            tag(self.ctx, rec, "opted-out", ms + draws.lognormal_ms(10 * MINUTE_MS, 1.0))

    def start(self, rec: LeadFile, ms: int) -> None:
        """The lead opts back in (START / UNSTOP); GHL lifts SMS DND."""
        draws = self.ctx.draws
        rec.sms_opted_out = False
        if not rec.phone:
            if rec.email_dnd:
                set_dnd(self.ctx, rec, "Email", False, ms, rec.agent.name)
            return
        self.inbound(rec, ms, "SMS", draws.choice(START_KEYWORDS))
        if rec.sms_dnd:
            set_dnd(self.ctx, rec, "SMS", False, ms + 800 + draws.exponential_ms(1_500.0), "System")

"""One lead's story, a day at a time: arrival, then whatever the latent process says happens today.

`behaviour.py` decides *what* happens (counts per kind, transitions, bookings); this module decides
*when* within the day and turns each happening into events, in time order, so that CRM state
(stage, tags, DND) changes in the order a real account would see it.
"""

from __future__ import annotations

from enum import IntEnum

from hub.simulator.context import Context, tag
from hub.simulator.conversation import Conversation
from hub.simulator.deals import Deals
from hub.simulator.latent import ENGAGEMENT_KINDS
from hub.simulator.lead_file import LeadFile
from hub.simulator.leads import SOURCE_LABELS, SOURCES
from hub.simulator.payloads import contact
from hub.simulator.website import WEBSITE_EVENTS, Website
from hub.simulator.world import TIMELINES


class Transition(IntEnum):
    """What the day's latent move means for the story (the daily engine passes it in)."""

    NONE = 0
    STOPPED = 1  # entered OPTED_OUT: the lead texts STOP (or unsubscribes)
    STARTED = 2  # left OPTED_OUT: the lead texts START
    WON = 3
    LOST = 4


_BUDGET_KNOWN = (0.75, 0.7, 0.3, 0.5, 0.4, 0.5)  # per source: does the lead form carry a budget?
_SMS_INTRO = (
    "Hi, I saw your sign in {area}. Is it still available?",
    "Interested in the open house listing",
    "Hi! Got your number at the open house",
    "Hey, what's the price on the house on {area}?",
)


class Story:
    """Turns the engine's daily decisions into timed events for each lead."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.deals = Deals(ctx)
        self.conversation = Conversation(ctx, self.deals)
        self.website = Website(ctx)

    def arrive(self, i: int, state: int) -> LeadFile:
        """A new lead: ContactCreate (+ the SMS that created it), OpportunityCreate, first touches."""
        ctx, leads, draws = self.ctx, self.ctx.leads, self.ctx.draws
        location = ctx.world.locations[int(leads.location[i])]
        source = int(leads.source[i])
        seller = bool(leads.seller[i])
        markets = leads.markets[i]
        area = location.markets[markets[0]].name
        budget = int(round(leads.budget[i] * draws.between(0.9, 1.1), -4))
        stated = min(3, max(0, int(leads.timeline[i]) + draws.weighted((-1, 0, 1), (0.15, 0.7, 0.15))))
        texted_in = not leads.has_email[i] and draws.chance(0.6)
        fields: dict[str, object] = {}
        if draws.chance(_BUDGET_KNOWN[source]):
            fields["budget"] = str(int(round(budget * draws.between(0.85, 1.15), -4)))
        if draws.chance(0.5):
            fields["beds"] = str(int(leads.beds[i]))
        if draws.chance(0.6):
            fields["areas"] = [area]
        if draws.chance(0.3) and not seller:
            fields["property_type"] = location.custom_fields["property_type"].options[
                int(leads.property_kind[i])
            ]
        if draws.chance(0.4):
            fields["timeline"] = TIMELINES[stated]
        home = location.metro.areas[draws.integer(0, len(location.metro.areas) - 1)]
        local = not leads.relocating[i]
        rec = LeadFile(
            index=i,
            location=location,
            agent=location.agents[int(leads.agent[i])],
            contact_id=leads.contact_id[i],
            conversation_id=draws.ghl_id(),
            opportunity_id=draws.ghl_id(),
            seller=seller,
            first_name="" if texted_in else leads.first_name[i],
            last_name="" if texted_in else leads.last_name[i],
            email=leads.email[i],
            phone=leads.phone[i],
            source=SOURCE_LABELS[source],
            date_added_ms=int(leads.created_ms[i]),
            state=leads.state[i],
            postal_code=home.postal_code if local else leads.postal_code[i],
            city=home.name if local and (seller or draws.chance(0.5)) else "",
            address1=f"{draws.integer(100, 9899)} {draws.choice(('Oak', 'Elm', 'Pine', 'Lake'))} Dr"
            if seller
            else "",
            timezone=leads.timezone[i]
            if draws.chance(0.7 if SOURCES[source] == "website" else 0.3)
            else None,
            tags=["seller" if seller else "buyer", SOURCES[source].replace("_", "-")],
            custom_fields=fields,
            area=area,
            budget=budget,
            beds=int(leads.beds[i]),
            timeline=TIMELINES[stated],
            texted_in=texted_in and bool(leads.has_phone[i]),
        )
        ctx.files[i] = rec
        created = rec.date_added_ms
        ctx.emit(created, contact("ContactCreate", rec), rec)
        if rec.texted_in:
            values = rec.placeholders()
            self.conversation.inbound(
                rec, created + draws.integer(300, 2_500), "SMS", draws.choice(_SMS_INTRO).format_map(values)
            )
        if SOURCES[source] == "website":
            self.website.new_lead(rec, created + draws.integer(500, 4_000))
        self.deals.open(rec, created + draws.integer(1_000, 8_000))
        self.conversation.first_touch(rec, state, int(leads.first_response_ms[i]))
        return rec

    def play_day(
        self,
        rec: LeadFile,
        day: int,
        state: int,
        transition: int,
        counts: list[int],
        booked: bool,
        follow_ups: int,
        drips: int,
    ) -> None:
        """Everything that happens to one lead on `day`, in time order."""
        ctx, i = self.ctx, rec.index
        happenings: list[tuple[int, int, str]] = []
        not_before: int | None = None
        if transition == Transition.STARTED:
            not_before = ctx.lead_moment(i, day)
            happenings.append((not_before, 0, "start"))
        elif transition == Transition.STOPPED:
            happenings.append((ctx.lead_moment(i, day), 0, "stop"))
        elif transition == Transition.WON:
            happenings.append((ctx.agent_moment(rec, day), 0, "won"))
        elif transition == Transition.LOST:
            happenings.append((ctx.agent_moment(rec, day), 0, "lost"))
        for kind, count in zip(ENGAGEMENT_KINDS, counts, strict=True):
            happenings.extend((ctx.lead_moment(i, day, not_before), 1, kind) for _ in range(count))
        if booked:
            happenings.append((ctx.agent_moment(rec, day, not_before), 2, "book"))
        happenings.extend((ctx.agent_moment(rec, day), 3, "follow_up") for _ in range(follow_ups))
        happenings.extend((ctx.agent_moment(rec, day), 3, "drip") for _ in range(drips))
        happenings.sort()
        for ms, _, what in happenings:
            self._happen(rec, day, state, what, ms)

    def _happen(self, rec: LeadFile, day: int, state: int, what: str, ms: int) -> None:
        conversation, deals, leads = self.conversation, self.deals, self.ctx.leads
        if what == "sms":
            conversation.sms_in(rec, day, state, ms)
        elif what == "email":
            conversation.email_in(rec, day, state, ms)
        elif what == "call":
            conversation.call_in(rec, day, state, ms)
        elif what in WEBSITE_EVENTS:
            listing = self.website.activity(rec, conversation.taste(rec), what, day, ms)
            conversation.engaged(rec, ms, day)
            if what == "showing_request":
                rec.last_listing = listing.unparsed_address
                self._hot(rec, ms)
            elif what == "save":
                rec.last_listing = listing.unparsed_address
        elif what == "book":
            if rec.seller:
                address = rec.address1 or rec.area
            else:
                liked = conversation.taste(rec).liked(day, self.ctx.draws.random())
                address = rec.last_listing or (liked.unparsed_address if liked else rec.area)
            deals.book(rec, ms, address, float(leads.traits.motivation[rec.index]))
        elif what == "follow_up":
            conversation.follow_up(rec, day, state, ms)
        elif what == "drip":
            conversation.drip(rec, state, ms)
        elif what == "stop":
            conversation.stop(rec, ms)
        elif what == "start":
            conversation.start(rec, ms)
        elif what == "won":
            deals.won(rec, ms, int(round(leads.budget[rec.index] * self.ctx.draws.between(0.92, 1.05), -3)))
        elif what == "lost":
            deals.lost(rec, ms)

    def _hot(self, rec: LeadFile, ms: int) -> None:
        draws = self.ctx.draws
        tag(self.ctx, rec, "hot-lead", ms + draws.lognormal_ms(60_000, 0.8))
        if draws.chance(0.5):
            self.deals.task(rec, ms + draws.lognormal_ms(600_000, 0.8))

    def nurture(self, rec: LeadFile, day: int) -> None:
        """Park a quiet lead in Nurture."""
        self.deals.nurture(rec, self.ctx.agent_moment(rec, day))

    def reassign(self, rec: LeadFile, day: int) -> float:
        """Hand the lead to another agent; returns the new agent's diligence."""
        self.deals.reassign(rec, self.ctx.agent_moment(rec, day))
        return rec.agent.diligence

"""The opportunity side of a lead: pipeline moves, appointments (showings), notes, tasks, outcomes.

A booked appointment (showing for a buyer, listing appointment for a seller) and a won opportunity
are the two *conversion* events of the oracle; both are produced here, on the day the latent
process decides, and nowhere else. Everything else is agent bookkeeping with realistic lags.
"""

from __future__ import annotations

from hub.simulator import payloads
from hub.simulator.context import DAY_MS, HOUR_MS, Context, advance_stage, move_stage, tag
from hub.simulator.geography import local_iso, utc_offset_ms
from hub.simulator.identifiers import iso_ms
from hub.simulator.lead_file import LeadFile
from hub.simulator.texts import SHOWING_NOTES, TASK_TITLES, fill

MINUTE_MS = 60_000
_LOST_NOTES = (
    "Bought with another agent.",
    "Decided not to move this year.",
    "Went with a FSBO.",
    "Lost touch; number disconnected.",
)


class Deals:
    """Writes opportunity, appointment, note and task events into the timeline."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def open(self, rec: LeadFile, ms: int) -> None:
        """OpportunityCreate right after the contact, in the buyer or seller pipeline."""
        self.ctx.emit(ms, payloads.opportunity("OpportunityCreate", rec, rec.date_added_ms), rec)

    def note(self, rec: LeadFile, ms: int, body: str) -> None:
        """NoteCreate by the agent."""
        self.ctx.emit(ms, payloads.note(rec, self.ctx.draws.ghl_id(), body, ms), rec)

    def task(self, rec: LeadFile, ms: int) -> None:
        """TaskCreate (a fifth without contactId/body, ISS-332) and usually a TaskComplete later."""
        draws = self.ctx.draws
        task_id = draws.ghl_id()
        title = fill(draws.choice(TASK_TITLES), rec.placeholders())
        body = f"Lead: {rec.name or rec.phone or rec.email}"
        due = ms + draws.integer(1, 3) * DAY_MS
        self.ctx.emit(
            ms,
            payloads.task("TaskCreate", rec, task_id, title, body, ms, due, drop_contact=draws.chance(0.2)),
            rec,
        )
        if draws.chance(0.7):
            done = ms + draws.lognormal_ms(20 * HOUR_MS, 0.9)
            self.ctx.emit(done, payloads.task("TaskComplete", rec, task_id, title, body, done, due), rec)

    def reopen(self, rec: LeadFile, ms: int) -> None:
        """An abandoned opportunity whose lead speaks up again goes back to open."""
        if rec.status == "abandoned":
            rec.status = "open"
            self.ctx.emit(ms, payloads.opportunity("OpportunityStatusUpdate", rec, rec.date_added_ms), rec)

    def share_details(self, rec: LeadFile, ms: int) -> None:
        """After a conversation the agent fills in the custom fields (and the deal value)."""
        draws = self.ctx.draws
        leads, i = self.ctx.leads, rec.index
        fields = rec.custom_fields
        fields["budget"] = str(rec.budget)
        fields["beds"] = str(rec.beds)
        fields["areas"] = [rec.location.markets[k].name for k in leads.markets[i]]
        fields["timeline"] = rec.timeline
        if not rec.first_name and draws.chance(0.8):
            rec.first_name, rec.last_name = leads.first_name[i], leads.last_name[i]
        if not rec.email and leads.has_email[i] and draws.chance(0.4):
            rec.email = leads.email[i]
        rec.details_shared = True
        self.ctx.emit(ms, payloads.contact("ContactUpdate", rec), rec)
        if rec.monetary_value != rec.budget:
            rec.monetary_value = rec.budget
            self.ctx.emit(
                ms + 20_000,
                payloads.opportunity("OpportunityMonetaryValueUpdate", rec, rec.date_added_ms),
                rec,
            )

    def book(self, rec: LeadFile, booked: int, address: str, motivation: float) -> None:
        """A conversion: AppointmentCreate at `booked`; its outcome (showed / no-show / cancelled) later."""
        ctx, draws = self.ctx, self.ctx.draws
        day = (booked - ctx.start_ms) // DAY_MS
        location = rec.location
        start_day = ctx.day_start(day + draws.integer(1, 5))
        local_start = (draws.integer(9, 17) * 60 + 30 * draws.integer(0, 1)) * MINUTE_MS
        start = start_day + (local_start - utc_offset_ms(location.timezone, start_day)) % DAY_MS
        end = start + (45 if rec.seller else 30) * MINUTE_MS
        calendar = location.listing_calendar if rec.seller else location.showing_calendar
        appt: payloads.Payload = {
            "id": draws.ghl_id(),
            "address": address,
            "title": f"{'Listing appointment' if rec.seller else 'Showing'}: {address}",
            "calendarId": calendar.id,
            "contactId": rec.contact_id,
            "groupId": "",
            "appointmentStatus": "confirmed" if draws.chance(0.8) else "new",
            "assignedUserId": rec.agent.id,
            "users": [rec.agent.id],
            "notes": "",
            "source": "booking_widget" if draws.chance(0.3) else "calendar_page",
            "startTime": local_iso(start, location.timezone),
            "endTime": local_iso(end, location.timezone),
            "dateAdded": iso_ms(booked),
            "dateUpdated": iso_ms(booked),
        }
        ctx.emit(booked, payloads.appointment("AppointmentCreate", rec, appt), rec)
        rec.showings += 1
        advance_stage(ctx, rec, "Appointment Set" if rec.seller else "Showing Scheduled", booked + 30_000)
        tag(ctx, rec, "showing-scheduled" if not rec.seller else "listing-appointment", booked + 31_000)
        if draws.chance(0.1):
            when = booked + int(draws.random() * (start - booked))
            appt.update(appointmentStatus="cancelled", dateUpdated=iso_ms(when))
            ctx.emit(when, payloads.appointment("AppointmentUpdate", rec, appt), rec)
            return
        showed = draws.chance(0.45 + 0.45 * motivation)
        when = end + draws.lognormal_ms(60 * MINUTE_MS, 0.7)
        appt.update(appointmentStatus="showed" if showed else "noshow", dateUpdated=iso_ms(when))
        ctx.emit(when, payloads.appointment("AppointmentUpdate", rec, appt), rec)
        if showed and draws.chance(0.5):
            values = rec.placeholders() | {"address": address}
            self.note(rec, when + 5 * MINUTE_MS, fill(draws.choice(SHOWING_NOTES), values))
        if showed and rec.seller and draws.chance(0.5):
            move_stage(ctx, rec, "Listing Signed", when + 24 * HOUR_MS)

    def won(self, rec: LeadFile, ms: int, price: int) -> None:
        """A conversion: the deal goes under contract and the opportunity is marked won at `ms`."""
        ctx = self.ctx
        rec.monetary_value = price
        ctx.emit(ms, payloads.opportunity("OpportunityMonetaryValueUpdate", rec, rec.date_added_ms), rec)
        move_stage(ctx, rec, "Under Contract", ms + 10_000)
        rec.status = "won"
        ctx.emit(ms + 20_000, payloads.opportunity("OpportunityStatusUpdate", rec, rec.date_added_ms), rec)
        tag(ctx, rec, "under-contract", ms + 30_000)
        self.note(rec, ms + 60_000, f"Under contract at ${price:,}. Closing in ~30 days.")
        closing = ms + ctx.draws.integer(25, 40) * DAY_MS
        move_stage(ctx, rec, "Closed", closing)

    def lost(self, rec: LeadFile, ms: int) -> None:
        """The lead is gone; the agent marks the opportunity lost days later (or never notices)."""
        ctx, draws = self.ctx, self.ctx.draws
        if not draws.chance(0.6):
            return
        ms += draws.integer(0, 10) * DAY_MS
        rec.status = "lost"
        ctx.emit(ms, payloads.opportunity("OpportunityStatusUpdate", rec, rec.date_added_ms), rec)
        self.note(rec, ms + 30_000, draws.choice(_LOST_NOTES))

    def nurture(self, rec: LeadFile, ms: int) -> None:
        """Three quiet weeks: the agent parks the lead in Nurture (or marks a long-dead one abandoned)."""
        ctx = self.ctx
        if rec.status in ("won", "lost"):
            return  # a closed deal is not parked (the engine only knows the lead went quiet)
        rec.nurtured = True
        move_stage(ctx, rec, "Nurture", ms)
        tag(ctx, rec, "nurture", ms + 15_000)
        if ctx.draws.chance(0.15):
            rec.status = "abandoned"
            ctx.emit(
                ms + 30_000, payloads.opportunity("OpportunityStatusUpdate", rec, rec.date_added_ms), rec
            )

    def reassign(self, rec: LeadFile, ms: int) -> None:
        """The team lead hands the lead to another agent (OpportunityAssignedToUpdate + ContactUpdate)."""
        ctx = self.ctx
        others = [agent for agent in rec.location.agents if agent.id != rec.agent.id]
        if not others:
            return
        rec.agent = ctx.draws.choice(others)
        ctx.emit(ms, payloads.opportunity("OpportunityAssignedToUpdate", rec, rec.date_added_ms), rec)
        ctx.emit(ms + 4_000, payloads.contact("ContactUpdate", rec), rec)

"""Website (IDX) activity, delivered through GHL's workflow "Webhook" action.

These payloads are the other webhook system of ghl-api.md §1.1: snake_case, no `type`, no
`webhookId`, no `timestamp`, no signature, `tags` as a comma-separated string, and the website's
own fields under `customData` (all values strings, as workflow custom values are). GHL puts no event
time in these bodies, so the brokerage's IDX integration sends its own as `customData.occurred_at`
(ISO-8601): without it, a receiver could only use the arrival time, and two views of the same listing
would be byte-identical bodies that a body-hash dedupe must collapse.

Which listing a lead views or saves is drawn from the lead's latent taste (`listings.Taste`), so
the interaction log carries the lead's true price / beds / area preferences; "not interested" is
drawn from the visible inventory at random, so it mostly hits poor fits.
"""

from __future__ import annotations

from hub.simulator import payloads
from hub.simulator.context import Context
from hub.simulator.identifiers import iso_ms
from hub.simulator.lead_file import LeadFile
from hub.simulator.listings import Listing, Taste

# Engagement kinds (latent.ENGAGEMENT_KINDS) that happen on the website, and their event names.
WEBSITE_EVENTS = {
    "view": "property_viewed",
    "save": "property_saved",
    "showing_request": "showing_requested",
    "not_interested": "not_interested",
}


class Website:
    """Writes website activity as workflow-action deliveries."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _payload(self, rec: LeadFile, event: str, custom: dict[str, str], ms: int) -> payloads.Payload:
        body: payloads.Payload = {"contact_id": rec.contact_id}
        if rec.first_name:
            body["first_name"], body["last_name"], body["full_name"] = rec.first_name, rec.last_name, rec.name
        if rec.email:
            body["email"] = rec.email
        if rec.phone:
            body["phone"] = rec.phone
        body["tags"] = ",".join(rec.tags)  # a comma-string here, an array in ContactCreate (§1.1)
        body["contact_type"] = "lead"
        body["date_created"] = iso_ms(rec.date_added_ms)
        workflow = rec.location.workflows[event]
        body["location"] = {"id": rec.location.id, "name": rec.location.name}
        body["workflow"] = {"id": workflow.id, "name": workflow.name}
        body["triggerData"] = {}
        body["customData"] = {"event": event, "occurred_at": iso_ms(ms), **custom}
        return body

    def new_lead(self, rec: LeadFile, ms: int) -> None:
        """A registration on the website (website leads only, at arrival)."""
        custom = {"form": "IDX registration", "page": f"{rec.location.website}/search?area={rec.area}"}
        self.ctx.emit(ms, self._payload(rec, "new_lead", custom, ms), rec, route="workflow")

    def activity(self, rec: LeadFile, taste: Taste, kind: str, day: int, ms: int) -> Listing:
        """A view / save / showing request / not-interested on a listing; returns the listing."""
        draws = self.ctx.draws
        if kind == "not_interested":
            listing = taste.any(day, draws.random())
        else:
            listing = taste.liked(day, draws.random())
        if listing is None:  # nothing listed yet in this location: the first coming-soon one
            listing = taste.index.listings[0]
        custom = {
            "listing_id": listing.listing_id,
            "listing_url": f"{rec.location.website}/listing/{listing.listing_id}",
            "address": listing.unparsed_address,
            "city": listing.city,
            "postal_code": listing.postal_code,
            "price": str(listing.list_price),
            "beds": str(listing.bedrooms_total),
            "baths": str(listing.bathrooms_total),
            "property_type": listing.property_sub_type,
        }
        if kind == "showing_request":
            custom["requested_time"] = draws.choice(
                ("this weekend", "tomorrow evening", "asap", "Saturday 10am")
            )
        self.ctx.emit(ms, self._payload(rec, WEBSITE_EVENTS[kind], custom, ms), rec, route="workflow")
        return listing

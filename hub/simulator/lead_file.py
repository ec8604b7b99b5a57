"""The CRM's view of one lead as it changes: what GHL would hold on the contact and opportunity.

This is observable state (tags, DND, stage, custom fields the agent has filled in), as opposed to
the latent traits in `latent.py`; payloads are built from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.simulator.listings import Taste
from hub.simulator.world import Agent, Location, Pipeline


@dataclass(slots=True)
class LeadFile:
    """Contact + opportunity + conversation of one lead, as GHL would store them."""

    index: int
    location: Location
    agent: Agent
    contact_id: str
    conversation_id: str
    opportunity_id: str
    seller: bool
    first_name: str
    last_name: str
    email: str
    phone: str
    source: str
    date_added_ms: int
    state: str
    postal_code: str
    city: str
    address1: str
    timezone: str | None
    tags: list[str]
    custom_fields: dict[str, object]
    area: str
    budget: int
    beds: int
    timeline: str
    taste: Taste | None = None
    stage: str = "New Lead"
    status: str = "open"
    monetary_value: int = 0
    sms_dnd: bool = False
    email_dnd: bool = False
    sms_opted_out: bool = False
    contacted: bool = False
    engaged: bool = False
    details_shared: bool = False
    last_engaged_day: int = -1
    nurtured: bool = False
    showings: int = 0
    last_listing: str = ""
    texted_in: bool = False
    dnd_stamps: dict[str, str] = field(default_factory=dict)

    @property
    def pipeline(self) -> Pipeline:
        """The buyer or seller pipeline of the lead's location."""
        return self.location.seller_pipeline if self.seller else self.location.buyer_pipeline

    @property
    def name(self) -> str:
        """Full name, empty for a lead known only by phone."""
        return f"{self.first_name} {self.last_name}".strip()

    def placeholders(self) -> dict[str, str]:
        """Values the text templates may use."""
        return {
            "first": self.first_name or "there",
            "who": self.name or self.phone or self.email,
            "agent_first": self.agent.name.split()[0],
            "brokerage": self.location.name,
            "area": self.area,
            "budget_k": str(self.budget // 1000),
            "beds": str(self.beds),
            "timeline": self.timeline,
            "address": self.area,
        }

    def add_tag(self, tag: str) -> bool:
        """Add a tag; False if the contact already had it (then GHL sends nothing)."""
        if tag in self.tags:
            return False
        self.tags.append(tag)
        return True

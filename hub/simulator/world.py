"""The brokerage's static world: locations, agents, pipelines, calendars, custom fields, markets.

Everything here is what the GHL API would return about a sub-account (GET /users, GET
/opportunities/pipelines, GET /calendars, GET /locations/{id}/customFields), so later issues can
resolve the bare ids webhooks carry — e.g. `pipelineStageId` is a UUID only (ghl-api.md §1.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hub.simulator.geography import Metro, metro_of_location
from hub.simulator.identifiers import Draws, ascii_slug
from hub.simulator.listings import PROPERTY_TYPES, Listing, build_inventory
from hub.simulator.texts import words

BROKERAGE_NAMES = (
    "Oak & Ember Realty",
    "Summit Key Homes",
    "Bluebonnet Realty Group",
    "Harbor Lane Realty",
    "Northstar Home Team",
    "Copperline Properties",
    "Meridian Nest Realty",
    "Willow Gate Homes",
)
AGENT_FIRST = words(
    "Sam Priya Marcus Elena Jordan Aisha Tyler Mei Carlos Hannah Dev Olivia Brandon Fatima Luke "
    "Grace Andre Sofía Kevin Noor"
)
AGENT_LAST = words(
    "Lee Patel Johnson García Nguyen Brooks Kim Okafor Rossi Walsh Cohen Reyes Foster Haddad Young Bennett"
)
BUYER_STAGES = (
    "New Lead",
    "Contacted",
    "Engaged",
    "Showing Scheduled",
    "Under Contract",
    "Closed",
    "Nurture",
)
SELLER_STAGES = (
    "New Lead",
    "Contacted",
    "Appointment Set",
    "Listing Signed",
    "Under Contract",
    "Closed",
    "Nurture",
)
# The brokerage's IDX website reports visitor activity through GHL workflows whose "Webhook"
# action posts to us (ghl-api.md §1.1): one workflow per website event.
WEBSITE_WORKFLOWS = (
    ("new_lead", "IDX: New registration"),
    ("property_viewed", "IDX: Property viewed"),
    ("property_saved", "IDX: Property saved"),
    ("showing_requested", "IDX: Showing request"),
    ("not_interested", "IDX: Not interested"),
)
TIMELINES = ("0-3 months", "3-6 months", "6-12 months", "12+ months")


@dataclass(frozen=True, slots=True)
class Agent:
    """A GHL user; responsiveness differs a lot between agents and drives speed-to-lead."""

    id: str
    name: str
    email: str
    phone: str
    median_first_response_min: float
    reply_rate: float
    median_reply_min: float
    diligence: float
    call_share: float


@dataclass(frozen=True, slots=True)
class Stage:
    """A pipeline stage: webhooks carry only its UUID."""

    id: str
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Pipeline:
    """An opportunity pipeline (one for buyers, one for sellers)."""

    id: str
    name: str
    stages: tuple[Stage, ...]
    by_name: dict[str, Stage]

    def stage(self, name: str) -> Stage:
        """The stage with that name."""
        return self.by_name[name]


@dataclass(frozen=True, slots=True)
class Calendar:
    """A GHL calendar appointments are booked on."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class CustomField:
    """A location custom field; contact payloads carry only `{id, value}`."""

    id: str
    key: str
    name: str
    data_type: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Workflow:
    """A GHL workflow whose Webhook action forwards website activity."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Market:
    """An area a location sells in, with its price level (median list price)."""

    id: str
    name: str
    postal_code: str
    median_price: int


@dataclass(slots=True)
class Location:
    """A GHL sub-account: one brokerage office in one metro."""

    id: str
    name: str
    company_id: str
    timezone: str
    phone: str
    email: str
    metro: Metro
    agents: tuple[Agent, ...]
    buyer_pipeline: Pipeline
    seller_pipeline: Pipeline
    showing_calendar: Calendar
    listing_calendar: Calendar
    custom_fields: dict[str, CustomField]
    markets: tuple[Market, ...]
    workflows: dict[str, Workflow]
    website: str
    listings: tuple[Listing, ...] = field(default=())
    uses_autoresponder: bool = True


@dataclass(frozen=True, slots=True)
class World:
    """Every location of the simulated brokerage plus the marketplace app that receives webhooks."""

    app_id: str
    version_id: str
    company_id: str
    locations: tuple[Location, ...]

    @property
    def listings(self) -> tuple[Listing, ...]:
        """All listings of all locations."""
        return tuple(listing for location in self.locations for listing in location.listings)


def _agent(draws: Draws, rng: np.random.Generator, domain: str, area_code: str) -> Agent:
    first, last = draws.choice(AGENT_FIRST), draws.choice(AGENT_LAST)
    # Speed-to-lead is heavy-tailed across agents: a few answer in two minutes, many in hours.
    median_first = float(np.exp(rng.normal(np.log(25.0), 1.3)))
    return Agent(
        id=draws.ghl_id(),
        name=f"{first} {last}",
        email=f"{ascii_slug(first)}.{ascii_slug(last)}@{domain}",
        phone=f"+1{area_code}555{draws.integer(1000, 9999)}",
        median_first_response_min=round(min(median_first, 1_440.0), 2),
        reply_rate=round(float(rng.uniform(0.45, 0.95)), 3),
        median_reply_min=round(float(np.exp(rng.normal(np.log(20.0), 1.0))), 2),
        diligence=round(float(rng.uniform(0.3, 1.4)), 3),
        call_share=round(float(rng.uniform(0.1, 0.5)), 3),
    )


def _pipeline(draws: Draws, name: str, stage_names: tuple[str, ...]) -> Pipeline:
    stages = tuple(Stage(draws.uuid(), stage, i) for i, stage in enumerate(stage_names))
    return Pipeline(draws.ghl_id(), name, stages, {stage.name: stage for stage in stages})


def _custom_fields(draws: Draws, metro: Metro) -> dict[str, CustomField]:
    areas = tuple(area.name for area in metro.areas)
    fields = (
        CustomField(draws.ghl_id(), "budget", "Budget", "MONETORY"),
        CustomField(draws.ghl_id(), "beds", "Bedrooms", "NUMERICAL"),
        CustomField(draws.ghl_id(), "areas", "Preferred Areas", "MULTIPLE_OPTIONS", areas),
        CustomField(draws.ghl_id(), "property_type", "Property Type", "SINGLE_OPTIONS", PROPERTY_TYPES),
        CustomField(draws.ghl_id(), "timeline", "Timeline", "SINGLE_OPTIONS", TIMELINES),
    )
    return {cf.key: cf for cf in fields}


def build_world(
    rng: np.random.Generator,
    draws: Draws,
    *,
    locations: int,
    agents_per_location: int,
    listings_per_area: int,
    start_ms: int,
    days: int,
) -> World:
    """Draw the locations, their agents, pipelines, calendars, custom fields and listings."""
    company_id = draws.ghl_id()
    built: list[Location] = []
    for index in range(locations):
        metro = metro_of_location(index)
        brand = BROKERAGE_NAMES[(index // 2) % len(BROKERAGE_NAMES)]
        domain = ascii_slug(brand.replace("&", "and")) + ".example"
        area_code = metro.area_codes[0]
        markets = tuple(
            Market(draws.ghl_id(), area.name, area.postal_code, int(metro.median_price * area.price_factor))
            for area in metro.areas
        )
        location = Location(
            id=draws.ghl_id(),
            name=f"{brand} {metro.city}",
            company_id=company_id,
            timezone=metro.timezone,
            phone=f"+1{area_code}555{draws.integer(1000, 9999)}",
            email=f"team@{domain}",
            metro=metro,
            agents=tuple(_agent(draws, rng, domain, area_code) for _ in range(agents_per_location)),
            buyer_pipeline=_pipeline(draws, "Buyers", BUYER_STAGES),
            seller_pipeline=_pipeline(draws, "Sellers", SELLER_STAGES),
            showing_calendar=Calendar(draws.ghl_id(), "Showings"),
            listing_calendar=Calendar(draws.ghl_id(), "Listing Appointments"),
            custom_fields=_custom_fields(draws, metro),
            markets=markets,
            workflows={event: Workflow(draws.uuid(), name) for event, name in WEBSITE_WORKFLOWS},
            website=f"https://www.{domain}",
            uses_autoresponder=draws.chance(0.7),
        )
        location.listings = build_inventory(
            rng, location.id, metro, markets, listings_per_area, start_ms, days
        )
        built.append(location)
    return World(draws.object_id(), draws.object_id(), company_id, tuple(built))

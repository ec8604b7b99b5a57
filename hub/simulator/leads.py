"""The lead population: where each lead comes from, who they are, and their static latent traits.

Sources differ in quality (a referral is far more motivated than a Facebook ad click), in what
contact data they carry (Facebook and open-house sign-ins are often SMS-only) and in how often the
lead registers on the brokerage's IDX website. Columns are numpy arrays (one entry per lead) so
the daily process can run vectorised; per-lead strings are plain lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hub.simulator.geography import ORIGINS, utc_offset_ms
from hub.simulator.identifiers import Draws, ascii_slug
from hub.simulator.latent import Traits
from hub.simulator.texts import words
from hub.simulator.world import World

SOURCES = ("zillow", "realtor", "facebook", "website", "open_house", "referral")
SOURCE_LABELS = ("Zillow", "Realtor.com", "Facebook Lead Ad", "Website (IDX)", "Open House", "Referral")
_SHARE = np.array([0.26, 0.18, 0.22, 0.18, 0.08, 0.08])
_MOTIVATION_MEAN = np.array([0.42, 0.45, 0.22, 0.38, 0.50, 0.68])
_IDX_ACCOUNT = np.array([0.55, 0.55, 0.35, 1.0, 0.45, 0.4])
_PHONE_ONLY = np.array([0.03, 0.03, 0.22, 0.06, 0.25, 0.10])
_EMAIL_ONLY = np.array([0.02, 0.04, 0.02, 0.12, 0.0, 0.03])
_SELLER = np.array([0.12, 0.15, 0.25, 0.25, 0.10, 0.35])
_URGENCY = np.array([1.5, 1.15, 0.85, 0.55])  # true timeline 0-3, 3-6, 6-12, 12+ months
FIRST_NAMES = words(
    "Dana Chris Maria James Aaliyah Ethan Sophia Liam Zoë Noah Ava Mateo Isabella Lucas Mia "
    "José Harper Elijah Chloé Wei Amara Ryan Emily Diego Hana Omar Grace Nikolai Leah Tariq "
    "Renée Jamal Olivia Arjun Camila Brian Yuki Keisha Sean Fernanda"
)
LAST_NAMES = words(
    "Ruiz Smith Johnson Nguyen Williams Brown García Miller Davis Martínez Wilson Anderson "
    "Taylor Thomas Moore Jackson Lee Harris Clark Lewis Robinson Walker Young Allen O'Brien "
    "King Wright Scott Hernández Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter "
    "Phillips Chen"
)
_MAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")


@dataclass(slots=True)
class Leads:
    """n leads as columns; `traits` are the latent part, the rest is (partly) observable."""

    n: int
    location: NDArray[np.int64]
    agent: NDArray[np.int64]
    source: NDArray[np.int64]
    seller: NDArray[np.bool_]
    arrival_day: NDArray[np.int64]
    created_ms: NDArray[np.int64]
    timeline: NDArray[np.int64]
    budget: NDArray[np.float64]
    beds: NDArray[np.int64]
    property_kind: NDArray[np.int64]
    markets: list[list[int]]
    has_phone: NDArray[np.bool_]
    has_email: NDArray[np.bool_]
    relocating: NDArray[np.bool_]
    timezone: list[str]
    state: list[str]
    postal_code: list[str]
    first_name: list[str]
    last_name: list[str]
    email: list[str]
    phone: list[str]
    contact_id: list[str]
    first_response_ms: NDArray[np.int64]
    traits: Traits


def _day_time_ms(
    rng: np.random.Generator, day_start: NDArray[np.int64], offset: NDArray[np.int64]
) -> NDArray[np.int64]:
    """A moment inside each UTC day whose local hour follows when people fill in lead forms."""
    hour_weights = np.array([1, 1, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 7, 7, 7, 7, 7, 8, 9, 9, 9, 7, 4, 2], float)
    hours = rng.choice(24, size=day_start.shape[0], p=hour_weights / hour_weights.sum())
    local_ms = hours * 3_600_000 + rng.integers(0, 3_600_000, day_start.shape[0])
    utc_ms = (local_ms - offset) % 86_400_000
    result: NDArray[np.int64] = day_start + utc_ms
    return result


def build_leads(
    rng: np.random.Generator, draws: Draws, world: World, n: int, days: int, start_ms: int
) -> Leads:
    """Draw n leads spread over the locations and the window."""
    locations = world.locations
    location = rng.integers(0, len(locations), n)
    agent_count = np.array([len(loc.agents) for loc in locations])[location]
    agent = (rng.random(n) * agent_count).astype(np.int64)
    source = rng.choice(len(SOURCES), size=n, p=_SHARE)
    seller = rng.random(n) < _SELLER[source]
    mean = _MOTIVATION_MEAN[source]
    motivation = rng.beta(4 * mean, 4 * (1 - mean))
    # Motivated leads tend to have short timelines; the stated timeline is a noisy copy (leads.py).
    timeline = np.clip(np.rint(2.6 * (1 - motivation) + rng.normal(0, 0.8, n)), 0, 3).astype(np.int64)
    arrival_day = rng.integers(0, days, n)
    phone_only = rng.random(n) < _PHONE_ONLY[source]
    email_only = ~phone_only & (rng.random(n) < _EMAIL_ONLY[source])
    has_phone, has_email = ~email_only, ~phone_only
    relocating = ~seller & (rng.random(n) < 0.14)
    sms_affinity = rng.beta(2.5, 1.5, n)
    idx_account = has_email & (rng.random(n) < _IDX_ACCOUNT[source])
    kinds = rng.choice(3, size=n, p=[0.72, 0.14, 0.14])
    beds = np.clip(rng.choice([1, 2, 3, 4, 5], size=n, p=[0.04, 0.2, 0.4, 0.28, 0.08]) + 0, 1, 6)
    beds = np.where(kinds == 2, np.minimum(beds, 3), beds)
    budget_noise = rng.lognormal(0.0, 0.32, n)
    market_u = rng.random((n, 3))
    market_count = rng.choice([1, 2, 3], size=n, p=[0.45, 0.4, 0.15])
    origin = rng.integers(0, len(ORIGINS), n)
    home_area = rng.integers(0, 64, n)
    response_noise = rng.lognormal(0.0, 1.0, n)
    never_answered = rng.random(n) < 0.04

    timezone: list[str] = []
    state: list[str] = []
    postal: list[str] = []
    markets: list[list[int]] = []
    budgets = np.zeros(n)
    for i in range(n):
        metro = locations[location[i]].metro
        order = np.argsort(market_u[i, : len(metro.areas)])[: market_count[i]]
        chosen = sorted(int(k) for k in order)
        markets.append(chosen)
        # The price level of the first preferred area anchors the (latent) budget.
        budgets[i] = locations[location[i]].markets[chosen[0]].median_price * budget_noise[i]
        if relocating[i]:
            origin_state, zone, _, origin_postal = ORIGINS[origin[i]]
        else:
            origin_state, zone = metro.state, metro.timezone
            origin_postal = metro.areas[home_area[i] % len(metro.areas)].postal_code
        timezone.append(zone)
        state.append(origin_state)
        postal.append(origin_postal)

    day_start = start_ms + arrival_day * 86_400_000
    offsets = np.array([utc_offset_ms(tz, int(ds)) for tz, ds in zip(timezone, day_start, strict=True)])
    created_ms = _day_time_ms(rng, day_start, offsets)

    median_first = np.array(
        [locations[loc].agents[a].median_first_response_min for loc, a in zip(location, agent, strict=True)]
    )
    first_response_ms = np.where(
        never_answered, -1, (median_first * response_noise * 60_000).astype(np.int64)
    )
    minutes = np.where(never_answered, np.inf, median_first * response_noise)
    stl_factor = np.select(
        [minutes < 5, minutes < 60, minutes < 1_440, minutes < np.inf], [1.3, 1.15, 1.0, 0.85], 0.75
    )
    traits = Traits(
        motivation=motivation,
        urgency=_URGENCY[timeline],
        chattiness=rng.lognormal(-0.1, 0.55, n),
        browse=np.where(idx_account, rng.lognormal(0.0, 0.6, n), 0.0),
        sms_weight=np.where(has_phone, 2 * sms_affinity, 0.0),
        email_weight=np.where(has_email, 2 * (1 - sms_affinity), 0.0),
        stop_prone=rng.lognormal(-0.25, 0.7, n),
        stl_factor=stl_factor,
        seller=seller,
    )

    first: list[str] = []
    last: list[str] = []
    email: list[str] = []
    phone: list[str] = []
    contact_id: list[str] = []
    used_phones: set[str] = set()
    for i in range(n):
        fn, ln = draws.choice(FIRST_NAMES), draws.choice(LAST_NAMES)
        first.append(fn)
        last.append(ln)
        contact_id.append(draws.ghl_id())
        mail = f"{ascii_slug(fn)}.{ascii_slug(ln)}{draws.integer(1, 999)}@{draws.choice(_MAIL_DOMAINS)}"
        email.append(mail if has_email[i] else "")
        area_code = (
            ORIGINS[origin[i]][2] if relocating[i] else draws.choice(locations[location[i]].metro.area_codes)
        )
        number = f"+1{area_code}555{draws.integer(0, 9999):04d}"
        while number in used_phones:  # 555 is the fictional exchange; widen it only when it is full
            number = f"+1{area_code}{draws.integer(201, 999)}{draws.integer(0, 9999):04d}"
        used_phones.add(number)
        phone.append(number if has_phone[i] else "")

    return Leads(
        n=n,
        location=location.astype(np.int64),
        agent=agent,
        source=source.astype(np.int64),
        seller=seller,
        arrival_day=arrival_day.astype(np.int64),
        created_ms=created_ms.astype(np.int64),
        timeline=timeline,
        budget=budgets,
        beds=beds.astype(np.int64),
        property_kind=kinds.astype(np.int64),
        markets=markets,
        has_phone=has_phone,
        has_email=has_email,
        relocating=relocating,
        timezone=timezone,
        state=state,
        postal_code=postal,
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        contact_id=contact_id,
        first_response_ms=first_response_ms.astype(np.int64),
        traits=traits,
    )

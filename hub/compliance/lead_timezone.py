"""Where a lead's clock is: the time zone(s) quiet hours are enforced in, and the states whose rules apply.

COMPLIANCE.md guard 1 uses the LEAD's local time: the contact's own time zone when GHL knows it, else
one derived from the address (state, postal code) or the phone's area code, else the location's.
market.md complaint 7 is exactly this going wrong (agent's, account's or server's zone used instead).

Two rules keep a guess from ever making a send early or late:
* When the zone is derived and the evidence allows several zones (a state that spans two, a postal
  code and an area code that disagree), the lead is treated as being in ALL of them: a send must be
  allowed in every candidate zone at once.
* State rules apply for every state the lead may be in: Florida's, Oklahoma's and Maryland's laws
  presume a number with their area code belongs to a resident (market.md [C11]; state_rules.py), so
  the area code's state counts even when the contact's own time zone is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.compliance.us_geography import AREA_CODES, STATE_NAMES, STATE_ZONES, ZIP3_RANGES

CONTIGUOUS_US_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What the contact row says about where the lead is (any of it may be missing)."""

    timezone: str | None = None
    state: str | None = None
    postal_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class LeadZones:
    """The zones quiet hours must hold in (all of them), the states whose rules apply, and why."""

    zones: tuple[str, ...]
    states: tuple[str, ...]
    basis: str


def valid_zone(name: str | None) -> str | None:
    """`name` if it is an IANA zone this machine knows, else None."""
    if not name or not name.strip():
        return None
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Pacific" is a tzdata folder
        return None
    return name.strip()


def state_code(value: str | None) -> str | None:
    """A two-letter state code from "FL", "fl", "Florida", " florida "; None when not a US state."""
    if not value:
        return None
    text = value.strip().upper()
    if text in STATE_ZONES:
        return text
    return STATE_NAMES.get(re.sub(r"\s+", " ", text))


def state_for_postal_code(postal_code: str | None) -> str | None:
    """The state of a US ZIP code ("33101", "33101-1234") by its three-digit prefix."""
    digits = re.sub(r"\D", "", postal_code or "")
    if len(digits) not in (5, 9):
        return None
    prefix = int(digits[:3])
    return next((state for low, high, state in ZIP3_RANGES if low <= prefix <= high), None)


def area_code(phone: str | None) -> str | None:
    """The NANP area code of a +1 number ("+13055550100" -> "305"); None for other countries."""
    text = (phone or "").strip()
    if text.startswith("+") and not text.startswith("+1"):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits[:3] if len(digits) == 10 else None


def state_for_phone(phone: str | None) -> str | None:
    """The state a US phone number's area code belongs to."""
    code = area_code(phone)
    return AREA_CODES.get(code) if code else None


def lead_zones(facts: LeadFacts, location_timezone: str) -> LeadZones:
    """The zones and states of a lead (see the module docstring for the rules)."""
    address_states = _unique([state_code(facts.state), state_for_postal_code(facts.postal_code)])
    phone_state = state_for_phone(facts.phone)
    states = _unique([*address_states, phone_state])
    own_zone = valid_zone(facts.timezone)
    if own_zone is not None:
        return LeadZones((own_zone,), states, f"contact time zone {own_zone}")
    evidence: list[str] = []
    if state_code(facts.state):
        evidence.append(f"state {state_code(facts.state)}")
    if state_for_postal_code(facts.postal_code):
        evidence.append(f"postal code {facts.postal_code} ({state_for_postal_code(facts.postal_code)})")
    if phone_state:
        evidence.append(f"area code {area_code(facts.phone)} ({phone_state})")
    if states:
        zones = _unique([zone for state in states for zone in STATE_ZONES[state]])
        return LeadZones(tuple(zones), states, "derived from " + ", ".join(evidence))
    fallback = valid_zone(location_timezone)
    if fallback is None:
        # A location without a usable zone: hold every contiguous-US zone at once (safe, narrow).
        return LeadZones(CONTIGUOUS_US_ZONES, (), f"unknown location time zone {location_timezone!r}")
    return LeadZones((fallback,), (), f"location time zone {fallback} (nothing known about the lead)")


def _unique(values: list[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return tuple(seen)

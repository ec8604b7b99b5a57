"""Where a lead's clock is: contact zone first, then address / area code, then the location's."""

from __future__ import annotations

import pytest

from hub.compliance.lead_timezone import (
    CONTIGUOUS_US_ZONES,
    LeadFacts,
    area_code,
    lead_zones,
    state_code,
    state_for_phone,
    state_for_postal_code,
    valid_zone,
)


def test_the_contacts_own_zone_wins_over_everything_else() -> None:
    facts = LeadFacts(timezone="America/Los_Angeles", state="NY", postal_code="10001", phone="+12125550100")
    lead = lead_zones(facts, "America/Chicago")
    assert lead.zones == ("America/Los_Angeles",)
    assert lead.basis == "contact time zone America/Los_Angeles"
    # The state rules still see every state the lead may be in.
    assert lead.states == ("NY",)


def test_a_single_zone_state_gives_that_zone() -> None:
    lead = lead_zones(LeadFacts(state="Colorado"), "America/New_York")
    assert lead.zones == ("America/Denver",)
    assert lead.states == ("CO",)
    assert "state CO" in lead.basis


def test_a_state_spanning_two_zones_gives_both() -> None:
    lead = lead_zones(LeadFacts(state="FL"), "America/New_York")
    assert set(lead.zones) == {"America/New_York", "America/Chicago"}


@pytest.mark.parametrize(
    ("postal_code", "state"),
    [
        ("33101", "FL"),
        ("78704", "TX"),
        ("10001-1234", "NY"),
        ("02108", "MA"),
        ("99501", "AK"),
        ("85251", "AZ"),
    ],
)
def test_postal_codes_map_to_states(postal_code: str, state: str) -> None:
    assert state_for_postal_code(postal_code) == state


@pytest.mark.parametrize("postal_code", ["", "1234", "ABCDE", None, "34001"])
def test_postal_codes_that_say_nothing(postal_code: str | None) -> None:
    # 340 is the military AA prefix: no state, no zone.
    assert state_for_postal_code(postal_code) is None


@pytest.mark.parametrize(
    ("phone", "code", "state"),
    [
        ("+13055550100", "305", "FL"),
        ("(512) 555-0143", "512", "TX"),
        ("1-405-555-0100", "405", "OK"),
        ("+14105550100", "410", "MD"),
    ],
)
def test_area_codes_map_to_states(phone: str, code: str, state: str) -> None:
    assert area_code(phone) == code
    assert state_for_phone(phone) == state


def test_non_us_numbers_have_no_area_code() -> None:
    assert area_code("+442071234567") is None
    assert area_code("+1 555") is None


def test_a_derived_zone_uses_every_piece_of_evidence() -> None:
    # The address says Texas; the phone is a Florida number: both states' zones and rules apply.
    lead = lead_zones(LeadFacts(postal_code="78704", phone="+13055550100"), "America/Denver")
    assert lead.states == ("TX", "FL")
    assert set(lead.zones) == {"America/Chicago", "America/Denver", "America/New_York"}
    assert "postal code 78704 (TX)" in lead.basis and "area code 305 (FL)" in lead.basis


def test_an_unusable_contact_zone_is_ignored_not_trusted() -> None:
    lead = lead_zones(LeadFacts(timezone="Mars/Olympus", state="CA"), "America/New_York")
    assert lead.zones == ("America/Los_Angeles",)


def test_with_nothing_known_the_locations_zone_is_used() -> None:
    lead = lead_zones(LeadFacts(phone="+442071234567"), "America/Phoenix")
    assert lead.zones == ("America/Phoenix",)
    assert lead.states == ()


def test_a_broken_location_zone_falls_back_to_every_us_zone() -> None:
    lead = lead_zones(LeadFacts(), "Not/AZone")
    assert lead.zones == CONTIGUOUS_US_ZONES


def test_state_names_and_codes_are_normalised() -> None:
    assert state_code(" new   york ") == "NY"
    assert state_code("tx") == "TX"
    assert state_code("Ontario") is None


def test_a_zone_folder_name_is_not_a_zone() -> None:
    # "Pacific" is a folder of tzdata: ZoneInfo raises IsADirectoryError, not ZoneInfoNotFoundError.
    assert valid_zone("Pacific") is None and valid_zone("America") is None
    assert valid_zone(" America/Los_Angeles ") == "America/Los_Angeles"

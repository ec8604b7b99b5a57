"""Guard 1: quiet hours in the lead's own zone(s), state windows, DST, never early, never dropped."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.compliance.decisions import Defer, Suppress
from hub.compliance.lead_timezone import LeadFacts, LeadZones, lead_zones
from hub.compliance.quiet_hours import Interval, check_quiet_hours, next_allowed, send_window

CHICAGO = ZoneInfo("America/Chicago")


def window_for(zone: str, *, states: tuple[str, ...] = (), channel: str = "SMS", **kwargs: object):  # type: ignore[no-untyped-def]
    lead = LeadZones((zone,), states, "test")
    options = {"location_quiet_start": time(21), "location_quiet_end": time(8), "email_quiet_hours": False}
    options.update(kwargs)
    return send_window(channel, lead, **options)  # type: ignore[arg-type]


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def test_inside_the_window_a_send_goes_now() -> None:
    now = local("America/Chicago", 2026, 9, 10, 14, 0)
    assert check_quiet_hours(window_for("America/Chicago"), now) is None


def test_before_8_am_local_it_is_deferred_to_8_am_local_not_server_time() -> None:
    now = local("America/Los_Angeles", 2026, 9, 10, 7, 59)  # 10:59 in New York
    decision = check_quiet_hours(window_for("America/Los_Angeles"), now)
    assert isinstance(decision, Defer)
    assert decision.until == local("America/Los_Angeles", 2026, 9, 10, 8, 0)
    assert "America/Los_Angeles" in decision.reason


def test_the_9_pm_boundary_is_exclusive() -> None:
    window = window_for("America/Chicago")
    assert check_quiet_hours(window, local("America/Chicago", 2026, 9, 10, 20, 59)) is None
    decision = check_quiet_hours(window, local("America/Chicago", 2026, 9, 10, 21, 0))
    assert isinstance(decision, Defer)
    assert decision.until == local("America/Chicago", 2026, 9, 11, 8, 0)


def test_florida_ends_at_8_pm() -> None:
    window = window_for("America/New_York", states=("FL",))
    decision = check_quiet_hours(window, local("America/New_York", 2026, 9, 10, 20, 0))
    assert isinstance(decision, Defer)
    assert decision.until == local("America/New_York", 2026, 9, 11, 8, 0)
    assert "Florida (FTSA) 08:00-20:00" in decision.reason


def test_spring_forward_night_defers_to_8_am_daylight_time() -> None:
    # 2026-03-08: Chicago jumps from CST (UTC-6) to CDT (UTC-5) at 02:00.
    now = local("America/Chicago", 2026, 3, 7, 22, 30)
    until = next_allowed(window_for("America/Chicago"), now)
    assert until == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # 08:00 CDT, not 14:00 UTC
    assert until is not None and until.astimezone(CHICAGO).hour == 8


def test_fall_back_night_defers_to_8_am_standard_time() -> None:
    # 2026-11-01: CDT (UTC-5) -> CST (UTC-6); the night is 25 hours long.
    now = local("America/Chicago", 2026, 10, 31, 22, 30)
    assert next_allowed(window_for("America/Chicago"), now) == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)


def test_arizona_has_no_dst() -> None:
    now = datetime(2026, 7, 1, 14, 30, tzinfo=UTC)  # 07:30 in Phoenix, 08:30 in Denver
    assert next_allowed(window_for("America/Phoenix"), now) == datetime(2026, 7, 1, 15, 0, tzinfo=UTC)


def test_a_lead_in_two_possible_zones_must_be_inside_both() -> None:
    lead = lead_zones(LeadFacts(state="FL"), "America/New_York")  # Eastern and Central
    window = send_window(
        "SMS", lead, location_quiet_start=time(21), location_quiet_end=time(8), email_quiet_hours=False
    )
    assert window is not None
    # 08:30 Eastern is 07:30 Central: not yet.
    assert next_allowed(window, local("America/New_York", 2026, 9, 10, 8, 30)) == local(
        "America/Chicago", 2026, 9, 10, 8, 0
    )
    # 19:30 Eastern is 18:30 Central, fine in both; 20:00 Eastern is too late in Florida's east.
    assert window.allows(local("America/New_York", 2026, 9, 10, 19, 30))
    assert not window.allows(local("America/New_York", 2026, 9, 10, 20, 0))


def test_location_quiet_hours_can_only_narrow() -> None:
    narrower = window_for("America/Chicago", location_quiet_start=time(19), location_quiet_end=time(9))
    assert narrower is not None
    assert not narrower.allows(local("America/Chicago", 2026, 9, 10, 8, 30))
    assert not narrower.allows(local("America/Chicago", 2026, 9, 10, 19, 30))
    wider = window_for("America/Chicago", location_quiet_start=time(23), location_quiet_end=time(6))
    assert wider is not None
    assert not wider.allows(local("America/Chicago", 2026, 9, 10, 7, 0))
    assert not wider.allows(local("America/Chicago", 2026, 9, 10, 22, 0))


def test_workflow_window_and_days() -> None:
    window = window_for(
        "America/Chicago",
        workflow_window=Interval(time(10), time(12), "workflow"),
        workflow_days=frozenset({1}),
    )  # Tuesdays only
    friday_noon = local("America/Chicago", 2026, 9, 11, 11, 0)
    assert next_allowed(window, friday_noon) == local("America/Chicago", 2026, 9, 15, 10, 0)


def test_email_is_exempt_unless_the_location_opts_in() -> None:
    late = local("America/Chicago", 2026, 9, 10, 23, 0)
    assert window_for("America/Chicago", channel="Email") is None
    opted_in = window_for("America/Chicago", channel="Email", email_quiet_hours=True)
    assert isinstance(check_quiet_hours(opted_in, late), Defer)


def test_a_window_that_never_opens_suppresses_with_a_reason_instead_of_waiting_forever() -> None:
    window = window_for(
        "America/New_York", states=("FL",), workflow_window=Interval(time(20), time(21), "wf")
    )
    decision = check_quiet_hours(window, local("America/New_York", 2026, 9, 10, 12, 0))
    assert isinstance(decision, Suppress)
    assert "widen the workflow's send_window" in decision.reason


ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Indiana/Indianapolis",
]


@settings(max_examples=80, deadline=None)
@given(
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True),
    florida=st.booleans(),
    minutes=st.integers(min_value=0, max_value=366 * 24 * 60),
)
def test_next_allowed_is_never_early_and_is_the_first_allowed_minute(
    zones: list[str], florida: bool, minutes: int
) -> None:
    lead = LeadZones(tuple(zones), ("FL",) if florida else (), "test")
    window = send_window(
        "SMS", lead, location_quiet_start=time(21), location_quiet_end=time(8), email_quiet_hours=False
    )
    assert window is not None
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes, seconds=17)
    until = next_allowed(window, now)
    if until is None:  # zones too far apart for any common hour (e.g. Honolulu and New York)
        probe = now
        while probe < now + timedelta(days=2):
            assert not window.allows(probe)
            probe += timedelta(minutes=30)
        return
    assert until >= now and window.allows(until)
    for zone in zones:
        local_time = until.astimezone(ZoneInfo(zone)).time()
        assert time(8) <= local_time < (time(20) if florida else time(21))
    if until > now:
        # Nothing earlier was allowed: probe every 10 minutes, and the minute just before.
        probe = now
        while probe < until:
            assert not window.allows(probe)
            probe += timedelta(minutes=10)
        assert not window.allows(until - timedelta(minutes=1))

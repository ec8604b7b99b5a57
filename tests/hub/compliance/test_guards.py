"""All guards in order: the verdict, its reason, the content that goes out, and no off switch."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from hub.compliance.decisions import Defer, Suppress
from hub.compliance.frequency import PastSend
from hub.compliance.guards import (
    CallTaskContent,
    Cleared,
    ContactSnapshot,
    EmailContent,
    LocationSnapshot,
    SendCheck,
    SendHistory,
    SmsContent,
    WorkflowLimits,
    evaluate,
)
from hub.compliance.policy import LocationPolicy, SmsConsentPolicy, parse_policy
from hub.compliance.quiet_hours import Interval
from hub.compliance.takeover import HumanActivity
from hub.errors import ConfigError

NOON_CHICAGO = datetime(2026, 9, 10, 17, 0, tzinfo=UTC)
CONSENT = {"source": "web form", "at": "2026-08-01T00:00:00Z", "wording": "I agree to automated texts"}


def make_check(**overrides: Any) -> SendCheck:
    contact = ContactSnapshot(
        id="C1", timezone="America/Chicago", phone="+15125550143", email="d@example.com", consent=CONSENT
    )
    values: dict[str, Any] = {
        "channel": "SMS",
        "now": NOON_CHICAGO,
        "contact": contact,
        "location": LocationSnapshot("L1", "Oak Realty", "America/Chicago", time(21), time(8), "1 Main St"),
        "policy": LocationPolicy(unsubscribe_url="https://hub.example/u/{contact_id}"),
        "since": NOON_CHICAGO - timedelta(hours=1),
    }
    values.update(overrides)
    return SendCheck(**values)


def test_an_allowed_sms_goes_out_with_the_compliance_wording() -> None:
    verdict = evaluate(make_check(), SmsContent("Hi Dana"))
    assert isinstance(verdict, Cleared)
    assert verdict.content == SmsContent("Oak Realty: Hi Dana Reply STOP to opt out.")
    assert any("consent recorded" in note for note in verdict.notes)


def test_a_suppression_beats_a_deferral() -> None:
    night = datetime(2026, 9, 11, 4, 0, tzinfo=UTC)  # 23:00 in Chicago
    contact = replace(make_check().contact, dnd_channels={"SMS": "active"})
    verdict = evaluate(make_check(now=night, contact=contact), SmsContent("Hi"))
    assert isinstance(verdict, Suppress) and verdict.guard == "dnd"


def test_reachability_comes_first() -> None:
    contact = replace(make_check().contact, phone=None)
    verdict = evaluate(make_check(contact=contact), SmsContent("Hi"))
    assert isinstance(verdict, Suppress) and verdict.guard == "reachability" and verdict.failover_ok


def test_takeover_blocks_messages_after_a_reply() -> None:
    history = SendHistory(human=HumanActivity(NOON_CHICAGO - timedelta(minutes=10), "inbound SMS reply"))
    verdict = evaluate(make_check(history=history), SmsContent("Hi"))
    assert isinstance(verdict, Suppress) and verdict.guard == "takeover"


def test_a_capped_send_lands_on_a_minute_that_satisfies_quiet_hours_too() -> None:
    # Three texts from 20:30 New York yesterday: the 24-hour cap frees at 20:30 tonight, which is
    # after Florida's 20:00 end, so the send must wait for 08:00 the next morning.
    florida = replace(make_check().contact, timezone="America/New_York", state="FL")
    first = datetime(2026, 9, 10, 0, 30, tzinfo=UTC)  # 20:30 New York on Sep 9
    past = tuple(PastSend("SMS", first + timedelta(minutes=10 * i)) for i in range(3))
    now = datetime(2026, 9, 10, 23, 0, tzinfo=UTC)  # 19:00 New York, inside the window
    verdict = evaluate(make_check(now=now, contact=florida, history=SendHistory(past=past)), SmsContent("Hi"))
    assert isinstance(verdict, Defer) and verdict.guard == "frequency"
    assert verdict.until == datetime(2026, 9, 11, 12, 0, tzinfo=UTC)  # 08:00 New York
    assert "quiet_hours" in verdict.reason and "Florida" in verdict.reason


def test_email_gets_its_footer_and_ignores_quiet_hours_by_default() -> None:
    night = datetime(2026, 9, 11, 4, 0, tzinfo=UTC)
    verdict = evaluate(make_check(channel="Email", now=night), EmailContent("Hello", "<p>Hi</p>"))
    assert isinstance(verdict, Cleared)
    assert isinstance(verdict.content, EmailContent)
    assert "https://hub.example/u/C1" in verdict.content.html and "1 Main St" in verdict.content.html


def test_a_workflow_window_applies_to_email() -> None:
    limits = WorkflowLimits(window=Interval(time(13), time(15), "workflow"))
    verdict = evaluate(make_check(channel="Email", limits=limits), EmailContent("Hello", "<p>Hi</p>"))
    assert isinstance(verdict, Defer)
    assert verdict.until == datetime(2026, 9, 10, 18, 0, tzinfo=UTC)


def test_a_call_task_due_at_night_is_moved_into_calling_hours() -> None:
    evening = datetime(2026, 9, 11, 1, 0, tzinfo=UTC)  # 20:00 Chicago
    content = CallTaskContent("Call Dana", None, evening + timedelta(hours=2))
    verdict = evaluate(make_check(channel="call_task", now=evening), content)
    assert isinstance(verdict, Cleared) and isinstance(verdict.content, CallTaskContent)
    assert verdict.content.due_at == datetime(2026, 9, 11, 13, 0, tzinfo=UTC)  # 08:00 Chicago


def test_no_sms_without_consent_even_with_everything_else_fine() -> None:
    contact = replace(make_check().contact, consent=None, source="Facebook")
    policy = LocationPolicy(sms_consent_policy=SmsConsentPolicy(wording="x" * 30, sources=["Zillow"]))
    verdict = evaluate(make_check(contact=contact, policy=policy), SmsContent("Hi"))
    assert isinstance(verdict, Suppress) and verdict.guard == "consent"


@pytest.mark.parametrize(
    "raw",
    [
        {"quiet_hours": False},
        {"guards": {"dnd": "off"}},
        {"daily_caps": {"SMS": 0}},
        {"daily_caps": {"SMS": 500}},
        {"skip_consent": True},
    ],
)
def test_no_location_setting_can_switch_a_guard_off(raw: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as error:
        parse_policy("L1", raw)
    assert "locations[L1].compliance" in str(error.value)


def test_location_caps_can_be_lowered() -> None:
    assert parse_policy("L1", {"daily_caps": {"SMS": 1}}).cap("SMS") == 1

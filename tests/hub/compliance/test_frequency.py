"""Guard 6: per-channel caps per rolling 24 h, and Florida-style 3-per-24-h state limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.compliance.frequency import PastSend, check_frequency
from hub.compliance.state_rules import STATE_RULES

NOW = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)


def sends(channel: str, *hours_ago: float) -> list[PastSend]:
    return [PastSend(channel, NOW - timedelta(hours=h)) for h in hours_ago]  # type: ignore[arg-type]


def test_under_the_cap_is_allowed() -> None:
    assert check_frequency("SMS", NOW, sends("SMS", 1, 2), cap=3, state_rule=None) is None


def test_at_the_cap_the_send_waits_until_the_oldest_ages_out() -> None:
    decision = check_frequency("SMS", NOW, sends("SMS", 1, 5, 20), cap=3, state_rule=None)
    assert decision is not None and decision.guard == "frequency"
    assert decision.until == NOW - timedelta(hours=20) + timedelta(hours=24)


def test_sends_older_than_a_day_and_other_channels_do_not_count() -> None:
    past = sends("SMS", 25, 30) + sends("Email", 1, 2, 3)
    assert check_frequency("SMS", NOW, past, cap=1, state_rule=None) is None


def test_florida_counts_texts_and_calls_together() -> None:
    florida = STATE_RULES["FL"]
    past = sends("SMS", 2) + sends("call_task", 3, 10)
    decision = check_frequency("SMS", NOW, past, cap=10, state_rule=florida)
    assert decision is not None and "Florida" in decision.reason
    assert decision.until == NOW - timedelta(hours=10) + timedelta(hours=24)
    # Email is not a telephone solicitation.
    assert check_frequency("Email", NOW, past, cap=10, state_rule=florida) is None

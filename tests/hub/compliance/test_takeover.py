"""Guard 7 at send time: no automated message after a human conversation started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.compliance.takeover import HumanActivity, check_takeover

STARTED = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)


def test_a_reply_after_the_enrollment_started_stops_messages() -> None:
    reply = HumanActivity(STARTED + timedelta(minutes=5), "inbound SMS reply")
    for channel in ("SMS", "Email"):
        decision = check_takeover(channel, reply, STARTED)
        assert decision is not None and decision.guard == "takeover" and not decision.failover_ok


def test_older_conversations_and_call_tasks_are_fine() -> None:
    assert (
        check_takeover("SMS", HumanActivity(STARTED - timedelta(days=1), "inbound SMS reply"), STARTED)
        is None
    )
    assert check_takeover("SMS", None, STARTED) is None
    reply = HumanActivity(STARTED + timedelta(minutes=5), "agent message (SMS)")
    assert check_takeover("call_task", reply, STARTED) is None

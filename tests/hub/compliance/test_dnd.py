"""Guard 2: DND on the stored state and on GHL's fresh answer."""

from __future__ import annotations

import pytest

from hub.compliance.dnd import check_dnd, check_fresh_dnd
from hub.ghl.models import Contact as GHLContact


@pytest.mark.parametrize("status", ["active", "permanent", "ACTIVE"])
def test_a_blocking_channel_status_suppresses_that_channel(status: str) -> None:
    decision = check_dnd("SMS", False, {"SMS": status})
    assert decision is not None and decision.guard == "dnd"
    assert decision.failover_ok  # email may still be tried
    assert check_dnd("Email", False, {"SMS": status}) is None


def test_inactive_or_missing_status_allows() -> None:
    assert check_dnd("SMS", False, {"SMS": "inactive"}) is None
    assert check_dnd("SMS", False, {}) is None


def test_the_all_channel_switch_blocks_everything_without_failover() -> None:
    for channel in ("SMS", "Email", "call_task"):
        decision = check_dnd(channel, True, {})
        assert decision is not None and not decision.failover_ok


def test_call_tasks_follow_the_call_channel() -> None:
    assert check_dnd("call_task", False, {"Call": "active"}) is not None
    assert check_dnd("call_task", False, {"SMS": "active"}) is None


def test_fresh_check_reads_ghls_contact() -> None:
    blocked = GHLContact.model_validate({"id": "c", "dndSettings": {"Email": {"status": "active"}}})
    assert check_fresh_dnd("Email", blocked) is not None
    assert check_fresh_dnd("SMS", blocked) is None
    everything = GHLContact.model_validate({"id": "c", "dnd": True})
    decision = check_fresh_dnd("SMS", everything)
    assert decision is not None and "fresh check" in decision.reason

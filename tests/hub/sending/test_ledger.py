"""The send ledger: one slot per enrollment step visit and channel; what was (maybe) sent stays sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from hub.sending.ledger import LedgerKey, record_skip, reserve, settle
from hub.workflows import enroll
from tests.hub.workflows.builders import T0, add_lead, add_location, publish, workflow_yaml


@pytest.fixture
def key(session: Session) -> LedgerKey:
    add_location(session)
    add_lead(session)
    publish(session, workflow_yaml("- {id: hello, type: send_sms, body: hi}"))
    enrollment = enroll(
        session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t"
    ).enrollment
    assert enrollment is not None
    return LedgerKey(enrollment.id, "hello", "SMS", "1")


IDS: dict[str, Any] = {"location_id": "L1", "contact_id": "C1"}


def test_a_slot_is_reserved_once(session: Session, key: LedgerKey) -> None:
    first = reserve(session, key, summary={"n": 1}, now=T0, **IDS)
    second = reserve(session, key, summary={"n": 2}, now=T0, **IDS)
    assert first.granted and not second.granted
    assert second.entry.id == first.entry.id and second.entry.request_summary == {"n": 1}


@pytest.mark.parametrize("status", ["deferred", "suppressed", "failed"])
def test_a_slot_where_nothing_was_sent_can_be_tried_again(
    session: Session, key: LedgerKey, status: str
) -> None:
    record_skip(session, key, status, "quiet hours", now=T0, **IDS)  # type: ignore[arg-type]
    again = reserve(session, key, summary={}, now=T0 + timedelta(hours=1), **IDS)
    assert again.granted and again.entry.status == "reserved" and again.entry.reason is None


@pytest.mark.parametrize("status", ["sent", "unknown"])
def test_a_slot_that_was_or_may_have_been_sent_is_never_reserved_again(
    session: Session, key: LedgerKey, status: str
) -> None:
    entry = reserve(session, key, summary={}, now=T0, **IDS).entry
    assert settle(session, entry.id, status, now=T0)  # type: ignore[arg-type]
    assert not reserve(session, key, summary={}, now=T0, **IDS).granted
    # A later "skip" cannot overwrite it either.
    assert record_skip(session, key, "deferred", "x", now=T0, **IDS).status == status


def test_settle_only_moves_rows_in_the_expected_state(session: Session, key: LedgerKey) -> None:
    entry = reserve(session, key, summary={}, now=T0, **IDS).entry
    assert settle(session, entry.id, "unknown", now=T0, reason="timeout")
    assert not settle(session, entry.id, "sent", now=T0)  # only from "reserved" by default
    assert settle(session, entry.id, "sent", now=T0, ghl_message_id="M1", from_status=("unknown",))

"""Guard 8 for SMS: which carrier reports mean "never text this number again"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.compliance.carrier import classify_refusal, undeliverable_streak
from hub.compliance.consent import check_opt_out
from tests.hub.workflows.builders import T0


@pytest.mark.parametrize(
    ("detail", "kind", "code"),
    [
        ("Message failed: 21610 - Attempt to send to unsubscribed recipient", "opted_out", "21610"),
        (["The message From/To pair violates a blacklist rule.", "Twilio error 30004"], "opted_out", "30004"),
        ("Error 30006: Landline or unreachable carrier", "undeliverable", "30006"),
        ("21614 'To' number is not a valid mobile number", "undeliverable", "21614"),
        ("The recipient has opted out of SMS from this number", "opted_out", None),
        ("Cannot send: the number is a landline", "undeliverable", None),
    ],
)
def test_refusals_that_name_a_carrier_block(detail: object, kind: str, code: str | None) -> None:
    block = classify_refusal(detail)
    assert block is not None and (block.kind, block.code) == (kind, code)
    assert (code or "carrier report") in block.rule


@pytest.mark.parametrize(
    "detail",
    [
        "Invalid fromNumber",
        "Cannot send message as DND is active for SMS.",
        "30003: Unreachable destination handset",  # phone off: may work later
        "30007: Carrier violation / message filtered",  # content, not the number
        "Error 40001 at 21:30",
        ["message is required for type SMS"],
    ],
)
def test_refusals_that_say_nothing_about_the_number(detail: object) -> None:
    assert classify_refusal(detail) is None


def test_two_undelivered_texts_in_a_row_mark_the_number_dead_a_delivery_clears_it() -> None:
    assert undeliverable_streak(["undelivered", "failed", "delivered"]) is not None
    assert undeliverable_streak(["undelivered", None, "pending", "undelivered"]) is not None
    assert undeliverable_streak(["undelivered"]) is None  # one failure proves nothing
    assert undeliverable_streak(["undelivered", "delivered", "undelivered"]) is None
    assert undeliverable_streak(["delivered", "undelivered", "undelivered"]) is None
    assert undeliverable_streak([]) is None


def test_a_carrier_opt_out_blocks_sms_for_that_number_only() -> None:
    evidence = {
        "carrier": {
            "kind": "opted_out",
            "code": "21610",
            "rule": "carrier error 21610 (...)",
            "phone": "+1 (512) 555-0143",
        }
    }
    at = T0 - timedelta(days=1)
    blocked = check_opt_out("SMS", True, at, evidence, "+15125550143")
    assert blocked is not None and blocked.guard == "opt_out" and blocked.failover_ok
    assert "carrier error 21610" in blocked.reason and "new phone number" in blocked.reason
    assert check_opt_out("SMS", True, at, evidence, "+15125550199") is None  # the lead changed number
    assert check_opt_out("Email", True, at, evidence, "+15125550143") is None
    stop = check_opt_out("SMS", True, at, {"rule": "keyword stop"}, "+15125550199")
    assert stop is not None and "only START re-subscribes" in stop.reason  # a STOP is the person's

"""The workflows panel: enrollments, sends, replies and A/B arms per workflow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hub.dashboard import workflow_performance
from tests.api.dashboard_queries.rows import OTHER, T0, add_enrollment, add_ledger_row, add_message
from tests.hub.leads import payloads as p
from tests.hub.store.builders import add_contact
from tests.hub.workflows.builders import publish, workflow_yaml

SPLIT = workflow_yaml(
    """
    - id: opener
      type: ab_split
      variants:
        - {name: short, weight: 50, next: short_text}
        - {name: long, weight: 50, next: long_text}
    - {id: short_text, type: send_sms, body: "Short hello", next: end}
    - {id: long_text, type: send_sms, body: "A much longer hello"}
    """,
    workflow_id="reengage",
)


def test_workflow_performance_counts_enrollments_sends_replies_and_arms(db: Session) -> None:
    publish(db, SPLIT)
    publish(db, workflow_yaml("- {id: hello, type: send_sms, body: Hi}", workflow_id="welcome"))
    for n in range(1, 6):
        add_contact(db, p.LOC, f"W{n}")
    arms = {"W1": "short", "W2": "short", "W3": "long", "W4": "long"}
    statuses = {"W1": "completed", "W2": "exited", "W3": "waiting", "W4": "failed"}
    enrollments = {
        contact_id: add_enrollment(
            db, contact_id, "reengage", status=statuses[contact_id], variants={"opener": arm}
        )
        for contact_id, arm in arms.items()
    }
    for contact_id in ("W1", "W2", "W3"):
        add_ledger_row(db, enrollments[contact_id], "sent", step_id=f"{arms[contact_id]}_text")
    add_ledger_row(db, enrollments["W4"], "failed", step_id="long_text")
    add_ledger_row(db, enrollments["W4"], "suppressed", step_id="long_text", attempt_key="2")
    add_message(db, "W1", "inbound", T0 + timedelta(hours=2))  # replied after enrolling
    add_message(db, "W3", "inbound", T0 - timedelta(days=1))  # before enrolling: not a reply to it
    add_message(db, "W3", "inbound", T0 + timedelta(days=1))  # ...but this one is
    add_message(db, "W2", "inbound", T0 - timedelta(minutes=1))  # before only: no reply
    welcome = add_enrollment(db, "W5", "welcome", status="active")
    add_ledger_row(db, welcome, "deferred")
    # Another location's enrollment of the same workflow stays out.
    add_contact(db, OTHER, "W1")
    add_enrollment(db, "W1", "reengage", location_id=OTHER, variants={"opener": "short"})

    first, second = workflow_performance(db, p.LOC)
    assert (first.workflow_id, first.name, second.workflow_id) == ("reengage", "Test reengage", "welcome")
    assert (first.enrolled, first.live, first.completed, first.exited, first.failed) == (4, 1, 1, 1, 1)
    assert first.sends == {
        "reserved": 0,
        "sent": 3,
        "failed": 1,
        "suppressed": 1,
        "deferred": 0,
        "unknown": 0,
    }
    assert (first.replied, first.reply_rate) == (2, 0.5)
    assert [(a.step_id, a.arm, a.enrolled, a.sent, a.replied, a.reply_rate) for a in first.arms] == [
        ("opener", "long", 2, 1, 1, 0.5),
        ("opener", "short", 2, 2, 1, 0.5),
    ]
    assert (second.enrolled, second.live, second.sends["deferred"], second.arms) == (1, 1, 1, [])

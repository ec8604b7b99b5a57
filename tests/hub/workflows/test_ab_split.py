"""A/B splits: weighted, and sticky per contact across visits, re-entries and versions."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.workflows import dispatch_due, enroll
from hub.workflows.flow_control import choose_variant
from hub.workflows.loader import parse_workflow
from hub.workflows.steps import AbSplit
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact, publish, workflow_yaml

SPLIT = workflow_yaml("""
    - id: opener
      type: ab_split
      variants:
        - {name: short, weight: 80, next: short_text}
        - {name: long, weight: 20, next: long_text}
    - {id: short_text, type: send_sms, body: "Short hello", next: end}
    - {id: long_text, type: send_sms, body: "A much longer hello"}
""")


def split_step() -> AbSplit:
    step = parse_workflow(SPLIT).definition.steps[0]
    assert isinstance(step, AbSplit)
    return step


def test_arms_follow_the_weights() -> None:
    step = split_step()
    counts = Counter(choose_variant("wf", step, f"contact-{i}").name for i in range(4000))
    assert 0.76 < counts["short"] / 4000 < 0.84


def test_the_same_contact_always_gets_the_same_arm() -> None:
    step = split_step()
    for i in range(50):
        arms = {choose_variant("wf", step, f"C{i}").name for _ in range(5)}
        assert len(arms) == 1
    # A different experiment (step) re-draws independently.
    other = step.model_copy(update={"id": "second_opener"})
    differs = sum(
        choose_variant("wf", step, f"C{i}") != choose_variant("wf", other, f"C{i}") for i in range(200)
    )
    assert differs > 20


def test_the_arm_is_recorded_and_sent(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    with make_session() as session:
        add_location(session)
        leads = [add_lead(session, contact_id=f"C{i}") for i in range(6)]
        standin.admin.seed_contacts("L1", [ghl_contact(lead) for lead in leads])
        publish(session, SPLIT)
        for lead in leads:
            enroll(session, location_id="L1", contact_id=lead.id, workflow_id="wf", now=T0, reason="t")
        session.commit()
    dispatch_due(make_session, ghl, now=T0)
    step = split_step()
    sent = {m["contactId"]: m["message"] for m in standin.admin.collection("L1", "messages")}
    for i in range(6):
        expected = (
            "Short hello" if choose_variant("wf", step, f"C{i}").name == "short" else "A much longer hello"
        )
        assert expected in sent[f"C{i}"]

"""The steering and CRM steps end to end against the GHL stand-in: tags, stage moves, notes,
enroll / exit, waits until a local time, goals that wait, caps across workflows, broken settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.store.models import Activity, Enrollment, Location, Opportunity, Pipeline, PipelineStage, User
from hub.workflows import WorkflowEvent, dispatch_due, enroll, react_to_events
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact, publish, workflow_yaml


def setup(make_session: sessionmaker[Session], standin: StandinHandle, *workflows: str, **lead: Any) -> None:
    with make_session() as session:
        add_location(session)
        contact = add_lead(session, **lead)
        standin.admin.seed_contacts("L1", [ghl_contact(contact)])
        for text in workflows:
            publish(session, text)
        first = workflows[0].split()[1]
        enroll(session, location_id="L1", contact_id=contact.id, workflow_id=first, now=T0, reason="t")
        session.commit()


def enrollments(make_session: sessionmaker[Session]) -> dict[str, tuple[str, str | None]]:
    with make_session() as session:
        rows = session.scalars(sa.select(Enrollment).order_by(Enrollment.id))
        return {row.workflow_id: (row.status, row.current_step_id) for row in rows}


def test_crm_steps(make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient) -> None:
    main = workflow_yaml(
        """
        - {id: tag, type: add_tag, tags: [hot, vip]}
        - {id: untag, type: remove_tag, tags: [buyer]}
        - {id: stage, type: move_stage, pipeline: Buyers, stage: Showing}
        - {id: tell, type: notify_agent, message: "{{ contact.first_name }} is hot"}
        - {id: start_other, type: enroll, workflow: other}
        - {id: stop_third, type: exit, workflow: third}
    """,
        workflow_id="main",
    )
    other = workflow_yaml("- {id: o, type: wait, duration: 1d}", workflow_id="other")
    third = workflow_yaml("- {id: w, type: wait, duration: 1d}", workflow_id="third")
    [pipeline] = standin.admin.seed_pipelines(
        "L1",
        [
            {
                "id": "P1",
                "name": "Buyers",
                "stages": [{"id": "S1", "name": "New"}, {"id": "S2", "name": "Showing"}],
            }
        ],
    )
    standin.admin.seed_opportunities(
        "L1", [{"id": "O1", "contactId": "C1", "pipelineId": "P1", "pipelineStageId": "S1", "name": "Dana"}]
    )
    with make_session() as session:
        add_location(session)
        contact = add_lead(session, assigned_user_id="U7")
        session.add(User(location_id="L1", id="U7", name="Sam Agent"))
        session.add(Pipeline(location_id="L1", id=pipeline["id"], name="Buyers"))
        session.flush()
        session.add_all(
            [
                PipelineStage(location_id="L1", id="S1", pipeline_id="P1", name="New", position=0),
                PipelineStage(location_id="L1", id="S2", pipeline_id="P1", name="Showing", position=1),
            ]
        )
        session.add(Opportunity(location_id="L1", id="O1", contact_id="C1", pipeline_id="P1", stage_id="S1"))
        standin.admin.seed_contacts("L1", [ghl_contact(contact)])
        for text in (main, other, third):
            publish(session, text)
        for workflow_id in ("main", "third"):
            enroll(session, location_id="L1", contact_id="C1", workflow_id=workflow_id, now=T0, reason="t")
        session.commit()
    dispatch_due(make_session, ghl, now=T0)
    [ghl_lead] = standin.admin.collection("L1", "contacts")
    assert sorted(ghl_lead["tags"]) == ["hot", "vip"]
    [opportunity] = standin.admin.collection("L1", "opportunities")
    assert opportunity["pipelineStageId"] == "S2"
    [note] = standin.admin.collection("L1", "notes")
    assert note["body"] == "Dana is hot" and note["userId"] == "U7"
    states = enrollments(make_session)
    assert states["main"][0] == "completed"
    assert states["other"][0] == "active" and states["third"][0] == "exited"
    with make_session() as session:
        kinds = session.scalars(sa.select(Activity.kind)).all()
    assert "agent_notified" in kinds


def test_wait_until_a_time_of_day_in_the_leads_zone(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    text = workflow_yaml("""
        - {id: morning, type: wait, until_time: "09:30", on_days: [mon]}
        - {id: hello, type: send_sms, body: "Good morning"}
    """)
    setup(make_session, standin, text, timezone="America/Los_Angeles")
    dispatch_due(make_session, ghl, now=T0)  # Thursday 10:00 in Los Angeles
    with make_session() as session:
        enrollment = session.scalars(sa.select(Enrollment)).one()
        assert enrollment.next_run_at == datetime(2026, 9, 14, 9, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    dispatch_due(make_session, ghl, now=datetime(2026, 9, 14, 9, 31, tzinfo=ZoneInfo("America/Los_Angeles")))
    [message] = standin.admin.collection("L1", "messages")
    assert message["message"].startswith("Oak Realty: Good")


def test_a_goal_that_waits_is_woken_by_its_event(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    text = workflow_yaml("""
        - {id: booked, type: goal, event: AppointmentCreate, on_reach: wait}
        - {id: celebrate, type: add_tag, tags: [booked]}
    """)
    setup(make_session, standin, text)
    dispatch_due(make_session, ghl, now=T0)
    assert enrollments(make_session)["wf"] == ("waiting", "booked")
    assert (
        dispatch_due(make_session, ghl, now=T0 + timedelta(days=30)).claimed == 0
    )  # waits for the event only
    with make_session() as session:
        react_to_events(
            session,
            "L1",
            [WorkflowEvent("AppointmentCreate", "C1", T0 + timedelta(days=31))],
            now=T0 + timedelta(days=31),
        )
        session.commit()
    dispatch_due(make_session, ghl, now=T0 + timedelta(days=31))
    assert enrollments(make_session)["wf"] == ("completed", "celebrate")
    assert "booked" in standin.admin.collection("L1", "contacts")[0]["tags"]


def test_caps_count_across_workflows(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    first = workflow_yaml("- {id: a, type: send_sms, body: one}", workflow_id="first")
    second = workflow_yaml("- {id: b, type: send_sms, body: two}", workflow_id="second")
    setup(make_session, standin, first, second)
    with make_session() as session:
        location = session.get(Location, "L1")
        assert location is not None
        location.compliance = {**(location.compliance or {}), "daily_caps": {"SMS": 1}}
        enroll(session, location_id="L1", contact_id="C1", workflow_id="second", now=T0, reason="t")
        session.commit()
    report = dispatch_due(make_session, ghl, now=T0)
    assert report.sends == {"sent": 1, "deferred": 1}
    with make_session() as session:
        deferred = session.scalars(sa.select(Enrollment).where(Enrollment.workflow_id == "second")).one()
        assert deferred.next_run_at == T0 + timedelta(hours=24)


def test_broken_location_settings_stop_sends_visibly(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    setup(make_session, standin, workflow_yaml("- {id: a, type: send_sms, body: one}"))
    with make_session() as session:
        location = session.get(Location, "L1")
        assert location is not None
        location.compliance = {"daily_caps": {"SMS": 999}}
        session.commit()
    dispatch_due(make_session, ghl, now=T0)
    assert standin.admin.collection("L1", "messages") == []
    with make_session() as session:
        enrollment = session.scalars(sa.select(Enrollment)).one()
        assert enrollment.status == "active" and enrollment.next_run_at == T0 + timedelta(minutes=15)
        [blocked] = [a for a in session.scalars(sa.select(Activity)) if a.payload.get("outcome") == "blocked"]
        assert "daily_caps.SMS = 999" in blocked.payload["reason"]

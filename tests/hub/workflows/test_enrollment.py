"""Versions, pinning, re-entry rules, hold/resume, and opt-in migration of in-flight enrollments."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import WorkflowError
from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.store.models import Enrollment, Workflow
from hub.workflows import dispatch_due, enroll, migrate_enrollments, resume_enrollment
from hub.workflows.enrollment import EnrollResult, hold, live_enrollments
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact, publish, workflow_yaml

V1 = workflow_yaml("""
    - {id: hello, type: send_sms, body: "Hello v1"}
    - {id: pause, type: wait, duration: 1d}
    - {id: follow_up, type: send_sms, body: "Follow-up v1"}
""")
V2 = workflow_yaml("""
    - {id: hello, type: send_sms, body: "Hello v2"}
    - {id: pause, type: wait, duration: 1d}
    - {id: new_offer, type: send_sms, body: "New offer v2"}
    - {id: follow_up, type: send_sms, body: "Follow-up v2"}
""")


def sms_bodies(standin: StandinHandle, contact_id: str) -> list[str]:
    return [m["message"] for m in standin.admin.collection("L1", "messages") if m["contactId"] == contact_id]


def test_publishing_numbers_versions_and_ignores_unchanged_yaml(session: Session) -> None:
    first = publish(session, V1)
    assert (first.version, first.active) == (1, True)
    assert publish(session, V1).version == 1
    second = publish(session, V2)
    assert second.version == 2
    versions = session.execute(sa.select(Workflow.version, Workflow.active).order_by(Workflow.version)).all()
    assert [tuple(v) for v in versions] == [(1, False), (2, True)]


def test_a_declared_version_must_move_forward(session: Session) -> None:
    publish(session, V1)
    publish(session, V2)
    with pytest.raises(WorkflowError, match="set `version: 3`"):
        publish(session, V1.replace("name:", "version: 2\nname:"))


def test_in_flight_leads_finish_on_their_version(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    with make_session() as session:
        add_location(session)
        early, late = add_lead(session, contact_id="C_early"), add_lead(session, contact_id="C_late")
        standin.admin.seed_contacts("L1", [ghl_contact(early), ghl_contact(late)])
        publish(session, V1)
        enroll(session, location_id="L1", contact_id="C_early", workflow_id="wf", now=T0, reason="test")
        session.commit()
    dispatch_due(make_session, ghl, now=T0)
    with make_session() as session:
        publish(session, V2, now=T0 + timedelta(hours=1))  # edited while C_early is waiting
        enroll(
            session,
            location_id="L1",
            contact_id="C_late",
            workflow_id="wf",
            now=T0 + timedelta(hours=1),
            reason="test",
        )
        session.commit()
    dispatch_due(make_session, ghl, now=T0 + timedelta(hours=1))
    dispatch_due(make_session, ghl, now=T0 + timedelta(days=1, hours=2))
    assert [b.split(" Reply")[0] for b in sms_bodies(standin, "C_early")] == [
        "Oak Realty: Hello v1",
        "Follow-up v1",
    ]
    assert [b.split(" Reply")[0] for b in sms_bodies(standin, "C_late")] == [
        "Oak Realty: Hello v2",
        "New offer v2",
        "Follow-up v2",
    ]
    with make_session() as session:
        pinned = dict(session.execute(sa.select(Enrollment.contact_id, Enrollment.workflow_version)).all())
    assert pinned == {"C_early": 1, "C_late": 2}


def test_re_entry_rules(session: Session) -> None:
    add_location(session)
    add_lead(session)
    publish(session, V1)
    first = enroll(session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t")
    assert first.enrollment is not None
    again = enroll(session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t")
    assert again.enrollment is None and again.skipped is not None and "already enrolled" in again.skipped
    first.enrollment.status = "completed"
    session.flush()
    after = enroll(session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t")
    assert after.skipped == "went through this workflow before and re-entry is not allowed"


def test_re_entry_with_cooldown(session: Session) -> None:
    add_location(session)
    add_lead(session)
    publish(
        session,
        workflow_yaml(
            "- {id: hello, type: send_sms, body: hi}", enrollment="re_entry: {allowed: true, cooldown: 7d}"
        ),
    )
    first = enroll(
        session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t"
    ).enrollment
    assert first is not None
    first.status = "exited"
    session.flush()
    soon = enroll(
        session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0 + timedelta(days=2), reason="t"
    )
    assert soon.skipped is not None and "cooldown" in soon.skipped
    later = enroll(
        session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0 + timedelta(days=8), reason="t"
    )
    assert later.enrollment is not None


def test_hold_and_resume(session: Session) -> None:
    add_location(session)
    add_lead(session)
    publish(session, V1)
    enrollment = enroll(
        session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t"
    ).enrollment
    assert enrollment is not None
    hold(session, enrollment, "the lead replied", now=T0)
    assert (enrollment.status, enrollment.next_run_at) == ("on_hold", None)
    resumed = resume_enrollment(session, enrollment.id, now=T0 + timedelta(hours=1), by="agent U1")
    assert resumed.status == "active" and resumed.context["takeover_cleared_at"].startswith(
        "2026-09-10T18:00"
    )
    with pytest.raises(WorkflowError, match="only an on-hold enrollment can be resumed"):
        resume_enrollment(session, enrollment.id, now=T0, by="agent U1")


def _waiting_lead(session: Session, contact_id: str) -> Enrollment:
    add_lead(session, contact_id=contact_id)
    enrollment = enroll(
        session, location_id="L1", contact_id=contact_id, workflow_id="wf", now=T0, reason="t"
    ).enrollment
    assert enrollment is not None
    enrollment.current_step_id = "pause"
    enrollment.context = {
        **enrollment.context,
        "visits": {"hello": 1, "pause": 1},
        "wait": {"step": "pause", "kind": "timer", "until": (T0 + timedelta(days=1)).isoformat()},
    }
    session.flush()
    return enrollment


def test_migration_refuses_unmapped_steps_and_changes_nothing(session: Session) -> None:
    add_location(session)
    publish(session, V1)
    lead = _waiting_lead(session, "C1")
    publish(session, V2)
    with pytest.raises(WorkflowError, match="step 'pause', which step_map does not map"):
        migrate_enrollments(session, "wf", from_version=1, to_version=2, step_map={}, now=T0)
    with pytest.raises(WorkflowError, match="new version does not have"):
        migrate_enrollments(session, "wf", from_version=1, to_version=2, step_map={"pause": "gone"}, now=T0)
    assert (lead.workflow_version, lead.current_step_id) == (1, "pause")


def test_migration_moves_leads_and_lists_what_they_will_not_get(session: Session) -> None:
    add_location(session)
    publish(session, V1)
    lead = _waiting_lead(session, "C1")
    publish(session, V2)
    report = migrate_enrollments(
        session, "wf", from_version=1, to_version=2, step_map={"pause": "pause"}, now=T0
    )
    [moved] = report.migrated
    assert (moved.from_step, moved.to_step, moved.not_run) == ("pause", "pause", ("hello",))
    assert (lead.workflow_version, lead.current_step_id) == (2, "pause")
    assert lead.context["wait"]["step"] == "pause" and lead.context["visits"]["pause"] == 1
    assert [e.id for e in live_enrollments(session, "L1", "C1")] == [lead.id]


def test_two_processors_enrolling_the_same_lead_at_once_enroll_it_once(
    make_session: sessionmaker[Session],
) -> None:
    with make_session() as session:
        add_location(session)
        add_lead(session)
        publish(session, V1)
        session.commit()
    results: list[object] = []

    def second_processor() -> None:
        with make_session() as other:
            results.append(
                enroll(other, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="dup")
            )
            other.commit()

    with make_session() as first:
        won = enroll(first, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="first")
        assert won.enrollment is not None
        thread = threading.Thread(target=second_processor)
        thread.start()
        time.sleep(0.5)  # the second one has read "no enrollment yet" and now waits on the insert
        first.commit()
    thread.join(timeout=20)
    [lost] = results
    assert isinstance(lost, EnrollResult)
    assert lost.enrollment is None and lost.skipped == "already enrolled (concurrently)"
    with make_session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) == 1

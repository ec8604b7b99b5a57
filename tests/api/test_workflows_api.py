"""The workflows API: list and read published workflows, validate drafts, dry-run for a location.

The real app on a real store (SQLite and PostgreSQL); dry runs run the real engine on their own
in-memory store, so nothing here reaches GHL.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hub.store.models import Enrollment, Location
from hub.tenancy import LocationCredentials, register_location
from hub.workflows.enrollment import enroll
from hub.workflows.loader import WorkflowDefinitionError, parse_workflow
from tests.hub.workflows.builders import COMPLIANCE, CONSENT, add_lead, publish, workflow_yaml

HELLO = workflow_yaml(
    """
    - {id: hello, type: send_sms, body: "Hello {{ contact.first_name }}"}
    - {id: pause, type: wait, duration: 1d}
    - {id: again, type: send_sms, body: "Second text"}
    """,
    triggers="- {event: ContactCreate}",
)
HELLO_V2 = HELLO.replace('"Hello {{ contact.first_name }}"', '"Hi again {{ contact.first_name }}"')
# Thursday noon in Chicago, the leads' zone: inside the allowed hours.
NOON = {"start": "2026-09-10T12:00", "tz": "America/Chicago"}
# Line 6, column 5: the misspelt key of the first step.
BAD = 'id: wf\nname: Test\nsteps:\n  - id: hello\n    type: send_sms\n    bdy: "Hello"\n'


@pytest.fixture
def second(session: Session) -> LocationCredentials:
    credentials = register_location(session, "LocB", name="B Realty", timezone="America/New_York")
    session.commit()
    return credentials


def _key(credentials: LocationCredentials) -> dict[str, str]:
    return {"x-hub-key": credentials.api_key}


def _sendable(session: Session, location_id: str) -> None:
    """What a location needs to send: a business name, an address, an unsubscribe link."""
    place = session.get(Location, location_id)
    assert place is not None
    place.postal_address = "100 Congress Ave, Austin, TX 78701"
    place.compliance = dict(COMPLIANCE)


def _enroll(session: Session, location_id: str, contact_id: str) -> None:
    now = datetime(2026, 9, 10, 17, 0, tzinfo=UTC)
    result = enroll(
        session, location_id=location_id, contact_id=contact_id, workflow_id="wf", now=now, reason="test"
    )
    assert result.enrollment is not None, result.skipped


def _sent(timeline: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in timeline["entries"] if e["kind"] == "sent"]


def test_list_counts_only_the_callers_locations_enrollments(
    client: TestClient, session: Session, location: LocationCredentials, second: LocationCredentials
) -> None:
    publish(session, HELLO)
    publish(session, HELLO_V2)
    for contact_id in ("A1", "A2"):
        add_lead(session, "LocA", contact_id)
        _enroll(session, "LocA", contact_id)
    for contact_id in ("B1", "B2", "B3"):
        add_lead(session, "LocB", contact_id)
        _enroll(session, "LocB", contact_id)
    session.execute(sa.update(Enrollment).where(Enrollment.contact_id == "A2").values(status="completed"))
    session.commit()

    listed = client.get("/workflows", headers=_key(location))
    assert listed.status_code == 200
    [wf] = listed.json()
    assert (wf["id"], wf["name"], wf["version"], wf["active"], wf["active_version"]) == (
        "wf",
        "Test wf",
        2,
        True,
        2,
    )
    assert (wf["trigger_types"], wf["step_count"], wf["runs_here"]) == (["ContactCreate"], 3, True)
    assert wf["enrollments"] == {
        "active": 1,
        "waiting": 0,
        "on_hold": 0,
        "completed": 1,
        "exited": 0,
        "failed": 0,
    }
    other = client.get("/workflows", headers=_key(second)).json()
    assert other[0]["enrollments"]["active"] == 3 and other[0]["enrollments"]["completed"] == 0

    detail = client.get("/workflows/wf", headers=_key(location))
    assert detail.status_code == 200
    body = detail.json()
    assert body["source_yaml"] == HELLO_V2 and body["enrollments"]["active"] == 1
    assert [(v["version"], v["active"]) for v in body["versions"]] == [(2, True), (1, False)]
    missing = client.get("/workflows/nope", headers=_key(location))
    assert missing.status_code == 404 and "'nope'" in missing.json()["detail"]


def test_validate_reports_the_loaders_problems_with_their_lines(
    client: TestClient, location: LocationCredentials
) -> None:
    yaml_headers = {**_key(location), "content-type": "text/yaml"}
    good = client.post("/workflows/validate", content=HELLO, headers=yaml_headers)
    assert good.status_code == 200
    assert good.json() == {"valid": True, "id": "wf", "problems": [], "warnings": []}

    bad = client.post("/workflows/validate", content=BAD, headers=yaml_headers)
    assert bad.status_code == 200
    report = bad.json()
    assert report["valid"] is False and report["id"] == "wf"
    misspelt = next(p for p in report["problems"] if p["field"].endswith(".bdy"))
    assert (misspelt["line"], misspelt["field"]) == (6, "steps[0] (send_sms 'hello').bdy")
    assert misspelt["message"].startswith("unknown field 'bdy'; allowed here:")
    with pytest.raises(WorkflowDefinitionError) as loader:
        parse_workflow(BAD)
    expected = [(p.line, p.column, p.field, p.message) for p in loader.value.problems]
    assert [(p["line"], p["column"], p["field"], p["message"]) for p in report["problems"]] == expected


def test_validate_refuses_bodies_it_cannot_read(client: TestClient, location: LocationCredentials) -> None:
    yaml_headers = {**_key(location), "content-type": "application/yaml"}
    latin1 = client.post("/workflows/validate", content="name: Café".encode("latin-1"), headers=yaml_headers)
    assert latin1.status_code == 400 and "not UTF-8" in latin1.json()["detail"]
    huge = client.post("/workflows/validate", content=b"#" * (300 * 1024), headers=yaml_headers)
    assert huge.status_code == 413
    as_json = client.post("/workflows/validate", json={"yaml": HELLO}, headers=_key(location))
    assert as_json.status_code == 415 and "text/yaml" in as_json.json()["detail"]


def test_dry_run_of_a_stored_lead_sends_in_allowed_hours_and_dnd_skips(
    client: TestClient, session: Session, location: LocationCredentials
) -> None:
    _sendable(session, "LocA")
    publish(session, HELLO)
    publish(session, HELLO_V2)
    add_lead(session, "LocA", "C1")
    add_lead(session, "LocA", "C2", first_name="Rae", dnd_channels={"SMS": "active"})
    session.commit()

    answer = client.post(
        "/workflows/dry-run", json={"workflow_id": "wf", "contact_id": "C1", **NOON}, headers=_key(location)
    )
    assert answer.status_code == 200, answer.text
    timeline = answer.json()
    assert (timeline["dry_run"], timeline["location_id"], timeline["workflow_version"]) == (True, "LocA", 2)
    assert timeline["contact_id"] == "C1" and timeline["status"] == "completed"
    first = _sent(timeline)[0]
    assert first["step_id"] == "hello" and first["at"] == "2026-09-10T12:00:00-05:00"
    assert first["content"]["body"].startswith("Oak Realty: Hi again Dana")
    assert "enrolled in wf v2" in timeline["entries"][0]["summary"]

    older = client.post(
        "/workflows/dry-run",
        json={"workflow_id": "wf", "version": 1, "contact_id": "C2", **NOON},
        headers=_key(location),
    )
    assert older.status_code == 200, older.text
    dnd = older.json()
    assert dnd["workflow_version"] == 1 and _sent(dnd) == []
    skipped = [e for e in dnd["entries"] if e["kind"] == "skipped"]
    assert [(e["step_id"], e["guard"]) for e in skipped] == [("hello", "dnd"), ("again", "dnd")]
    assert "DND for SMS is active" in skipped[0]["reason"]

    no_version = client.post(
        "/workflows/dry-run",
        json={"workflow_id": "wf", "version": 7, "contact_id": "C1"},
        headers=_key(location),
    )
    assert no_version.status_code == 404 and "versions: 1, 2" in no_version.json()["detail"]
    unknown = client.post(
        "/workflows/dry-run", json={"workflow_id": "nope", "contact_id": "C1"}, headers=_key(location)
    )
    assert unknown.status_code == 404 and "'nope'" in unknown.json()["detail"]


def test_dry_run_of_a_draft_with_an_inline_lead(client: TestClient, location: LocationCredentials) -> None:
    lead = {"first_name": "Dana", "phone": "+15125550143", "timezone": "America/Chicago", "consent": CONSENT}
    # Reply three hours in: the enrollment exits and the second text never goes.
    events = [{"after": "3h", "type": "InboundMessage", "body": "Who is this?"}]
    answer = client.post(
        "/workflows/dry-run",
        json={"yaml": HELLO, "contact": lead, "events": events, **NOON},
        headers=_key(location),
    )
    assert answer.status_code == 200, answer.text
    timeline = answer.json()
    assert timeline["dry_run"] is True and timeline["workflow_version"] is None
    assert [e["step_id"] for e in _sent(timeline)] == ["hello"]
    assert timeline["status"] == "exited" and "the lead replied" in timeline["exit_reason"]

    invalid = client.post("/workflows/dry-run", json={"yaml": BAD, "contact": lead}, headers=_key(location))
    assert invalid.status_code == 422
    assert any(p["line"] == 6 and p["field"].endswith(".bdy") for p in invalid.json()["detail"]["problems"])
    bad_event = client.post(
        "/workflows/dry-run",
        json={"yaml": HELLO, "contact": lead, "events": [{"after": "1h", "type": "Reply"}]},
        headers=_key(location),
    )
    assert bad_event.status_code == 422
    assert bad_event.json()["detail"].startswith("events[0]: type: Value error, unknown event type 'Reply'")
    both = client.post(
        "/workflows/dry-run",
        json={"yaml": HELLO, "workflow_id": "wf", "contact": lead},
        headers=_key(location),
    )
    assert both.status_code == 422 and "exactly one of workflow_id" in both.text


def test_another_locations_lead_reads_like_a_missing_one(
    client: TestClient, session: Session, location: LocationCredentials, second: LocationCredentials
) -> None:
    publish(session, HELLO)
    add_lead(session, "LocB", "B1")
    # LocB keeps its leads quiet until 13:00 (their zone, Chicago): the dry run uses its settings.
    place = session.get(Location, "LocB")
    assert place is not None
    place.quiet_hours_end = time(13, 0)
    session.commit()
    request = {"workflow_id": "wf", "contact_id": "B1", **NOON}
    crossed = client.post("/workflows/dry-run", json=request, headers=_key(location))
    missing = client.post("/workflows/dry-run", json={**request, "contact_id": "ZZ"}, headers=_key(location))
    assert (crossed.status_code, missing.status_code) == (404, 404)
    assert crossed.json()["detail"] == missing.json()["detail"].replace("ZZ", "B1")
    own = client.post("/workflows/dry-run", json=request, headers=_key(second))
    assert own.status_code == 200 and own.json()["location_id"] == "LocB"
    deferred = next(e for e in own.json()["entries"] if e["kind"] == "deferred")
    assert (deferred["step_id"], deferred["guard"]) == ("hello", "quiet_hours")
    assert _sent(own.json())[0]["at"] == "2026-09-10T13:00:00-05:00"


def test_every_endpoint_needs_a_location_key(client: TestClient, location: LocationCredentials) -> None:
    yaml_headers = {"content-type": "text/yaml"}
    answers = [
        client.get("/workflows"),
        client.get("/workflows/wf"),
        client.post("/workflows/validate", content=HELLO, headers=yaml_headers),
        client.post("/workflows/dry-run", json={"yaml": HELLO, "contact": {}}),
        client.get("/workflows", headers={"x-hub-key": "hub_not-a-key"}),
    ]
    assert [a.status_code for a in answers] == [401] * 5

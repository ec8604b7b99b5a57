"""Dry runs (`simulate`, `hub workflows simulate`): the real engine and guards on a virtual clock, a
private in-memory store, and nothing sent to GHL."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.ghl.standin import StandinHandle
from hub.workflows.loader import load_workflow, parse_workflow
from hub.workflows.simulate import simulate
from hub.workflows.simulate_inputs import SimulationInputError, parse_events
from tests.hub.workflows.builders import CONSENT, workflow_yaml

TEMPLATES = Path(__file__).resolve().parents[3] / "workflow_templates"
LA = ZoneInfo("America/Los_Angeles")
DANA = {
    "first_name": "Dana",
    "phone": "+13105550143",
    "email": "dana@example.com",
    "timezone": "America/Los_Angeles",
    "tags": ["buyer"],
    "consent": CONSENT,
}
TEXT_WAIT_TEXT = parse_workflow(
    workflow_yaml("""
        - {id: hello, type: send_sms, body: "Hello {{ contact.first_name }}"}
        - {id: pause, type: wait, duration: 1d}
        - {id: again, type: send_sms, body: "Second text"}
    """)
).definition


def test_a_lead_created_at_21_30_in_los_angeles_gets_the_text_at_8_am_with_the_reason() -> None:
    loaded = load_workflow(TEMPLATES / "new_buyer_speed_to_lead.yaml")
    timeline = simulate(loaded, DANA, start=datetime(2026, 9, 10, 21, 30), tz="America/Los_Angeles")
    deferred = [e for e in timeline.entries if e.step_id == "first_text" and e.kind == "deferred"]
    assert len(deferred) == 1
    assert deferred[0].at == datetime(2026, 9, 10, 21, 30, tzinfo=LA)
    assert deferred[0].until == datetime(2026, 9, 11, 8, 0, tzinfo=LA)
    assert deferred[0].guard == "quiet_hours"
    assert "Thu 21:30 America/Los_Angeles is outside the allowed window" in (deferred[0].reason or "")
    [text] = [e for e in timeline.of_kind("sent") if e.step_id == "first_text"]
    assert text.at == datetime(2026, 9, 11, 8, 0, tzinfo=LA) and text.channel == "SMS"
    assert text.content is not None and text.content["body"].endswith("Reply STOP to opt out.")
    # The lead never answered: the timeout path texts again the next day, also inside allowed hours.
    assert timeline.status == "completed"
    second = [e for e in timeline.of_kind("sent") if e.step_id == "second_text"]
    assert len(second) == 1 and 8 <= timeline.local(second[0].at).hour < 21


def test_a_reply_stops_the_enrollment_and_nothing_more_is_sent() -> None:
    events = [{"after": "3h", "type": "InboundMessage", "body": "Who is this?"}]
    timeline = simulate(
        TEXT_WAIT_TEXT, DANA, events, start=datetime(2026, 9, 10, 10, 0), tz="America/Los_Angeles"
    )
    assert [e.step_id for e in timeline.of_kind("sent")] == ["hello"]
    assert timeline.status == "exited" and "the lead replied" in (timeline.exit_reason or "")
    [event] = timeline.of_kind("event")
    assert event.at == datetime(2026, 9, 10, 13, 0, tzinfo=LA)
    assert [c.path for c in timeline.ghl_calls if c.method == "POST"] == ["/conversations/messages"]


def test_an_inbound_stop_opts_out_and_a_dnd_change_blocks_the_channel() -> None:
    hold = workflow_yaml(
        """
        - {id: hello, type: send_sms, body: "Hello"}
        - {id: pause, type: wait, duration: 1d}
        - {id: again, type: send_sms, body: "Second text"}
        """,
        enrollment="stop_on_reply: hold",
    )
    definition = parse_workflow(hold).definition
    dnd = [{"after": "2h", "type": "ContactDndUpdate", "channels": {"SMS": "active"}}]
    timeline = simulate(definition, DANA, dnd, start=datetime(2026, 9, 10, 10, 0), tz="America/Los_Angeles")
    [skipped] = timeline.of_kind("skipped")
    assert (
        skipped.step_id == "again" and skipped.guard == "dnd" and "DND for SMS is active" in skipped.summary
    )
    stop = [{"after": "2h", "type": "InboundMessage", "body": "STOP"}]
    timeline = simulate(definition, DANA, stop, start=datetime(2026, 9, 10, 10, 0), tz="America/Los_Angeles")
    assert timeline.status == "exited" and "opted out" in (timeline.exit_reason or "")
    assert "SMS opt-out recorded" in timeline.of_kind("event")[0].summary


def test_nothing_reaches_ghl_and_no_configured_store_is_touched(
    standin: StandinHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "hub.db"
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite:///{store}")
    monkeypatch.setenv("HUB_GHL_BASE_URL", standin.base_url)
    loaded = load_workflow(TEMPLATES / "new_buyer_speed_to_lead.yaml")
    timeline = simulate(loaded, DANA, start=datetime(2026, 9, 10, 12, 0), tz="America/Los_Angeles")
    assert len(timeline.of_kind("sent")) >= 3  # the dry run did "send": to its recorder only
    assert standin.admin.requests() == []
    assert not store.exists()


def test_the_leads_agent_and_the_location_render_as_in_a_real_send() -> None:
    loaded = load_workflow(TEMPLATES / "new_buyer_speed_to_lead.yaml")
    lead = {**DANA, "agent": {"name": "Sam Lee", "email": "sam@oak.example"}}
    place = {"name": "Oak Realty", "timezone": "America/Chicago", "postal_address": "100 Congress Ave"}
    timeline = simulate(
        loaded, lead, start=datetime(2026, 9, 10, 12, 0), tz="America/Los_Angeles", location=place
    )
    [text] = [e for e in timeline.of_kind("sent") if e.step_id == "first_text"]
    assert text.content is not None
    assert text.content["body"].startswith("Hi Dana, it's Sam with Oak Realty.")
    assert timeline.notes == (
        "the lead was enrolled at the start; the workflow's triggers were not evaluated",
    )


def test_the_timeline_is_plain_json_for_the_api() -> None:
    timeline = simulate(TEXT_WAIT_TEXT, DANA, start=datetime(2026, 9, 10, 22, 0), tz="America/Los_Angeles")
    data = json.loads(json.dumps(timeline.to_dict()))
    assert data["workflow_id"] == "wf" and data["zone"] == "America/Los_Angeles"
    deferred = next(e for e in data["entries"] if e["kind"] == "deferred")
    assert deferred["until"] == "2026-09-11T08:00:00-07:00"


def test_bad_inputs_name_the_line_and_the_field() -> None:
    with pytest.raises(
        SimulationInputError, match=r"events:2: type: Value error, unknown event type 'Reply'"
    ):
        parse_events('{"after": "1h", "type": "InboundMessage"}\n{"after": "2h", "type": "Reply"}\n')
    with pytest.raises(SimulationInputError, match=r"events:1: not valid JSON"):
        parse_events("{after: 1h}")
    with pytest.raises(SimulationInputError, match=r"events\[0\]: give exactly one of `at`"):
        simulate(TEXT_WAIT_TEXT, DANA, [{"type": "InboundMessage"}], start=datetime(2026, 9, 10, 10, 0))
    with pytest.raises(SimulationInputError, match=r"contact: fist_name: Extra inputs are not permitted"):
        simulate(TEXT_WAIT_TEXT, {"fist_name": "Dana"}, start=datetime(2026, 9, 10, 10, 0))
    with pytest.raises(
        SimulationInputError, match=r"contact: timezone: .*'Pacific' is not an IANA time zone"
    ):
        simulate(TEXT_WAIT_TEXT, {**DANA, "timezone": "Pacific"}, start=datetime(2026, 9, 10, 10, 0))


def test_the_cli_prints_the_timeline(tmp_path: Path) -> None:
    contact = tmp_path / "dana.json"
    contact.write_text(json.dumps(DANA))
    events = tmp_path / "events.jsonl"
    events.write_text('{"after": "11h", "type": "InboundMessage", "body": "yes, call me"}\n')
    result = CliRunner().invoke(
        app,
        [
            "workflows",
            "simulate",
            str(TEMPLATES / "new_buyer_speed_to_lead.yaml"),
            "--contact",
            str(contact),
            "--events",
            str(events),
            "--start",
            "2026-09-10T21:30",
            "--tz",
            "America/Los_Angeles",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "deferred" in result.output and "quiet_hours" in result.output
    assert "Fri Sep 11 08:00" in result.output and "dry run: nothing was sent" in result.output
    bad = CliRunner().invoke(
        app,
        [
            "workflows",
            "simulate",
            str(TEMPLATES / "re_engagement.yaml"),
            "--contact",
            "{}",
            "--events",
            "{nope",
        ],
    )
    assert bad.exit_code != 0 and "events:1: not valid JSON" in bad.output

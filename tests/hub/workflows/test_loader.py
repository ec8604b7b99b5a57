"""Loading workflow YAML: errors name the file, the line and the field, and say what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.workflows.loader import (
    Problem,
    WorkflowDefinitionError,
    load_workflow,
    parse_workflow,
    validate_folder,
)
from hub.workflows.steps import SendSms, Wait
from tests.hub.workflows.builders import workflow_yaml

TEMPLATES = Path(__file__).resolve().parents[3] / "workflow_templates"


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(WorkflowDefinitionError) as error:
        parse_workflow(text, "flows/demo.yaml")
    return error.value.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_valid_workflow_loads_with_defaults() -> None:
    text = workflow_yaml("""
        - id: hello
          type: send_sms
          body: "Hi {{ contact.first_name }}"
        - id: pause
          type: wait
          duration: 1d12h
    """)
    loaded = parse_workflow(text)
    steps = loaded.definition.steps
    assert isinstance(steps[0], SendSms) and isinstance(steps[1], Wait)
    assert steps[1].duration is not None and steps[1].duration.total_seconds() == 36 * 3600
    assert loaded.definition.following("hello") == "pause"
    assert loaded.definition.following("pause") == "end"
    assert loaded.definition.enrollment.stop_on_reply == "exit"  # stop on reply is on by default
    assert len(loaded.checksum) == 64


def test_errors_point_at_file_line_and_field() -> None:
    text = workflow_yaml("""
        - id: hello
          type: send_sms
          body: "Hi {{ contcat.first_name }}"
        - id: pause
          type: wait
          duration: 2 days
    """)
    found = problems_of(text)
    assert [p.line for p in found] == [line_of(text, "contcat"), line_of(text, "2 days")]
    template, duration = found
    assert template.file == "flows/demo.yaml"
    assert template.field == "steps[0] (send_sms 'hello').body"
    assert "unknown template variable 'contcat'" in template.message and "contact" in template.message
    assert duration.field == "steps[1] (wait 'pause').duration"
    assert "write a number and a unit" in duration.message
    assert str(template).startswith(f"flows/demo.yaml:{template.line}:")


def test_an_unknown_step_type_lists_the_allowed_ones() -> None:
    text = workflow_yaml("""
        - id: fax_it
          type: send_fax
    """)
    [problem] = problems_of(text)
    assert problem.line == line_of(text, "id: fax_it")
    assert "unknown step type 'send_fax'" in problem.message and "send_sms" in problem.message


def test_dangling_references_are_errors() -> None:
    text = workflow_yaml("""
        - id: check
          type: branch
          branches:
            - if: "has_tag('vip')"
              next: vip_path
          else: nowhere
        - id: vip_path
          type: add_tag
          tags: [vip]
          next: also_nowhere
    """)
    found = problems_of(text)
    assert {p.field for p in found} == {
        "steps[0] (branch 'check').else",
        "steps[1] (add_tag 'vip_path').next",
    }
    assert all("does not exist" in p.message for p in found)
    assert found[0].line == line_of(text, "else: nowhere")


def test_unknown_fields_say_which_are_allowed() -> None:
    text = workflow_yaml("""
        - id: hello
          type: send_sms
          body: hi
          bodyy: typo
    """)
    [problem] = problems_of(text)
    assert problem.line == line_of(text, "bodyy")
    assert "unknown field 'bodyy'" in problem.message and "fallback_email" in problem.message


def test_missing_fields_and_bad_conditions() -> None:
    text = workflow_yaml("""
        - id: hello
          type: send_email
          subject: hi
        - id: check
          type: branch
          branches:
            - if: "scor > 0.7"
              next: hello
    """)
    found = problems_of(text)
    assert found[0].field == "steps[0] (send_email 'hello').html" and found[0].message == "is required"
    assert found[1].line == line_of(text, "scor > 0.7") and "unknown name 'scor'" in found[1].message


def test_duplicate_keys_and_ids_are_caught() -> None:
    text = workflow_yaml("""
        - id: hello
          type: send_sms
          body: one
          body: two
        - id: hello
          type: add_tag
          tags: [x]
    """)
    found = problems_of(text)
    messages = [p.message for p in found]
    assert any("'body' appears twice" in m for m in messages)
    assert any("already used by steps[0]" in m for m in messages)


def test_yaml_syntax_errors_have_a_line() -> None:
    [problem] = problems_of("id: x\nname: y\nsteps:\n  - id: a\n   type: [oops\n")
    assert problem.line is not None and problem.line >= 4
    assert "not valid YAML" in problem.message


@pytest.mark.parametrize(
    "enrollment",
    [
        "stop_on_reply: false",
        "stop_on_reply: continue",
        "on_agent_message: off",
        "quiet_hours: false",
        "ignore_dnd: true",
        "frequency_caps:\n  SMS: 100",
        "compliance: {consent: skip}",
    ],
)
def test_there_is_no_field_that_switches_a_guard_off(enrollment: str) -> None:
    text = workflow_yaml("- {id: hello, type: send_sms, body: hi}", enrollment=enrollment)
    found = problems_of(text)
    assert found and all(p.field.startswith("enrollment") for p in found)


def test_unreachable_steps_are_warnings_not_errors() -> None:
    text = workflow_yaml("""
        - {id: hello, type: send_sms, body: hi, next: end}
        - {id: orphan, type: add_tag, tags: [x]}
    """)
    loaded = parse_workflow(text)
    [warning] = loaded.warnings
    assert warning.severity == "warning" and "can never be reached" in warning.message


def test_wait_needs_exactly_one_kind() -> None:
    text = workflow_yaml("- {id: w, type: wait, duration: 1h, until_time: '09:00'}")
    [problem] = problems_of(text)
    assert "exactly one of duration, until_time or for_event" in problem.message


def test_event_fields_are_checked_against_the_event_type() -> None:
    text = workflow_yaml(
        "- {id: hello, type: send_sms, body: hi}",
        triggers="- {event: ListingInteraction, if: \"event.kindd == 'view'\"}",
    )
    [problem] = problems_of(text)
    assert problem.field == "triggers[0].if"
    assert "has no field 'kindd'" in problem.message and "kind" in problem.message


def test_the_shipped_templates_are_all_valid() -> None:
    assert validate_folder(TEMPLATES) == []
    names = {load_workflow(path).definition.id for path in TEMPLATES.glob("*.yaml")}
    assert {
        "new_buyer_speed_to_lead",
        "seller_lead_nurture",
        "re_engagement",
        "showing_follow_up",
        "long_term_nurture",
        "open_house_followup",
    } <= names


def test_validate_folder_reports_cross_file_problems(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        workflow_yaml("- {id: go, type: enroll, workflow: missing_one}", workflow_id="a")
    )
    (tmp_path / "b.yaml").write_text(workflow_yaml("- {id: hi, type: send_sms, body: hi}", workflow_id="a"))
    (tmp_path / "c.yml").write_text("id: [broken\n")
    found = validate_folder(tmp_path)
    text = "\n".join(str(p) for p in found)
    assert "workflow id 'a' is also used by a.yaml" in text
    assert "no workflow with id 'missing_one'" in text
    assert "c.yml:" in text and "not valid YAML" in text


def test_the_example_in_docs_workflows_md_loads() -> None:
    text = (TEMPLATES.parent / "docs" / "workflows.md").read_text()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert parse_workflow(example).definition.id == "re_engagement"

"""Message templates: sandboxed, strict about names, previewable exactly as they would be sent."""

from __future__ import annotations

import pytest

from hub.store.models import Location
from hub.workflows.loader import parse_workflow
from hub.workflows.preview import preview
from hub.workflows.templates import TemplateRenderError, check_template, render
from tests.hub.workflows.builders import COMPLIANCE, workflow_yaml

VARIABLES = {
    "contact": {"first_name": None, "name": "Dana"},
    "agent": {"first_name": "Sam"},
    "business": {"name": "Oak"},
    "location": {},
    "trigger": {},
}


def test_none_renders_as_empty_and_or_gives_a_fallback() -> None:
    assert render("Hi {{ contact.first_name }}!", VARIABLES) == "Hi !"
    assert render("Hi {{ contact.first_name or 'there' }}!", VARIABLES) == "Hi there!"


def test_unknown_names_fail_at_load_time() -> None:
    assert any("unknown template variable 'lead'" in p for p in check_template("{{ lead.name }}"))
    assert any("contact has no attribute 'nickname'" in p for p in check_template("{{ contact.nickname }}"))
    assert any("syntax error" in p for p in check_template("{{ contact.name "))
    assert check_template("{% set x = contact.name %}{{ x }} {{ trigger.anything }}") == []


def test_a_missing_value_at_render_time_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(TemplateRenderError, match="listing"):
        render("See {{ trigger.listing }}", VARIABLES)


def test_the_sandbox_refuses_python_internals() -> None:
    with pytest.raises(TemplateRenderError, match=r"sandbox|could not be rendered"):
        render("{{ contact.__class__.__mro__ }}", VARIABLES)


def test_html_bodies_escape_lead_data() -> None:
    variables = {**VARIABLES, "contact": {"first_name": "<script>x</script>"}}
    assert (
        render("<p>{{ contact.first_name }}</p>", variables, html=True)
        == "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    )


def test_an_unknown_variable_is_reported_with_its_step() -> None:
    with pytest.raises(Exception) as error:
        parse_workflow(workflow_yaml("- {id: intro, type: send_sms, body: 'Hi {{ contact.nick }}'}"))
    assert "steps[0] (send_sms 'intro').body" in str(error.value)


def location() -> Location:
    return Location(
        id="L1",
        name="Oak Realty Austin",
        timezone="America/Chicago",
        postal_address="100 Congress Ave, Austin",
        compliance=dict(COMPLIANCE),
    )


def test_preview_shows_the_sms_exactly_as_the_first_text_would_go_out() -> None:
    workflow = parse_workflow(
        workflow_yaml("- {id: intro, type: send_sms, body: 'Hi {{ contact.first_name }}!'}")
    )
    shown = preview(workflow.definition, "intro", {"first_name": "Dana"}, location=location())
    assert shown.channel == "SMS"
    assert shown.body == "Oak Realty: Hi Dana! Reply STOP to opt out."


def test_preview_of_an_email_includes_the_footer() -> None:
    workflow = parse_workflow(
        workflow_yaml(
            "- {id: mail, type: send_email, subject: 'Hi {{ contact.first_name }}', html: '<p>Homes</p>'}"
        )
    )
    shown = preview(workflow.definition, "mail", {"first_name": "Dana", "id": "C9"}, location=location())
    assert shown.subject == "Hi Dana"
    assert "https://hub.example/u/L1/C9" in shown.body and "100 Congress Ave" in shown.body


def test_preview_names_the_step_when_a_value_is_missing() -> None:
    workflow = parse_workflow(
        workflow_yaml("- {id: intro, type: send_sms, body: 'See {{ trigger.address }}'}")
    )
    with pytest.raises(TemplateRenderError, match="step intro"):
        preview(workflow.definition, "intro", {"first_name": "Dana"}, location=location())

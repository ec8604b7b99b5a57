"""See exactly what a step would send to a lead, without sending anything.

    preview(workflow, "first_touch", contact, location=location)
    -> Preview(channel="SMS", body="Oak Realty: Hi Dana, ... Reply STOP to opt out.", notes=(...))

Templates render with the same strict sandbox as real sends (an unknown variable raises
TemplateRenderError naming the step) and the compliance wording guard 5 would add is included, so
the preview is the message, not an approximation of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.compliance.first_message import prepare_email, prepare_sms
from hub.compliance.policy import parse_policy
from hub.store.models import Contact, Location
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.steps import CreateCallTask, NotifyAgent, SendEmail, SendSms
from hub.workflows.templates import TEMPLATE_VARIABLES, TemplateRenderError, render


@dataclass(frozen=True, slots=True)
class Preview:
    step_id: str
    channel: str
    subject: str | None
    body: str
    notes: tuple[str, ...] = ()


def _contact_fields(contact: Contact | Mapping[str, Any]) -> dict[str, Any]:
    names = TEMPLATE_VARIABLES["contact"] or ()
    if isinstance(contact, Contact):
        values = {name: getattr(contact, name, None) for name in names}
        values["custom"] = dict(contact.custom_fields or {})
        values["tags"] = list(contact.tags or [])
        return values
    return {name: contact.get(name) for name in names}


def preview(
    workflow: WorkflowDefinition,
    step_id: str,
    contact: Contact | Mapping[str, Any],
    *,
    location: Location | None = None,
    agent: Mapping[str, Any] | None = None,
    trigger: Mapping[str, Any] | None = None,
    first_sms: bool = True,
) -> Preview:
    """Render `step_id` for `contact` as it would be sent (`first_sms`: as the lead's first text)."""
    step = workflow.step(step_id)
    contact_id = contact.id if isinstance(contact, Contact) else str(contact.get("id", ""))
    policy = parse_policy(location.id, location.compliance) if location else None
    business = (policy.business_name if policy else None) or (location.name if location else "Your business")
    variables = {
        "contact": _contact_fields(contact),
        "agent": {"name": None, "first_name": None, "email": None, "phone": None, **(agent or {})},
        "business": {
            "name": business,
            "postal_address": location.postal_address if location else None,
            "help_text": location.help_text if location else None,
        },
        "location": {"id": location.id if location else "", "name": location.name if location else ""},
        "trigger": dict(trigger or {}),
    }
    try:
        if isinstance(step, SendSms):
            text, notes = prepare_sms(
                render(step.body, variables),
                business_name=business,
                first_sms=first_sms,
                last_opt_out_wording_at=None,
                now=datetime.now(UTC),
            )
            return Preview(step_id, "SMS", None, text, tuple(notes))
        if isinstance(step, SendEmail):
            subject, html = render(step.subject, variables), render(step.html, variables, html=True)
            prepared = prepare_email(
                html,
                business_name=business,
                postal_address=location.postal_address if location else None,
                unsubscribe_url=policy.unsubscribe_url if policy else None,
                location_id=location.id if location else "",
                contact_id=contact_id,
            )
            if isinstance(prepared, tuple):
                return Preview(step_id, "Email", subject, prepared[0], tuple(prepared[1]))
            return Preview(step_id, "Email", subject, html, (f"would be suppressed: {prepared.reason}",))
        if isinstance(step, CreateCallTask):
            body = render(step.body, variables) if step.body else ""
            return Preview(step_id, "call_task", render(step.title, variables), body)
        if isinstance(step, NotifyAgent):
            return Preview(step_id, "note", None, render(step.message, variables))
    except TemplateRenderError as exc:
        raise TemplateRenderError(f"step {step_id}: {exc}") from None
    raise ValueError(
        f"step {step_id!r} is a {type(step).__name__}; only message, task and notify steps preview"
    )

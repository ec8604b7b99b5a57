"""Builders for workflow tests: a location that can send, a consented lead, workflows from YAML."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.store.models import Contact, Location, Workflow
from hub.workflows.enrollment import publish_workflow
from hub.workflows.loader import parse_workflow

# Thursday 2026-09-10, 12:00 in Chicago: inside every calling window.
T0 = datetime(2026, 9, 10, 17, 0, tzinfo=UTC)
CONSENT = {
    "source": "website form /buy",
    "at": "2026-08-01T12:00:00Z",
    "wording": "I agree to receive automated texts from Oak Realty",
}
COMPLIANCE = {
    "business_name": "Oak Realty",
    "unsubscribe_url": "https://hub.example/u/{location_id}/{contact_id}",
}


def add_location(session: Session, location_id: str = "L1", **overrides: Any) -> Location:
    values: dict[str, Any] = {
        "name": "Oak Realty Austin",
        "timezone": "America/Chicago",
        "postal_address": "100 Congress Ave, Austin, TX 78701",
        "compliance": dict(COMPLIANCE),
    }
    values.update(overrides)
    location = Location(id=location_id, **values)
    session.add(location)
    session.flush()
    return location


def add_lead(session: Session, location_id: str = "L1", contact_id: str = "C1", **overrides: Any) -> Contact:
    values: dict[str, Any] = {
        "first_name": "Dana",
        "name": "Dana Ruiz",
        "phone": "+15125550143",
        "email": "dana@example.com",
        "timezone": "America/Chicago",
        "consent": dict(CONSENT),
        "tags": ["buyer"],
        "date_added": T0,
    }
    values.update(overrides)
    contact = Contact(location_id=location_id, id=contact_id, **values)
    session.add(contact)
    session.flush()
    return contact


def workflow_yaml(steps: str, *, workflow_id: str = "wf", enrollment: str = "", triggers: str = "") -> str:
    """A workflow file from indented YAML blocks for steps (and optionally enrollment / triggers)."""
    text = f"id: {workflow_id}\nname: Test {workflow_id}\n"
    if triggers:
        text += "triggers:\n" + textwrap.indent(textwrap.dedent(triggers).strip("\n"), "  ") + "\n"
    if enrollment:
        text += "enrollment:\n" + textwrap.indent(textwrap.dedent(enrollment).strip("\n"), "  ") + "\n"
    return text + "steps:\n" + textwrap.indent(textwrap.dedent(steps).strip("\n"), "  ") + "\n"


def publish(session: Session, yaml_text: str, *, now: datetime = T0) -> Workflow:
    return publish_workflow(session, parse_workflow(yaml_text, "test.yaml"), now=now)


def ghl_contact(contact: Contact, **overrides: Any) -> dict[str, Any]:
    """The stand-in's copy of a store contact (same id), as GHL would hold it."""
    body: dict[str, Any] = {
        "id": contact.id,
        "firstName": contact.first_name,
        "phone": contact.phone,
        "email": contact.email,
        "tags": list(contact.tags or []),
        "dnd": False,
        "dndSettings": {"SMS": {"status": "inactive"}, "Email": {"status": "inactive"}},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}

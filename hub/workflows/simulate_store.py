"""The dry run's private store (hub.workflows.simulate): an in-memory SQLite database with the
production schema, seeded with the location, the lead (and its agent), the workflow and the
enrollment; and the same lead as GHL holds it, for the recorder.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from hub.store.engine import alembic_config
from hub.store.models import Contact, Location, User
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.enrollment import enroll, publish_workflow
from hub.workflows.loader import LoadedWorkflow, checksum_of
from hub.workflows.simulate_clock import aware
from hub.workflows.simulate_inputs import SimContact, SimLocation
from hub.workflows.simulate_run import SimRun, collect

# Contact columns the input gives as they are; the others are derived in `seed`.
CONTACT_FIELDS = {
    "first_name",
    "last_name",
    "email",
    "phone",
    "source",
    "tags",
    "custom_fields",
    "timezone",
    "state",
    "postal_code",
    "dnd",
    "dnd_channels",
    "sms_opted_out",
    "consent",
}


def memory_store() -> Engine:
    """A private SQLite database in memory (one shared connection), with the store's schema."""
    engine = sa.create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    config = alembic_config("sqlite://")
    with engine.begin() as connection:
        # The real migrations, not metadata.create_all: the schema is exactly the production one.
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:  # outside a transaction, where SQLite honours it
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    return engine


def ghl_contact(lead: SimContact) -> dict[str, Any]:
    """The contact as GHL would hold it (what the fresh DND check reads)."""
    settings = {channel: {"status": status} for channel, status in lead.dnd_channels.items()}
    if lead.sms_opted_out:
        settings["SMS"] = {"status": "active"}
    body = {
        "id": lead.id,
        "firstName": lead.first_name,
        "lastName": lead.last_name,
        "name": lead.full_name,
        "email": lead.email,
        "phone": lead.phone,
        "tags": list(lead.tags),
        "dnd": lead.dnd,
        "dndSettings": settings,
        "timezone": lead.timezone,
        "source": lead.source,
    }
    return {k: v for k, v in body.items() if v is not None}


def seed(
    run: SimRun,
    workflow: WorkflowDefinition | LoadedWorkflow,
    lead: SimContact,
    place: SimLocation,
    office_zone: str,
    start: datetime,
) -> None:
    """Write the location, the lead and the published workflow, and enroll the lead at `start`."""
    if isinstance(workflow, WorkflowDefinition):
        text = json.dumps(workflow.to_json(), sort_keys=True)
        workflow = LoadedWorkflow(workflow, text, checksum_of(text), "<simulation>")
    with run.sessions() as session:
        session.add(Location(**{**place.model_dump(), "timezone": office_zone}))
        session.flush()  # the unit of work does not order these rows by foreign key: location first
        agent_id = None
        if lead.agent is not None:
            agent_id = "sim-agent"
            session.add(User(location_id=place.id, id=agent_id, **lead.agent.model_dump()))
        session.add(
            Contact(
                **lead.model_dump(include=CONTACT_FIELDS),
                location_id=place.id,
                id=lead.id,
                name=lead.full_name,
                assigned_user_id=agent_id,
                sms_opted_out_at=start if lead.sms_opted_out else None,
                date_added=aware(lead.date_added, run.zone) if lead.date_added else start,
            )
        )
        session.flush()
        publish_workflow(session, workflow, now=start)
        enroll(
            session,
            location_id=place.id,
            contact_id=lead.id,
            workflow_id=run.definition.id,
            now=start,
            reason="dry run",
        )
        session.commit()
    collect(run)

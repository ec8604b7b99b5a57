"""What conditions and templates see about a lead, read from the store in one place.

`lead_facts` gives the names of the condition language (hub.workflows.conditions.CONTACT_NAMES);
`template_variables` the objects templates use (contact, agent, business, location, trigger).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.compliance.policy import LocationPolicy
from hub.store.models import Contact, Location, Message, Opportunity, Pipeline, PipelineStage, Score, User


def _days_since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round((now - moment).total_seconds() / 86_400, 2)


def contact_profile(contact: Contact) -> dict[str, Any]:
    """The profile fields both conditions and message templates read."""
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "source": contact.source,
        "tags": list(contact.tags or []),
        "custom": dict(contact.custom_fields or {}),
        "state": contact.state,
        "postal_code": contact.postal_code,
    }


def lead_facts(session: Session, contact: Contact, *, now: datetime) -> dict[str, Any]:
    """The condition names for one contact (None where the store knows nothing)."""
    location_id, contact_id = contact.location_id, contact.id
    facts: dict[str, Any] = {
        **contact_profile(contact),
        "timezone": contact.timezone,
        "assigned_user_id": contact.assigned_user_id,
        "has_phone": bool((contact.phone or "").strip()),
        "has_email": bool((contact.email or "").strip()),
        "days_since_created": _days_since(contact.date_added, now),
    }
    facts.update(_opportunity(session, location_id, contact_id))
    for kind, prefix in (("conversion", ""), ("churn", "churn_")):
        latest = session.scalars(
            sa.select(Score)
            .where(Score.location_id == location_id, Score.contact_id == contact_id, Score.kind == kind)
            .order_by(Score.scored_at.desc(), Score.id.desc())
            .limit(1)
        ).first()
        facts[f"{prefix}score"] = latest.probability if latest else None
        facts[f"{prefix}tier"] = latest.tier if latest else None
    for direction in ("inbound", "outbound"):
        last = session.scalar(
            sa.select(sa.func.max(Message.occurred_at)).where(
                Message.location_id == location_id,
                Message.contact_id == contact_id,
                Message.direction == direction,
            )
        )
        facts[f"days_since_{direction}"] = _days_since(last, now)
    return facts


def _opportunity(session: Session, location_id: str, contact_id: str) -> dict[str, Any]:
    row = session.execute(
        sa.select(Opportunity.status, Pipeline.name, PipelineStage.name)
        .outerjoin(
            Pipeline,
            sa.and_(Pipeline.location_id == Opportunity.location_id, Pipeline.id == Opportunity.pipeline_id),
        )
        .outerjoin(
            PipelineStage,
            sa.and_(
                PipelineStage.location_id == Opportunity.location_id, PipelineStage.id == Opportunity.stage_id
            ),
        )
        .where(Opportunity.location_id == location_id, Opportunity.contact_id == contact_id)
        .order_by((Opportunity.status == "open").desc(), Opportunity.updated_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return {"opportunity_status": None, "pipeline": None, "stage": None}
    return {"opportunity_status": row[0], "pipeline": row[1], "stage": row[2]}


def template_variables(
    session: Session,
    contact: Contact,
    location: Location,
    policy: LocationPolicy,
    trigger: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The variables a message template renders with."""
    agent = None
    if contact.assigned_user_id:
        agent = session.get(User, (contact.location_id, contact.assigned_user_id))
    agent_name = agent.name if agent and agent.name else None
    return {
        "contact": contact_profile(contact),
        "agent": {
            "name": agent_name,
            "first_name": agent_name.split()[0] if agent_name else None,
            "email": agent.email if agent else None,
            "phone": agent.phone if agent else None,
        },
        "business": {
            "name": policy.business_name or location.name,
            "postal_address": location.postal_address,
            "help_text": location.help_text,
        },
        "location": {"id": location.id, "name": location.name},
        "trigger": dict(trigger or {}),
    }

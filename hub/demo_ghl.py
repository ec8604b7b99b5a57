"""The demo's GHL side: the stand-in server, its locations and tokens, and the workflows it runs.

A real deployment points HUB_GHL_BASE_URL at GHL and names each location's token by `token_ref`;
the demo does exactly that with the local stand-in, so the same dispatch code path runs.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hub.ghl.standin_admin import StandinAdmin
from hub.store.models import Contact, Location
from hub.workflows.enrollment import publish_workflow
from hub.workflows.loader import load_workflow

# What a brokerage's lead forms say (TCPA prior express written consent, COMPLIANCE.md guard 4).
DEMO_CONSENT = (
    "By submitting, you agree that {business} may text and call you about homes, including by "
    "automated means. Consent is not a condition of purchase. Reply STOP to opt out."
)


def configure_locations(engine: Engine, templates: Path) -> dict[str, str]:
    """Publish the workflow templates and give each location a policy and a token reference.

    Returns env var name → token for the processes that call GHL.
    """
    tokens: dict[str, str] = {}
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        for path in sorted(templates.glob("*.yaml")):
            publish_workflow(session, load_workflow(path), now=now)
        for index, location in enumerate(session.scalars(sa.select(Location).order_by(Location.id))):
            ref = f"HUB_DEMO_GHL_TOKEN_{index}"
            tokens[ref] = "pit-demo-" + secrets.token_hex(8)
            location.token_ref = ref
            location.postal_address = f"{100 + index} Main St, Suite 2, {location.name}"
            location.compliance = {
                "business_name": location.name,
                "sms_consent_policy": {
                    "wording": DEMO_CONSENT.format(business=location.name),
                    "sources": ["*"],
                },
                "unsubscribe_url": "https://example.invalid/unsubscribe/{location_id}/{contact_id}",
            }
    return tokens


def seed_standin(admin: StandinAdmin, engine: Engine, tokens: dict[str, str]) -> int:
    """Register every location with its token and copy its contacts (with DND) into the stand-in."""
    seeded = 0
    with Session(engine) as session:
        for location in session.scalars(sa.select(Location).order_by(Location.id)):
            admin.register_location(location.id, tokens[str(location.token_ref)], location.name)
            contacts: list[dict[str, Any]] = [
                {
                    "id": c.id,
                    "firstName": c.first_name,
                    "lastName": c.last_name,
                    "name": c.name,
                    "email": c.email,
                    "phone": c.phone,
                    "dnd": c.dnd,
                    "tags": list(c.tags or []),
                    "dndSettings": {
                        channel: {"status": status} for channel, status in (c.dnd_channels or {}).items()
                    },
                }
                for c in session.scalars(sa.select(Contact).where(Contact.location_id == location.id))
            ]
            if contacts:
                admin.seed_contacts(location.id, contacts)
            seeded += len(contacts)
    return seeded


def render_sends(engine: Engine, admin: StandinAdmin, console: Any) -> dict[str, int]:
    """Sends by outcome from the send ledger, with the top reasons, and what the stand-in received."""
    from rich.table import Table

    from hub.store.models import Enrollment, SendLedgerEntry

    with Session(engine) as session:
        by_status = dict(
            session.execute(
                sa.select(SendLedgerEntry.status, sa.func.count()).group_by(SendLedgerEntry.status)
            ).all()
        )
        reasons = session.execute(
            sa.select(SendLedgerEntry.status, SendLedgerEntry.reason, sa.func.count())
            .where(SendLedgerEntry.status != "sent")
            .group_by(SendLedgerEntry.status, SendLedgerEntry.reason)
            .order_by(sa.func.count().desc())
            .limit(8)
        ).all()
        enrollments = dict(
            session.execute(
                sa.select(Enrollment.workflow_id, sa.func.count()).group_by(Enrollment.workflow_id)
            ).all()
        )
        location_ids = list(session.scalars(sa.select(Location.id)))
    table = Table(title="Workflow sends (send ledger)")
    table.add_column("outcome")
    table.add_column("count", justify="right")
    for status, count in sorted(by_status.items()):
        table.add_row(str(status), f"{count:,}")
    console.print(table)
    if reasons:
        why = Table(title="Why not sent (top reasons)")
        for column in ("outcome", "reason", "count"):
            why.add_column(column)
        for status, reason, count in reasons:
            why.add_row(str(status), str(reason or "")[:90], f"{count:,}")
        console.print(why)
    console.print(
        "Enrollments by workflow: " + ", ".join(f"{k}: {v}" for k, v in sorted(enrollments.items()))
    )
    received = sum(
        1
        for loc in location_ids
        for r in admin.requests(loc)
        if r.get("path") == "/conversations/messages" and r.get("status") == 200
    )
    console.print(f"GHL stand-in accepted {received} message sends (its own request log).")
    return {str(k): int(v) for k, v in by_status.items()}

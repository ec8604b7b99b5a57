"""The lead state a brokerage's events produced: funnel by pipeline stage, messaging, opt-outs.

Read from the store's lead-state tables only (what the processor wrote), per location.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from hub.store.models import Appointment, Contact, Location, Message, Opportunity, Pipeline, PipelineStage


@dataclass(frozen=True)
class LeadStateRow:
    location_id: str
    contacts: int
    sms_opted_out: int
    dnd_any: int
    inbound: int
    outbound: int
    appointments: int
    won: int


def _count_by_location(conn: sa.Connection, stmt: sa.Select[str, int]) -> dict[str, int]:
    return {location_id: int(n) for location_id, n in conn.execute(stmt)}


def lead_state(engine: Engine) -> tuple[list[LeadStateRow], list[tuple[str, str, str, int]]]:
    """Per-location lead counts, and (location, pipeline, stage, opportunities) for the funnel."""
    count = sa.func.count()
    with engine.connect() as conn:
        locations = list(conn.scalars(sa.select(Location.id).order_by(Location.id)))
        contacts = _count_by_location(
            conn, sa.select(Contact.location_id, count).group_by(Contact.location_id)
        )
        opted = _count_by_location(
            conn,
            sa.select(Contact.location_id, count).where(Contact.sms_opted_out).group_by(Contact.location_id),
        )
        dnd = _count_by_location(
            conn, sa.select(Contact.location_id, count).where(Contact.dnd).group_by(Contact.location_id)
        )
        by_direction = {
            direction: _count_by_location(
                conn,
                sa.select(Message.location_id, count)
                .where(Message.direction == direction)
                .group_by(Message.location_id),
            )
            for direction in ("inbound", "outbound")
        }
        appointments = _count_by_location(
            conn, sa.select(Appointment.location_id, count).group_by(Appointment.location_id)
        )
        won = _count_by_location(
            conn,
            sa.select(Opportunity.location_id, count)
            .where(Opportunity.status == "won")
            .group_by(Opportunity.location_id),
        )
        stage_name = sa.func.coalesce(PipelineStage.name, Opportunity.stage_id)
        funnel = conn.execute(
            sa.select(Opportunity.location_id, sa.func.coalesce(Pipeline.name, "?"), stage_name, count)
            .join(
                PipelineStage,
                (PipelineStage.location_id == Opportunity.location_id)
                & (PipelineStage.id == Opportunity.stage_id),
                isouter=True,
            )
            .join(
                Pipeline,
                (Pipeline.location_id == Opportunity.location_id) & (Pipeline.id == Opportunity.pipeline_id),
                isouter=True,
            )
            .group_by(
                Opportunity.location_id,
                Pipeline.name,
                PipelineStage.name,
                Opportunity.stage_id,
                PipelineStage.position,
            )
            .order_by(Opportunity.location_id, Pipeline.name, PipelineStage.position)
        ).all()
    rows = [
        LeadStateRow(
            loc,
            contacts.get(loc, 0),
            opted.get(loc, 0),
            dnd.get(loc, 0),
            by_direction["inbound"].get(loc, 0),
            by_direction["outbound"].get(loc, 0),
            appointments.get(loc, 0),
            won.get(loc, 0),
        )
        for loc in locations
    ]
    return rows, [(loc, str(pipeline), str(stage), int(n)) for loc, pipeline, stage, n in funnel]


def render_lead_state(engine: Engine, console: Console) -> list[LeadStateRow]:
    rows, funnel = lead_state(engine)
    table = Table(title="Lead state (processed from the event log)")
    for column in (
        "location",
        "contacts",
        "SMS opted out",
        "DND (all)",
        "msgs in",
        "msgs out",
        "appts",
        "won",
    ):
        table.add_column(column, justify="right" if column != "location" else "left")
    for r in rows:
        table.add_row(
            r.location_id[:12],
            *(
                f"{v:,}"
                for v in (
                    r.contacts,
                    r.sms_opted_out,
                    r.dnd_any,
                    r.inbound,
                    r.outbound,
                    r.appointments,
                    r.won,
                )
            ),
        )
    console.print(table)
    stages = Table(title="Pipeline: opportunities by stage")
    for column in ("location", "pipeline", "stage", "opportunities"):
        stages.add_column(column)
    for loc, pipeline, stage, n in funnel:
        stages.add_row(loc[:12], pipeline, stage, f"{n:,}")
    console.print(stages)
    return rows

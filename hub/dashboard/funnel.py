"""The lead funnel: new -> contacted -> replied -> showing -> won, from the lead-state tables.

A lead's stage is the furthest one it reached, and reaching a stage counts for every stage before it
("at least contacted"), so each bar is a subset of the one before and the step rates are true
conversion rates. A lead who texted in first, or booked a showing on the website without any
message, is therefore counted as contacted and replied too: the conversation did happen.

    contacted  an outbound message on any channel (ours or an agent's), or a send the ledger
               records as sent (its OutboundMessage echo may not have arrived yet)
    replied    an inbound message
    showing    an appointment that is not cancelled or invalid
    won        an opportunity whose status is won
"""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.store.models import Appointment, Contact, Message, Opportunity, SendLedgerEntry

STAGES = ("new", "contacted", "replied", "showing", "won")
# GHL appointmentStatus values that mean the showing will not happen (ghl-api.md §1.4).
NOT_A_SHOWING = ("cancelled", "invalid")


class FunnelStage(BaseModel):
    stage: str
    leads: int  # leads that reached this stage or a later one
    share_of_new: float | None  # leads / new leads; None when there are no leads
    share_of_previous: float | None  # leads / the previous stage's leads; None for "new" or 0 before


class Funnel(BaseModel):
    stages: list[FunnelStage]


def _reached(location_id: str) -> list[tuple[int, sa.Select[str]]]:
    """(stage index, contacts that reached it) for each way of reaching a stage past "new"."""
    contacted, replied, showing, won = (STAGES.index(s) for s in STAGES[1:])
    return [
        (
            contacted,
            sa.select(Message.contact_id).where(
                Message.location_id == location_id, Message.direction == "outbound"
            ),
        ),
        (
            contacted,
            sa.select(SendLedgerEntry.contact_id).where(
                SendLedgerEntry.location_id == location_id, SendLedgerEntry.status == "sent"
            ),
        ),
        (
            replied,
            sa.select(Message.contact_id).where(
                Message.location_id == location_id, Message.direction == "inbound"
            ),
        ),
        (
            showing,
            sa.select(Appointment.contact_id).where(
                Appointment.location_id == location_id,
                sa.func.coalesce(Appointment.status, "").not_in(NOT_A_SHOWING),
            ),
        ),
        (
            won,
            sa.select(Opportunity.contact_id).where(
                Opportunity.location_id == location_id, Opportunity.status == "won"
            ),
        ),
    ]


def lead_stages(session: Session, location_id: str) -> dict[str, str]:
    """contact id -> the furthest stage that lead reached, for every lead not deleted."""
    leads = sa.select(Contact.id).where(Contact.location_id == location_id, Contact.deleted.is_(False))
    furthest = dict.fromkeys(session.scalars(leads), 0)
    for index, contacts in _reached(location_id):
        for contact_id in session.scalars(contacts.distinct()):
            if contact_id in furthest and furthest[contact_id] < index:
                furthest[contact_id] = index
    return {contact_id: STAGES[index] for contact_id, index in furthest.items()}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def funnel(session: Session, location_id: str) -> Funnel:
    """How many leads reached each stage, with the rate from "new" and from the stage before."""
    reached = [0] * len(STAGES)
    for stage in lead_stages(session, location_id).values():
        for index in range(STAGES.index(stage) + 1):
            reached[index] += 1
    return Funnel(
        stages=[
            FunnelStage(
                stage=stage,
                leads=reached[index],
                share_of_new=_share(reached[index], reached[0]),
                share_of_previous=_share(reached[index], reached[index - 1]) if index else None,
            )
            for index, stage in enumerate(STAGES)
        ]
    )

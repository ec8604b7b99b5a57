"""The store's event log as an ml/ timeline: the bridge between hub/ (store) and ml/ (pandas).

ml/ never reads the store; this module does, and hands it the same domain events the live
processor applied — so training, batch scoring and real-time scoring see one history.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.errors import PayloadError
from hub.events.normalise import normalise
from hub.store.models import CustomFieldDefinition, Event, Location, Pipeline, PipelineStage
from ml.catalog import CrmCatalog, StageRef, profile_field_key
from ml.timeline import LeadEvent, Timeline, build_timeline


def catalog_from_store(session: Session) -> CrmCatalog:
    """Stage ids → names/positions, custom-field ids → profile keys and location timezones, as
    synced into the store (pipelines; GET /locations/{id}/customFields via
    hub.listings.preferences.save_custom_fields). A location whose custom fields were never synced
    leaves its leads' budget/beds/areas/timeline unknown (NaN), never guessed."""
    pipelines = {p.id: p.name for p in session.scalars(sa.select(Pipeline))}
    stages = {
        s.id: StageRef(pipelines.get(s.pipeline_id, "?"), s.name, s.position)
        for s in session.scalars(sa.select(PipelineStage))
    }
    definitions = session.execute(sa.select(CustomFieldDefinition.id, CustomFieldDefinition.key))
    custom = {
        field_id: key for field_id, stored in definitions if (key := profile_field_key(stored)) is not None
    }
    zones = {loc.id: loc.timezone for loc in session.scalars(sa.select(Location))}
    return CrmCatalog(custom_fields=custom, stages=stages, pipelines=pipelines, location_timezones=zones)


def lead_events_from_store(
    session: Session, location_id: str | None = None, contact_ids: Sequence[str] | None = None
) -> list[LeadEvent]:
    """Processed, error-free events as domain events, oldest first."""
    query = sa.select(Event).where(Event.processed_at.is_not(None), Event.process_error.is_(None))
    if location_id is not None:
        query = query.where(Event.location_id == location_id)
    if contact_ids is not None:
        query = query.where(Event.contact_id.in_(list(contact_ids)))
    stream: list[LeadEvent] = []
    for row in session.scalars(query.order_by(Event.occurred_at, Event.id)).yield_per(2000):
        try:
            events = normalise(row)
        except PayloadError:
            continue  # recorded on the row by the processor; never guessed here
        # "Known at" is GHL's send time, not our receive time: a replayed or backfilled history keeps
        # its original clock, and live traffic differs from it by the delivery delay only.
        known_at = row.delivered_at or row.occurred_at
        stream.extend(
            LeadEvent(row.location_id, row.contact_id, row.occurred_at, event, known_at) for event in events
        )
    return stream


def timeline_from_store(
    session: Session, location_id: str | None = None, contact_ids: Sequence[str] | None = None
) -> Timeline:
    return build_timeline(
        lead_events_from_store(session, location_id, contact_ids), catalog=catalog_from_store(session)
    )

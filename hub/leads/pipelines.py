"""Stage names: Opportunity* webhooks carry only the stage UUID, never its name or the previous
stage (ghl-api.md §1.4); the pipeline tables, synced from GET /opportunities/pipelines, name it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.events.domain import OpportunityChanged, StampedEvent
from hub.store.models import Pipeline, PipelineStage


def stage_names(session: Session, location_id: str, stage_ids: Iterable[str]) -> dict[str, str]:
    """Stage id -> name for the ids the location's pipeline tables know; others are left out."""
    ids = sorted(set(stage_ids))
    if not ids:
        return {}
    stmt = sa.select(PipelineStage.id, PipelineStage.name).where(
        PipelineStage.location_id == location_id, PipelineStage.id.in_(ids)
    )
    return dict(session.execute(stmt).tuples().all())


def pipeline_names(session: Session, location_id: str, pipeline_ids: Iterable[str]) -> dict[str, str]:
    """Pipeline id -> name for the ids the location's pipeline table knows."""
    ids = sorted(set(pipeline_ids))
    if not ids:
        return {}
    stmt = sa.select(Pipeline.id, Pipeline.name).where(
        Pipeline.location_id == location_id, Pipeline.id.in_(ids)
    )
    return dict(session.execute(stmt).tuples().all())


def name_stages(session: Session, location_id: str, batch: Sequence[StampedEvent]) -> list[StampedEvent]:
    """The batch with `stage_name` filled on opportunity events whose stage is known."""
    ids = {s.event.stage_id for s in batch if isinstance(s.event, OpportunityChanged) and s.event.stage_id}
    names = stage_names(session, location_id, ids)
    named: list[StampedEvent] = []
    for stamped in batch:
        event = stamped.event
        if isinstance(event, OpportunityChanged) and event.stage_id in names:
            stamped = stamped._replace(event=dataclasses.replace(event, stage_name=names[event.stage_id]))
        named.append(stamped)
    return named

"""What GHL's API says about a location that webhooks only reference by id.

Webhooks carry bare ids: `pipelineStageId` is a UUID with no name or position, custom fields come as
`[{id, value}]` with no key (ghl-api.md §1.4). The catalog maps them to meaning, as cached from
GET /opportunities/pipelines and GET /locations/{id}/customFields. Without a catalog the timeline
still builds; stage positions and custom-field values are then unknown (NaN), never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Custom-field keys the lead features read; other keys are ignored.
PROFILE_FIELD_KEYS = ("budget", "beds", "areas", "property_type", "timeline")
# Other keys real-estate GHL snapshots give the same fields (fieldKey without "contact.").
_FIELD_ALIASES = {
    **dict.fromkeys(("budget", "max_price", "price_max", "budget_max", "max_budget"), "budget"),
    **dict.fromkeys(("beds", "bedrooms", "beds_min", "min_beds", "min_bedrooms"), "beds"),
    **dict.fromkeys(
        ("areas", "area", "preferred_areas", "neighborhoods", "neighbourhoods", "cities"), "areas"
    ),
    **dict.fromkeys(("property_type", "property_types", "home_type", "home_types"), "property_type"),
    **dict.fromkeys(("timeline", "timeframe", "time_frame", "move_timeline", "buying_timeline"), "timeline"),
}


def profile_field_key(key: str) -> str | None:
    """The PROFILE_FIELD_KEYS entry a location's custom-field key stands for, else None."""
    return _FIELD_ALIASES.get(key.strip().lower().removeprefix("contact."))


@dataclass(frozen=True, slots=True)
class StageRef:
    """A pipeline stage by meaning: its pipeline's name, its own name and its position (0 = first)."""

    pipeline: str
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class CrmCatalog:
    """Id → meaning lookups of one or more locations (ids are globally unique in GHL)."""

    custom_fields: Mapping[str, str] = field(default_factory=dict)  # custom field id -> key
    stages: Mapping[str, StageRef] = field(default_factory=dict)  # stage id -> stage
    pipelines: Mapping[str, str] = field(default_factory=dict)  # pipeline id -> name
    location_timezones: Mapping[str, str] = field(default_factory=dict)  # location id -> IANA zone

    def stage(self, stage_id: str | None) -> StageRef | None:
        return self.stages.get(stage_id) if stage_id is not None else None


EMPTY_CATALOG = CrmCatalog()


def catalog_from_world(world: Any) -> CrmCatalog:
    """The catalog of a simulated brokerage (`hub.simulator` World: what GHL's API would return).

    Typed as Any so that ml/ does not depend on the simulator; any object with `locations`, each with
    `id`, `timezone`, `custom_fields` (key -> {id}), `buyer_pipeline` / `seller_pipeline`, works.
    """
    custom: dict[str, str] = {}
    stages: dict[str, StageRef] = {}
    pipelines: dict[str, str] = {}
    zones: dict[str, str] = {}
    for location in world.locations:
        zones[location.id] = location.timezone
        for key, definition in location.custom_fields.items():
            custom[definition.id] = key
        for pipeline in (location.buyer_pipeline, location.seller_pipeline):
            pipelines[pipeline.id] = pipeline.name
            for stage in pipeline.stages:
                stages[stage.id] = StageRef(pipeline.name, stage.name, stage.position)
    return CrmCatalog(custom, stages, pipelines, zones)

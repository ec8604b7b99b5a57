"""Background features: who the lead is (source, intent, contact details, stated preferences) and
how our agents treat them (speed-to-lead, responsiveness, reassignment, notes, tasks, tags).

Preferences are read point-in-time from contact snapshots: agents fill budget and areas in after
the first conversation, so the latest value *as of the cutoff* is used, never the final one.
"""

from __future__ import annotations

import numpy as np

from ml.features.block import Block, ratio
from ml.features.columns import NONE, SOURCES
from ml.features.events import HOUR_MS, FloatArray
from ml.features.feature import Feature

_SOURCE_LABELS = {i: name.title() for i, name in enumerate(SOURCES)} | {len(SOURCES): "another source"}
_CONTACT = "ContactCreate/ContactUpdate customFields (resolved through the custom-field catalog)"
FEATURES = (
    Feature(
        "source_code",
        "Lead source: 0 Zillow, 1 Realtor.com, 2 Facebook, 3 Website, 4 Open House, 5 Referral, 6 other.",
        "profile",
        "ContactCreate source",
        "came from {label}",
        labels=_SOURCE_LABELS,
        missing="came from an unknown source",
    ),
    Feature(
        "is_seller",
        "1 if the lead is a seller (tag 'seller' at creation), 0 for buyers.",
        "profile",
        "ContactCreate tags",
        "is a seller",
        zero="is a buyer",
    ),
    Feature(
        "has_email",
        "1 if the lead gave an e-mail address.",
        "profile",
        "ContactCreate email",
        "gave an e-mail address",
        zero="gave no e-mail address",
    ),
    Feature(
        "has_phone",
        "1 if the lead gave a phone number.",
        "profile",
        "ContactCreate phone",
        "gave a phone number",
        zero="gave no phone number",
    ),
    Feature(
        "has_timezone",
        "1 if the contact carries its own time zone (often set by a website form).",
        "profile",
        "ContactCreate timezone",
        "told us their time zone",
        zero="did not give a time zone",
    ),
    Feature(
        "budget",
        "Latest stated budget.",
        "latest",
        _CONTACT,
        "has a budget of {value:money}",
        missing="has not told us a budget",
    ),
    Feature(
        "preferred_beds",
        "Latest stated number of bedrooms wanted.",
        "latest",
        _CONTACT,
        "wants {value:int} bedroom{s}",
        missing="has not said how many bedrooms",
    ),
    Feature(
        "preferred_areas_count",
        "Number of preferred areas stated.",
        "latest",
        _CONTACT,
        "named {value:int} preferred area{s}",
        missing="has not named preferred areas",
    ),
    Feature(
        "stated_timeline_months",
        "Stated time frame to move, in months (1.5, 4.5, 9 or 18).",
        "latest",
        _CONTACT,
        "plans to move within about {value:int} months",
        missing="has not said when they plan to move",
    ),
    Feature(
        "hot_lead_tag",
        "1 if the contact carries the 'hot-lead' tag at the cutoff.",
        "latest",
        "ContactTagUpdate tags",
        "is tagged hot-lead",
        zero="is not tagged hot-lead",
        missing="has no tag changes yet",
    ),
    Feature(
        "speed_to_lead_minutes",
        "Minutes from lead creation to an agent's first personal message or call.",
        "ever",
        "ContactCreate, OutboundMessage source app",
        "an agent first reached them {value:minutes} after they came in",
        missing="no agent has contacted them yet",
    ),
    Feature(
        "agent_touches_total",
        "Messages and calls agents sent by hand since the lead was created.",
        "ever",
        "OutboundMessage source app",
        "agents reached out {value:int} time{s} in total",
        zero="no agent has reached out by hand",
    ),
    Feature(
        "agent_reply_share_30d",
        "Share of the lead's messages in the last 30 days an agent answered within 24 hours.",
        "30 d",
        "InboundMessage, OutboundMessage source app",
        "agents answered {value:pct} of their messages within a day",
        zero="agents answered none of their recent messages within a day",
        missing="no messages from them in the last 30 days",
    ),
    Feature(
        "agent_response_hours",
        "Mean hours from the lead's message to an agent's answer (answered messages only).",
        "ever",
        "InboundMessage, OutboundMessage source app",
        "agents answer them in {value:hours} on average",
        missing="no agent has answered a message of theirs",
    ),
    Feature(
        "agent_reassignments",
        "Times the lead was reassigned to another agent.",
        "ever",
        "ContactUpdate assignedTo",
        "was reassigned {value:int} time{s}",
        zero="kept the same agent",
    ),
    Feature(
        "notes_total",
        "Notes agents wrote about the lead.",
        "ever",
        "NoteCreate",
        "agents wrote {value:int} note{s} about them",
        zero="has no notes",
    ),
    Feature(
        "open_tasks",
        "Tasks created for the lead and not completed yet.",
        "latest",
        "TaskCreate, TaskComplete",
        "has {value:int} open task{s}",
        zero="has no open tasks",
    ),
)


def compute(b: Block) -> dict[str, FloatArray]:
    contact = b.mask("contact")
    msg_in, human_out = b.mask("msg_in"), b.mask("human_out")
    created = b.prof("created").astype(np.int64)
    first_touch = b.first_time(human_out)
    answer_known = b.col("answer_known")
    answered = msg_in & (answer_known != NONE) & (answer_known <= b.row_cutoff)
    answer_hours = np.where(answered, (b.col("answer_at") - b.at) / HOUR_MS, np.nan)
    recent_in = msg_in & b.within(30)
    return {
        "source_code": b.prof("source_code"),
        "is_seller": b.prof("is_seller"),
        "has_email": b.prof("has_email"),
        "has_phone": b.prof("has_phone"),
        "has_timezone": b.prof("has_timezone"),
        "budget": b.last_value(b.col("budget").astype(float), contact),
        "preferred_beds": b.last_value(b.col("pref_beds").astype(float), contact),
        "preferred_areas_count": b.last_value(b.col("pref_areas_count").astype(float), contact),
        "stated_timeline_months": b.last_value(b.col("timeline_months").astype(float), contact),
        "hot_lead_tag": b.last_value(b.col("hot_tag").astype(float), contact | b.mask("tags")),
        "speed_to_lead_minutes": np.where(
            first_touch == NONE, np.nan, np.maximum(first_touch - created, 0) / 60_000
        ),
        "agent_touches_total": b.count(human_out),
        "agent_reply_share_30d": ratio(b.count(recent_in & (answer_hours <= 24)), b.count(recent_in)),
        "agent_response_hours": b.mean(answer_hours, answered),
        "agent_reassignments": np.maximum(b.nunique(b.col("assignee_code").astype(np.int64), contact) - 1, 0),
        "notes_total": b.count(b.mask("note")),
        "open_tasks": np.maximum(b.count(b.mask("task_created")) - b.count(b.mask("task_completed")), 0),
    }

"""The two frames of a lead timeline: their columns, their dtypes, and the per-lead profile.

The profile is the lead *as first known* (its first full contact snapshot, normally ContactCreate):
source, intent, state, time zone, assigned agent and the custom fields filled in on the form. It is
fixed from `known_at` on, so features may read it at any cutoff >= known_at without looking ahead;
what changes later (budget filled in by the agent, reassignment, tags, DND) lives in the timeline
and is read point-in-time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ml.catalog import CrmCatalog

# name -> dtype of every timeline column ("str" columns hold None where the event says nothing).
TIMELINE_COLUMNS: dict[str, str] = {
    "location_id": "str",
    "contact_id": "str",
    "at": "datetime",  # when it happened (UTC)
    "received_at": "datetime",  # when we received it (UTC)
    "kind": "str",  # contact, message, email, listing, appointment, opportunity, dnd, tags, note, task
    "action": "str",  # per kind: created/updated, view/save/..., delivered/opened/..., stage/status/...
    "channel": "str",  # SMS, Email, Call, Voicemail, ... (messages)
    "direction": "str",  # inbound / outbound (messages)
    "sender": "str",  # contact / automation / agent / unknown (messages)
    "automated": "bool",  # sent by automation, not typed by a person
    "engagement": "bool",  # the lead engaged: inbound message (not opt-out/in) or website activity
    "opt": "str",  # opt_out / opt_in for an inbound consent text
    "body_chars": "float",
    "intent": "float",  # inbound wording's intent level, ml.intent: 0 stalling .. 3 ready; NaN says nothing
    "high_intent": "bool",  # intent level 3: asks to tour, offer, list
    "low_intent": "bool",  # intent level 0: stalls ("not right now", "maybe next year")
    "user_id": "str",  # the GHL user (agent) on the event
    "item_id": "str",  # message / listing / appointment / opportunity / e-mail id
    "status": "str",  # message status, appointment status, opportunity status
    "price": "float",  # listing list price
    "beds": "float",  # listing bedrooms
    "area": "str",  # listing city / area
    "property_type": "str",
    "appt_start": "datetime",
    "pipeline": "str",
    "stage": "str",
    "stage_position": "float",
    "value": "float",  # opportunity monetary value
    "dnd_sms": "float",  # 1 blocked, 0 allowed, NaN not said
    "dnd_email": "float",
    "dnd_call": "float",
    "tags": "str",  # the full tag list after the event, comma-joined
    "budget": "float",  # custom fields on contact rows
    "pref_beds": "float",
    "pref_areas": "str",
    "pref_property_type": "str",
    "stated_timeline": "str",
    "email": "str",
    "has_phone": "float",
    "timezone": "str",
    "source": "str",
    "state": "str",
    "created_at": "datetime",
}
PROFILE_COLUMNS = (
    "location_id",
    "contact_id",
    "created_at",
    "known_at",
    "source",
    "intent",
    "state",
    "timezone",
    "location_timezone",
    "assigned_to",
    "budget",
    "beds",
    "areas",
    "property_type",
    "stated_timeline",
    "has_email",
    "has_phone",
)


def timeline_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows → the timeline frame with every column typed, sorted by lead then time (stable)."""
    frame = (
        pd.DataFrame.from_records(rows, columns=list(TIMELINE_COLUMNS))
        if rows
        else pd.DataFrame({name: pd.Series(dtype=object) for name in TIMELINE_COLUMNS})
    )
    for name, kind in TIMELINE_COLUMNS.items():
        column = frame[name]
        if kind == "datetime":
            frame[name] = pd.to_datetime(column, utc=True).astype("datetime64[ns, UTC]")
        elif kind == "bool":
            frame[name] = column.fillna(False).astype(bool)
        elif kind == "float":
            frame[name] = pd.to_numeric(column, errors="coerce").astype("float64")
        else:
            frame[name] = column.astype(object).where(column.notna(), None)
    order = np.lexsort((np.arange(len(frame)), frame["at"].to_numpy(), frame["contact_id"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _intent(tags: object) -> str | None:
    names = set(str(tags).split(",")) if isinstance(tags, str) else set()
    if "seller" in names:
        return "seller"
    return "buyer" if "buyer" in names else None


def build_profiles(events: pd.DataFrame, catalog: CrmCatalog) -> pd.DataFrame:
    """One row per lead from its first full contact snapshot (partial workflow copies are skipped)."""
    snapshots = events[(events["kind"] == "contact") & (events["action"] != "partial")]
    first = snapshots.sort_values(["contact_id", "at"], kind="stable").drop_duplicates("contact_id")
    created = first["created_at"].where(first["created_at"].notna(), first["at"])
    profiles = pd.DataFrame(
        {
            "location_id": first["location_id"].to_numpy(),
            "contact_id": first["contact_id"].to_numpy(),
            "created_at": created.to_numpy(),
            # Known once the snapshot arrived, and never before the lead existed.
            "known_at": np.maximum(first["received_at"].to_numpy(), created.to_numpy()),
            "source": first["source"].to_numpy(),
            "intent": [_intent(tags) for tags in first["tags"]],
            "state": first["state"].to_numpy(),
            "timezone": first["timezone"].to_numpy(),
            "location_timezone": [catalog.location_timezones.get(loc) for loc in first["location_id"]],
            "assigned_to": first["user_id"].to_numpy(),
            "budget": first["budget"].to_numpy(),
            "beds": first["pref_beds"].to_numpy(),
            "areas": first["pref_areas"].to_numpy(),
            "property_type": first["pref_property_type"].to_numpy(),
            "stated_timeline": first["stated_timeline"].to_numpy(),
            "has_email": first["email"].notna().astype(float).to_numpy(),
            "has_phone": first["has_phone"].to_numpy(),
        },
        columns=list(PROFILE_COLUMNS),
    )
    for name in ("created_at", "known_at"):
        profiles[name] = pd.to_datetime(profiles[name], utc=True).astype("datetime64[ns, UTC]")
    return profiles.reset_index(drop=True)

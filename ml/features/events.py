"""Prepare a lead timeline for feature computation: numpy arrays per event, sorted by lead and time.

Everything here is per *event*, never per cutoff, and looks only at the lead's own rows. Values
that involve a later event (when an inbound message got its answer, when an appointment was
cancelled) are stored with the time that later event became known, so a feature reads them only
when that time is <= the cutoff: adding or removing events after a cutoff never changes a feature
at it (tested in tests/ml/test_point_in_time.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ml.features.columns import NONE, Columns, event_columns

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
QUARTER_MS = 900_000
# Keys `lead * SPAN + time` order events by lead, then time, in one int64 (times are kept within
# SPAN/2 of the timeline's first event: ~17 years).
SPAN = 1 << 40
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
ObjectArray = NDArray[np.object_]
_SMALL = 256  # rows: below this, per-lead helpers use plain Python containers
TIMELINE_MONTHS = {"0-3 months": 1.5, "3-6 months": 4.5, "6-12 months": 9.0, "12+ months": 18.0}


@dataclass(frozen=True, slots=True)
class LeadArrays:
    """The events of many leads as arrays, sorted by (lead, at); `profile` holds per-lead arrays."""

    lead: IntArray  # index into the profile arrays
    at: IntArray  # epoch ms
    known: IntArray  # epoch ms when we could know the event (max of at and received_at)
    cols: dict[str, FloatArray | IntArray | BoolArray]
    profile: Columns

    @property
    def n_leads(self) -> int:
        return len(self.profile["contact_id"])


def _codes(values: ObjectArray, mask: BoolArray) -> IntArray:
    """Integer codes of `values` where `mask` (-1 elsewhere and for missing values), numbered in
    order of first appearance (as pd.factorize does)."""
    if len(values) > _SMALL:
        codes, _ = pd.factorize(np.where(mask, values, np.array(None, dtype=object)), use_na_sentinel=True)
        return np.asarray(codes, dtype=np.int64)
    # One lead's few dozen rows: a dict is ~50x cheaper than pandas' hash table set-up.
    out = np.full(len(values), -1, dtype=np.int64)
    seen: dict[object, int] = {}
    for i in np.flatnonzero(mask).tolist():
        value = values[i]
        if value is not None and value == value:  # None and NaN are missing
            out[i] = seen.setdefault(value, len(seen))
    return out


def _scan_last(lead: IntArray, times: IntArray, mask: BoolArray, base: int) -> IntArray:
    """Per row, the latest `times` among masked rows of the same lead at or before it (NONE if none)."""
    keys = np.where(mask, lead * SPAN + (times - base), lead * SPAN - SPAN // 2)
    rel = (np.maximum.accumulate(keys) if len(keys) else keys) - lead * SPAN
    return np.where((rel >= 0) & (rel < SPAN // 2), rel + base, NONE)


def _scan_next(lead: IntArray, times: IntArray, mask: BoolArray, base: int) -> IntArray:
    """Per row, the earliest `times` among masked rows of the same lead at or after it (NONE if none)."""
    keys = np.where(mask, lead * SPAN + (times - base), lead * SPAN + SPAN // 2)
    rel = (np.minimum.accumulate(keys[::-1])[::-1] if len(keys) else keys) - lead * SPAN
    return np.where((rel >= 0) & (rel < SPAN // 2), rel + base, NONE)


def _local_clock(at: IntArray, zones: NDArray[np.object_]) -> tuple[FloatArray, FloatArray]:
    """(local hour as a fraction, weekday 0=Mon) of each time in its zone."""
    # UTC offsets are multiples of 15 minutes and change (DST) at a whole local minute that is
    # then a quarter-hour in UTC, so one zoneinfo lookup per (zone, UTC quarter-hour) is exact and
    # cheap for one lead or a million events.
    if len(zones) > _SMALL:
        codes, names = pd.factorize(zones)
    else:
        index = {zone: i for i, zone in enumerate(dict.fromkeys(zones.tolist()))}
        codes, names = np.array([index[z] for z in zones.tolist()], dtype=np.int64), list(index)
    keys, inverse = np.unique(codes.astype(np.int64) * SPAN + at // QUARTER_MS, return_inverse=True)
    offsets = np.array(
        [_offset_ms(str(names[k // SPAN]), int(k % SPAN) * QUARTER_MS) for k in keys], dtype=np.int64
    )
    local = at + offsets[inverse.reshape(-1)] if len(at) else at
    hour = (local % DAY_MS) / HOUR_MS
    # 1970-01-01 was a Thursday (weekday 3, Monday = 0).
    weekday = ((local // DAY_MS + 3) % 7).astype(np.float64)
    return np.floor(hour * 60) / 60, weekday


@lru_cache(maxsize=1 << 16)
def _offset_ms(zone: str, moment_ms: int) -> int:
    moment = datetime.fromtimestamp(moment_ms / 1000, UTC).astimezone(ZoneInfo(zone))
    offset = moment.utcoffset()
    return int(offset.total_seconds() * 1000) if offset is not None else 0


def _flags(ev: Columns) -> dict[str, FloatArray | IntArray | BoolArray]:
    """Per-event masks and values the features count, sum and look up."""
    kind, action, direction, channel = ev["kind"], ev["action"], ev["direction"], ev["channel"]
    status, opt, stage = ev["status"], ev["opt"], ev["stage"]
    message, listing, appt, opp = (
        kind == "message",
        kind == "listing",
        kind == "appointment",
        kind == "opportunity",
    )
    inbound = message & (direction == "inbound")
    msg_out = message & (direction == "outbound")
    contact = kind == "contact"
    value = ev["value"]
    return {
        "engagement": ev["engagement"],
        "msg_in": inbound & pd.isna(opt),
        "msg_out": msg_out,
        "human_out": msg_out & (ev["sender"] == "agent"),
        "auto_out": msg_out & ev["automated"],
        "sms": channel == "SMS",
        "email": channel == "Email",
        "call": (channel == "Call") | (channel == "Voicemail"),
        "opt_out": inbound & (opt == "opt_out"),
        "opt_in": inbound & (opt == "opt_in"),
        "call_out": msg_out & (channel == "Call"),
        "call_answered": msg_out & (channel == "Call") & (status == "completed"),
        "intent": ev["intent"],
        "high_intent": ev["high_intent"],
        "low_intent": ev["low_intent"],
        "body_chars": ev["body_chars"],
        "view": listing & (action == "view"),
        "save": listing & (action == "save"),
        "showing_request": listing & (action == "showing_request"),
        "not_interested": listing & (action == "not_interested"),
        "price": ev["price"],
        "beds": ev["beds"],
        "listing_code": _codes(ev["item_id"], listing),
        "area_code": _codes(ev["area"], listing),
        "email_delivered": (kind == "email") & (action == "delivered"),
        "email_opened": (kind == "email") & (action == "opened"),
        "email_clicked": (kind == "email") & (action == "clicked"),
        "appt_created": appt & (action == "created"),
        "appt_showed": appt & (status == "showed"),
        "appt_noshow": appt & (status == "noshow"),
        "appt_cancelled": appt & ((status == "cancelled") | (status == "deleted")),
        "appt_start": ev["appt_start"],
        "opp": opp,
        "stage_change": opp & ((action == "stage") | (action == "created")),
        "stage_position": ev["stage_position"],
        "nurture": np.where(opp & ~pd.isna(stage), stage == "Nurture", np.nan).astype(float),
        "closed_lost": np.where(
            opp & ~pd.isna(status), (status == "lost") | (status == "abandoned"), np.nan
        ).astype(float),
        "won": opp & (action == "status") & (status == "won"),
        "value": np.where(opp & (value > 0), value, np.nan),
        "dnd_sms": ev["dnd_sms"],
        "dnd_email": ev["dnd_email"],
        "contact": contact,
        "tags": kind == "tags",
        "budget": ev["budget"],
        "pref_beds": ev["pref_beds"],
        "pref_areas_count": np.array(
            [len(a.split(",")) if isinstance(a, str) else np.nan for a in ev["pref_areas"]], dtype=float
        ),
        "timeline_months": np.array(
            [TIMELINE_MONTHS.get(t, np.nan) for t in ev["stated_timeline"]], dtype=float
        ),
        "assignee_code": _codes(ev["user_id"], contact),
        "hot_tag": np.array(
            [("hot-lead" in t.split(",")) if isinstance(t, str) else np.nan for t in ev["tags"]], dtype=float
        ),
        "note": kind == "note",
        "task_created": (kind == "task") & (action == "created"),
        "task_completed": (kind == "task") & (action == "completed"),
    }


def _derived(
    c: dict[str, FloatArray | IntArray | BoolArray],
    lead: IntArray,
    at: IntArray,
    known: IntArray,
    item: ObjectArray,
) -> None:
    """Values that involve another event of the same lead, stored with when that became known."""
    base = int(at.min()) if len(at) else 0
    msg_in, msg_out = c["msg_in"].astype(bool), c["msg_out"].astype(bool)
    first_row = np.arange(len(lead)) == 0
    # The lead's own response time: since our last message on that channel, if it came after theirs.
    for name in ("sms", "email"):
        channel = c[name].astype(bool)
        last_out = _scan_last(lead, at, msg_out & channel, base)
        # The inbound before this row: the inclusive scan one row up, if that row is the same lead.
        prev_in = np.roll(_scan_last(lead, at, msg_in & channel, base), 1)
        prev_in = np.where((np.roll(lead, 1) == lead) & ~first_row, prev_in, NONE)
        answers = msg_in & channel & (last_out != NONE) & (last_out > prev_in)
        c[f"{name}_response_h"] = np.where(answers, (at - last_out) / HOUR_MS, np.nan)
    # When an agent answered each inbound message, and when we could know it.
    human_out = c["human_out"].astype(bool)
    c["answer_at"] = _scan_next(lead, at, human_out, base)
    c["answer_known"] = _scan_next(lead, known, human_out, base)
    # When each appointment's cancellation became known (never: int64 max).
    never = np.iinfo(np.int64).max
    appt = c["appt_created"].astype(bool) | c["appt_cancelled"].astype(bool) | c["appt_showed"].astype(bool)
    code = _codes(item, appt | c["appt_noshow"].astype(bool))
    cancel_known = np.full(int(code.max(initial=-1)) + 2, never, dtype=np.int64)
    cancelled = c["appt_cancelled"].astype(bool) & (code >= 0)
    np.minimum.at(cancel_known, code[cancelled], known[cancelled])
    c["appt_cancel_known"] = np.where(code >= 0, cancel_known[code], never)


def prepare(events: pd.DataFrame, prof: Columns) -> LeadArrays:
    """Timeline rows + profile columns (ml.features.columns) → LeadArrays. Events of leads without
    a profile are left out."""
    raw = event_columns(events)
    index = {contact: i for i, contact in enumerate(prof["contact_id"])}
    lead_of = np.fromiter(
        (index.get(c, -1) for c in raw["contact_id"]), dtype=np.int64, count=len(raw["contact_id"])
    )
    order = np.lexsort((np.arange(len(lead_of)), raw["at"], lead_of))
    order = order[lead_of[order] >= 0]
    ev = {name: values[order] for name, values in raw.items()}
    lead = lead_of[order].astype(np.int64)
    at = ev["at"]
    known = np.maximum(at, ev["received_at"])
    c = _flags(ev)
    _derived(c, lead, at, known, ev["item_id"])
    engagement = ev["engagement"]
    hour, weekday = np.full(len(at), np.nan), np.full(len(at), np.nan)
    hour[engagement], weekday[engagement] = _local_clock(at[engagement], prof["zone"][lead[engagement]])
    c["local_hour"], c["weekday"] = hour, weekday
    return LeadArrays(lead, at, known, c, prof)

"""Properties of the ordering rule: arrival order and repetition do not change the lead state.

A random story of one contact (profile and tag updates, DND, STOP / START / HELP, outbound
statuses, opportunity and appointment changes, website activity, e-mail stats, deletion) is
applied three ways in two fresh locations of the same store:

* A: one event at a time, in event-time order (the reference);
* B: in a random arrival order, in random micro-batches, each marked processed like the processor
  does — then every event delivered again under a new delivery key, in another random order.

The final lead state of A and B must be identical.
"""

from __future__ import annotations

import itertools
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.hub.leads import payloads as p
from tests.hub.leads.folding import apply_rows, comparable_state
from tests.hub.leads.payloads import Payload, at, log_event
from tests.hub.store.builders import add_location

CID = p.CID
EMAIL = "dana@example.com"
STAGES = ("stage-new", "stage-showing", "stage-offer")


def _contact_update(draw: st.DrawFn, index: int) -> Payload:
    return p.contact(
        draw(st.sampled_from(["ContactCreate", "ContactUpdate"])),
        email=draw(st.sampled_from([EMAIL, None])),
        firstName=draw(st.sampled_from(["Dana", "Danielle", None])),
        phone=draw(st.sampled_from(["+15125550143", "+15125550199", None])),
        tags=draw(st.sampled_from([["buyer"], ["buyer", "hot"], [], None])),
        customFields=[{"id": "cfBudget01", "value": draw(st.sampled_from(["400000", "450000"]))}],
        dnd=draw(st.sampled_from([True, False, None])),
    )


@st.composite
def story_event(draw: st.DrawFn, index: int) -> Payload:
    kind = draw(
        st.sampled_from(
            [
                "contact",
                "tags",
                "dnd",
                "sms_in",
                "sms_out",
                "opportunity",
                "appointment",
                "website",
                "email",
                "delete",
                "task",
            ]
        )
    )
    if kind == "contact":
        return _contact_update(draw, index)
    if kind == "tags":
        return p.contact("ContactTagUpdate", tags=draw(st.sampled_from([["buyer"], ["seller", "hot"], []])))
    if kind == "dnd":
        statuses = st.sampled_from(["active", "inactive", "permanent"])
        return p.dnd(sms=draw(statuses), email=draw(statuses), all_channels=draw(st.booleans()))
    if kind == "sms_in":
        body = draw(st.sampled_from(["STOP", "START", "Hi there", "HELP", "wrong number", "Stop texting me"]))
        return p.message(
            body, message_id=draw(st.sampled_from([f"MsgIn{index}", None])), date_added=p.iso(at(index))
        )
    if kind == "sms_out":
        status = draw(st.sampled_from(["sent", "delivered", "failed", "opt_out"]))
        return p.message("Hi Dana", inbound=False, message_id=f"MsgOut{index}", source="api", status=status)
    if kind == "opportunity":
        event_type = draw(
            st.sampled_from(
                [
                    "OpportunityCreate",
                    "OpportunityStageUpdate",
                    "OpportunityStatusUpdate",
                    "OpportunityMonetaryValueUpdate",
                    "OpportunityDelete",
                ]
            )
        )
        return p.opportunity(
            event_type,
            stage=draw(st.sampled_from(STAGES)),
            status=draw(st.sampled_from(["open", "won", "lost"])),
            value=draw(st.sampled_from([450000, "500000"])),
        )
    if kind == "appointment":
        return p.appointment(
            draw(st.sampled_from(["AppointmentCreate", "AppointmentUpdate", "AppointmentDelete"])),
            status=draw(st.sampled_from(["confirmed", "showed", "noshow", "cancelled"])),
            start=draw(st.sampled_from(["2026-09-13T10:00:00-05:00", "2026-09-14T09:00:00Z"])),
        )
    if kind == "website":
        return p.website(
            draw(st.sampled_from(["property_viewed", "property_saved", "not_interested"])),
            listing_id=draw(st.sampled_from(["TX1", "TX2"])),
            tags=draw(st.sampled_from(["buyer,website", "website"])),
        )
    if kind == "email":
        return p.email_stats(draw(st.sampled_from(["failed", "opened", "unsubscribed", "delivered"])), EMAIL)
    if kind == "delete":
        return p.contact("ContactDelete")
    return {"type": "TaskCreate", "locationId": p.LOC, "id": f"Tk{index}", "contactId": CID, "title": "Call"}


@st.composite
def stories(draw: st.DrawFn) -> tuple[list[tuple[Payload, int]], list[int], list[int], list[int], list[int]]:
    size = draw(st.integers(min_value=2, max_value=12))
    minutes = draw(st.lists(st.integers(0, 600), min_size=size, max_size=size, unique=True))
    events = [(draw(story_event(index)), minute) for index, minute in enumerate(minutes)]
    arrival = draw(st.permutations(range(size)))
    cuts = draw(st.lists(st.integers(1, size), max_size=4))
    again = draw(st.permutations(range(size)))
    cuts_again = draw(st.lists(st.integers(1, size), max_size=4))
    return events, list(arrival), cuts, list(again), cuts_again


def _batches(order: list[int], cuts: list[int]) -> list[list[int]]:
    edges = sorted({0, len(order), *cuts})
    return [order[start:end] for start, end in itertools.pairwise(edges) if order[start:end]]


def _deliver(
    session: Session, location: str, events: list[tuple[Payload, int]], batches: list[list[int]]
) -> None:
    for batch in batches:
        rows = [log_event(session, events[i][0], at(events[i][1]), location_id=location) for i in batch]
        apply_rows(session, rows, location_id=location)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(story=stories())
def test_arrival_order_and_redelivery_do_not_change_the_final_state(
    session: Session, story: tuple[list[tuple[Payload, int]], list[int], list[int], list[int], list[int]]
) -> None:
    events, arrival, cuts, again, cuts_again = story
    reference, shuffled = (f"Loc{uuid.uuid4().hex[:12]}" for _ in range(2))
    for location in (reference, shuffled):
        add_location(session, location)

    in_time_order = sorted(range(len(events)), key=lambda i: events[i][1])
    _deliver(session, reference, events, [[i] for i in in_time_order])
    _deliver(session, shuffled, events, _batches(arrival, cuts))
    expected = comparable_state(session, reference)
    assert comparable_state(session, shuffled) == expected

    _deliver(session, shuffled, events, _batches(again, cuts_again))
    assert comparable_state(session, shuffled) == expected

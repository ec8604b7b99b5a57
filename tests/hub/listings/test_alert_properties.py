"""The listing-alert property: over random inventories, status changes, rankings, "not interested"
feedback, GHL-side DND flips and send times (quiet hours included), with two workflows alerting the
same leads, the stand-in receives ZERO duplicate listings per lead, ZERO weeks with more than
`max_per_week` alerts per lead, and no alert naming a listing that was not Active or that the lead
had rejected. So that it cannot hold vacuously, every lead gets an alert on the first day.

GHL is the real stand-in over HTTP (the only fake); the store is the test's (SQLite and PostgreSQL),
each example in a location of its own."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.listings.matches import replace_matches
from hub.settings import GHLSettings
from hub.store.models import Contact, Listing, ListingInteraction
from hub.workflows import WorkflowEvent, dispatch_due, handle_events, parse_workflow, publish_workflow
from tests.hub.listings.builders import add_listing
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact

LEADS = ("C1", "C2")
MAX_PER_WEEK = 2
LINK = re.compile(r"https://h\.test/l/(\w+)")
WORKFLOWS = [
    f"""
id: alerts_{channel.lower()}
name: Alerts by {channel}
triggers: [{{event: NewListingMatches}}]
enrollment: {{re_entry: {{allowed: true}}, channels: {{failover: true}}}}
steps:
  - id: alert
    type: send_listing_alert
    channel: {channel}
    max_listings: {size}
    max_per_week: {MAX_PER_WEEK}
    listing_url: "https://h.test/l/{{listing_id}}"
"""
    for channel, size in (("SMS", 2), ("Email", 3))
]
_locations = itertools.count(1)
pytestmark = pytest.mark.slow  # ~15 s per backend: a dozen brokerages, each over simulated weeks


@dataclass(frozen=True)
class Tick:
    gap_hours: int  # after the previous tick (the first tick is T0, noon in the lead's zone)
    ops: list[tuple[Any, ...]]


def _op(listings: int) -> st.SearchStrategy[tuple[Any, ...]]:
    index = st.integers(0, listings - 1)
    lead = st.sampled_from(LEADS)
    return st.one_of(
        st.tuples(st.just("status"), index, st.sampled_from(["Active", "Active", "Pending", "Closed"])),
        st.tuples(st.just("reject"), lead, index),
        st.tuples(
            st.just("rank"),
            lead,
            st.permutations(range(listings)).map(lambda p: p[: max(1, len(p) // 2 + 1)]),
        ),
        st.tuples(st.just("dnd"), lead, st.booleans()),
    )


@st.composite
def plans(draw: st.DrawFn) -> tuple[int, list[Tick]]:
    listings = draw(st.integers(3, 9))
    ticks = draw(
        st.lists(
            st.builds(Tick, st.integers(3, 60), st.lists(_op(listings), max_size=4)), min_size=2, max_size=9
        )
    )
    return listings, ticks


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans())
def test_no_duplicate_listing_no_cap_violation_no_stale_alert(
    plan: tuple[int, list[Tick]], make_session: sessionmaker[Session], standin: StandinHandle
) -> None:
    n_listings, ticks = plan
    location = f"P{next(_locations)}"
    standin.admin.register_location(location, f"tok-{location}")
    ids = [f"{location}H{i}" for i in range(n_listings)]
    status = dict.fromkeys(ids, "Active")
    rejected: set[tuple[str, str]] = set()
    with make_session() as session:
        add_location(session, location)
        for lead in LEADS:
            contact = add_lead(session, location, lead)
            standin.admin.seed_contacts(location, [ghl_contact(contact)])
        for i, listing_id in enumerate(ids):
            add_listing(session, listing_id, location, address=f"{i} Elm St")
        for text in WORKFLOWS:
            publish_workflow(session, parse_workflow(text, "property.yaml"), now=T0)
        for lead in LEADS:
            _rank(session, location, lead, list(range(n_listings)), ids, T0)
        session.commit()
    client = GHLClient(
        GHLSettings(base_url=standin.base_url, timeout_s=2.0, max_attempts=2, backoff_max_s=0.05),
        lambda location_id: SecretStr(f"tok-{location_id}"),
        sleep=lambda _s: None,
    )
    received: dict[str, list[tuple[datetime, list[str]]]] = defaultdict(list)
    seen = 0
    now = T0
    with client:
        for number, tick in enumerate(ticks):
            now = T0 if number == 0 else now + timedelta(hours=tick.gap_hours)
            with make_session() as session:
                for op in tick.ops if number else []:
                    _apply(session, standin, location, op, ids, status, rejected, now)
                session.commit()
                events = [WorkflowEvent("NewListingMatches", lead, now, {"count": 1}) for lead in LEADS]
                handle_events(session, location, events, now=now)
                session.commit()
            dispatch_due(make_session, client, now=now, location_id=location)
            messages = standin.admin.collection(location, "messages")
            for message in messages[seen:]:
                named = LINK.findall(message.get("message") or message.get("html") or "")
                assert named, message
                for listing_id in named:
                    assert status[listing_id] == "Active", (listing_id, status[listing_id])
                    assert (message["contactId"], listing_id) not in rejected
                received[message["contactId"]].append((now, named))
            seen = len(messages)
            if number == 0:
                assert set(received) == set(LEADS)  # non-vacuous: everyone got their first alert
    for lead, alerts in received.items():
        named = [listing_id for _, listing_ids in alerts for listing_id in listing_ids]
        assert len(named) == len(set(named)), f"{lead} got a listing twice: {named}"
        for at, _ in alerts:
            in_week = [t for t, _ in alerts if at - timedelta(days=7) < t <= at]
            assert len(in_week) <= MAX_PER_WEEK, f"{lead}: {len(in_week)} alerts in the week to {at}"


def _rank(
    session: Session, location: str, lead: str, order: list[int], ids: list[str], now: datetime
) -> None:
    ranked = pd.DataFrame(
        {
            "contact_id": lead,
            "listing_id": [ids[i] for i in order],
            "score": [1.0 - r / 100 for r in range(len(order))],
            "rank": list(range(1, len(order) + 1)),
            "reasons": [["fits"] for _ in order],
            "scorer": "rules",
        }
    )
    replace_matches(session, location, [lead], ranked, matched_at=now)


def _apply(
    session: Session,
    standin: StandinHandle,
    location: str,
    op: tuple[Any, ...],
    ids: list[str],
    status: dict[str, str],
    rejected: set[tuple[str, str]],
    now: datetime,
) -> None:
    kind = op[0]
    if kind == "status":
        listing = session.get(Listing, (location, ids[op[1]]))
        assert listing is not None
        listing.status = status[listing.id] = op[2]
    elif kind == "reject":
        session.add(
            ListingInteraction(
                location_id=location, contact_id=op[1], listing_id=ids[op[2]], kind="not_interested", at=now
            )
        )
        rejected.add((op[1], ids[op[2]]))
    elif kind == "rank":
        _rank(session, location, op[1], list(op[2]), ids, now)
    else:
        contact = session.get(Contact, (location, op[1]))
        assert contact is not None
        standin.admin.seed_contacts(location, [ghl_contact(contact, dnd=op[2])])

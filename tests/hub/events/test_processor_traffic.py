"""process_pending on realistic traffic: a simulated brokerage's deliveries (duplicates, late
arrivals, every event type) and processors running at the same time."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.compliance.opt_out import SmsIntent, classify_sms
from hub.events.envelope import marketplace_delivery, workflow_delivery
from hub.events.processor import BatchResult, process_pending
from hub.simulator.config import SimulationConfig
from hub.simulator.delivery import Delivery
from hub.simulator.simulation import Simulation, simulate
from hub.store.engine import session_factory
from hub.store.event_log import RawDelivery, append_event
from hub.store.models import Contact, Event
from tests.hub.leads import payloads as p
from tests.hub.leads.folding import comparable_state
from tests.hub.leads.payloads import at, log_event
from tests.hub.store.builders import add_location

REFERENCE = "LocReference"


@pytest.fixture(scope="module")
def simulation() -> Simulation:
    return simulate(SimulationConfig(leads=40, days=30, seed=2))


def _received(delivery: Delivery, location_id: str | None = None) -> RawDelivery:
    """The envelope as the receiver builds it; `location_id` re-homes the delivery under its own
    delivery key (the log's keys are unique across locations)."""
    if delivery.route == "workflow":
        row = workflow_delivery(
            delivery.body, location_id=location_id or delivery.location_id, received_at=delivery.arrival_at
        )
    else:
        body = delivery.body
        if location_id is not None:
            body = json.dumps({**json.loads(body), "locationId": location_id}).encode()
        row = marketplace_delivery(body, received_at=delivery.arrival_at)
    if location_id is None:
        return row
    return dataclasses.replace(row, delivery_key=f"{location_id}:{row.delivery_key}")


def _drain(session: Session, location_id: str, limit: int) -> list[BatchResult]:
    results = []
    while (result := process_pending(session, location_id, limit=limit)).processed:
        results.append(result)
        session.commit()
    return results


def _last_sms_intent(simulation: Simulation) -> dict[str, bool]:
    """Per contact, whether the newest STOP / START-like SMS (by time) was a STOP."""
    decisions: dict[str, tuple[datetime, bool]] = {}
    for delivery in simulation.deliveries:
        row = _received(delivery)
        payload = row.payload
        if row.type not in ("InboundMessage", "OutboundMessage") or payload.get("messageType") != "SMS":
            continue
        if row.type == "InboundMessage":
            intent = classify_sms(payload.get("body")).intent
            if intent not in (SmsIntent.OPT_OUT, SmsIntent.OPT_IN):
                continue
            opted_out = intent is SmsIntent.OPT_OUT
        elif payload.get("status") == "opt_out":
            opted_out = True
        else:
            continue
        assert row.contact_id is not None
        previous = decisions.get(row.contact_id)
        if previous is None or row.occurred_at > previous[0]:
            decisions[row.contact_id] = (row.occurred_at, opted_out)
    return {contact_id: opted_out for contact_id, (_, opted_out) in decisions.items()}


def test_simulated_traffic_in_arrival_order_ends_where_time_order_does(
    session: Session, simulation: Simulation
) -> None:
    [location] = simulation.world.locations
    add_location(session, location.id, timezone=location.timezone)
    add_location(session, REFERENCE)
    session.commit()
    # As received: one delivery at a time, processed in micro-batches while traffic keeps arriving.
    results: list[BatchResult] = []
    for position, delivery in enumerate(simulation.deliveries):
        append_event(session, _received(delivery))
        if position % 97 == 96:
            results.append(process_pending(session, location.id, limit=60))
            session.commit()
    results += _drain(session, location.id, limit=250)
    # Reference: the same events logged in event-time order.
    reference = sorted((_received(d, REFERENCE) for d in simulation.deliveries), key=lambda r: r.occurred_at)
    for row in reference:
        append_event(session, row)
    session.commit()
    _drain(session, REFERENCE, limit=500)

    assert all(result.errors == {} and not result.unknown_types for result in results)
    assert comparable_state(session, location.id) == comparable_state(session, REFERENCE)
    unprocessed = sa.select(sa.func.count()).where(Event.processed_at.is_(None))
    assert session.scalar(unprocessed) == 0
    contacts = {row.contact_id for row in map(_received, simulation.deliveries) if row.contact_id}
    stored = set(session.scalars(sa.select(Contact.id).where(Contact.location_id == location.id)))
    assert stored == contacts
    expected = _last_sms_intent(simulation)
    assert any(expected.values()), "the seed was chosen for a brokerage where someone texts STOP"
    opted_out = set(
        session.scalars(
            sa.select(Contact.id).where(Contact.location_id == location.id, Contact.sms_opted_out)
        )
    )
    assert opted_out == {contact_id for contact_id, out in expected.items() if out}


@pytest.fixture
def sessions(store_engine: sa.Engine) -> Iterator[sessionmaker[Session]]:
    factory = session_factory(store_engine)
    with factory() as setup:
        for location in ("LocA", "LocB", REFERENCE):
            add_location(setup, location)
        setup.commit()
    yield factory


def _story(session: Session, location_id: str, contacts: int) -> None:
    for index in range(contacts):
        contact_id = f"Ct{index:03d}"
        log_event(
            session,
            p.message("STOP", message_id=f"MsgS{index}", contact_id=contact_id),
            at(index + 2),
            location_id=location_id,
        )
        log_event(
            session,
            p.contact(contact_id=contact_id, email=f"lead{index}@example.com"),
            at(index),
            location_id=location_id,
        )
        log_event(
            session,
            p.contact("ContactTagUpdate", contact_id=contact_id, tags=["hot"]),
            at(index + 1),
            location_id=location_id,
        )
    session.commit()


def _run_together(factory: sessionmaker[Session], locations: list[str], limit: int) -> list[int]:
    processed = [0] * len(locations)
    failures: list[BaseException] = []
    barrier = threading.Barrier(len(locations))

    def work(slot: int, location_id: str) -> None:
        try:
            with factory() as session:
                barrier.wait()
                while True:
                    with session.begin():
                        count = process_pending(session, location_id, limit=limit).processed
                    if not count:
                        return
                    processed[slot] += count
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(slot, loc)) for slot, loc in enumerate(locations)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return processed


def test_processors_of_different_locations_run_at_the_same_time(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        for location in ("LocA", "LocB", REFERENCE):
            _story(session, location, contacts=15)
        _drain(session, REFERENCE, limit=500)
    assert _run_together(sessions, ["LocA", "LocB"], limit=10) == [45, 45]
    with sessions() as session:
        expected = comparable_state(session, REFERENCE)
        assert comparable_state(session, "LocA") == expected == comparable_state(session, "LocB")
        assert all(row["sms_opted_out"] and row["tags"] == ["hot"] for row in expected["contacts"])


def test_two_processors_of_one_location_take_turns_and_apply_each_event_once(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        _story(session, "LocA", contacts=20)
        _story(session, REFERENCE, contacts=20)
        _drain(session, REFERENCE, limit=500)
    processed = _run_together(sessions, ["LocA", "LocA"], limit=7)
    assert sum(processed) == 60
    with sessions() as session:
        assert comparable_state(session, "LocA") == comparable_state(session, REFERENCE)
        assert session.scalar(sa.select(sa.func.count()).where(Event.processed_at.is_(None))) == 0

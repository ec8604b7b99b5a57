"""Immediate dispatch is coalesced per location: one run in flight, no request left unserved, and
two dispatchers at once (an immediate run and the minute sweep) still send each step once.
Processing serves its own request with one small round when nobody holds the location, and hands
the rest to a background run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.workflows import dispatch_due, enroll
from hub.workflows.dispatch_gate import (
    DispatchGate,
    InProcessGate,
    RedisGate,
    dispatch_here_first,
    run_coalesced,
)
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact, publish, workflow_yaml


@pytest.fixture(params=["in-process", "redis"])
def gate(request: pytest.FixtureRequest) -> Iterator[DispatchGate]:
    if request.param == "in-process":
        yield InProcessGate()
        return
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisGate(client)
    client.close()


def test_only_the_first_request_starts_a_run(gate: DispatchGate) -> None:
    assert gate.request("L1") is True
    assert gate.request("L1") is False  # already asked: the queued run serves it
    assert gate.request("L2") is True  # other locations are independent
    assert gate.take_pending("L1") is True and gate.take_pending("L1") is False


def test_a_request_while_a_run_holds_the_location_starts_nothing_but_is_served(gate: DispatchGate) -> None:
    calls: list[int] = []
    asked_during_run: list[bool] = []

    def dispatch() -> bool:
        calls.append(1)
        if len(calls) == 1:
            asked_during_run.append(gate.request("L1"))  # a new lead enrolled while we dispatch
        return False

    assert gate.request("L1") is True
    assert run_coalesced(gate, "L1", dispatch) == 2  # its own request, then the one made meanwhile
    assert asked_during_run == [False]
    assert gate.is_pending("L1") is False
    assert gate.request("L1") is True  # released: the next request starts a run again


def test_a_full_round_means_another_round(gate: DispatchGate) -> None:
    left = [3]

    def dispatch() -> bool:
        left[0] -= 1
        return left[0] > 0  # stopped at its limit while work remained

    gate.request("L1")
    assert run_coalesced(gate, "L1", dispatch) == 3


def test_a_second_run_hands_over_to_the_holder(gate: DispatchGate) -> None:
    assert gate.acquire("L1") is True
    assert run_coalesced(gate, "L1", lambda: pytest.fail("the holder dispatches, not us")) == 0
    gate.release("L1")


def test_the_marks_of_a_dead_run_expire() -> None:
    clock = [0.0]
    gate = InProcessGate(ttl_s=10, clock=lambda: clock[0])
    assert gate.request("L1") is True and gate.acquire("L1") is True  # ...and the run dies here
    assert gate.request("L1") is False
    clock[0] = 11.0
    assert gate.request("L1") is True  # both marks expired: a new run is started
    assert gate.acquire("L1") is True


def test_a_run_never_releases_a_lease_it_no_longer_holds() -> None:
    clock = [0.0]
    gate = InProcessGate(ttl_s=10, clock=lambda: clock[0])
    assert gate.acquire("L1")
    clock[0] = 11.0
    taken = threading.Event()

    def other_run() -> None:
        if gate.acquire("L1"):
            taken.set()

    thread = threading.Thread(target=other_run)
    thread.start()
    thread.join()
    assert taken.is_set()
    gate.release("L1")  # the first run, late: must not free the other run's lease
    assert gate.acquire("L1") is False


TEXT = workflow_yaml("""
    - {id: hello, type: send_sms, body: "Hello {{ contact.first_name }}"}
""")


def test_immediate_runs_and_the_sweep_at_once_send_each_text_once(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    with make_session() as session:
        add_location(session)
        leads = [add_lead(session, contact_id=f"C{i:02d}") for i in range(10)]
        standin.admin.seed_contacts("L1", [ghl_contact(lead) for lead in leads])
        publish(session, TEXT)
        for lead in leads:
            enroll(session, location_id="L1", contact_id=lead.id, workflow_id="wf", now=T0, reason="t")
        session.commit()
    gate = InProcessGate()
    barrier = threading.Barrier(3)
    reports: list[Any] = []

    def one_round() -> bool:
        report = dispatch_due(make_session, ghl, now=T0, limit=4)
        reports.append(report)
        return report.claimed == 4

    def immediate() -> None:  # two kicks at once (two task runs for the same location)
        barrier.wait()
        gate.request("L1")
        run_coalesced(gate, "L1", one_round)

    def sweep() -> None:
        barrier.wait()
        reports.append(dispatch_due(make_session, ghl, now=T0, limit=100))

    threads = [threading.Thread(target=f) for f in (immediate, immediate, sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Whatever the interleaving, each lead got exactly one text.
    contacts = sorted(m["contactId"] for m in standin.admin.collection("L1", "messages"))
    assert contacts == [f"C{i:02d}" for i in range(10)]
    assert sum(r.sends.get("sent", 0) for r in reports) == 10


class Queue:
    """Records background runs asked for (the `.delay()` boundary; no Prefect server here)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def test_processing_serves_a_lone_request_itself(gate: DispatchGate) -> None:
    rounds, queue = [], Queue()
    assert dispatch_here_first(gate, "L1", lambda: rounds.append(1) or False, queue) == "inline"
    assert rounds == [1] and queue.calls == 0
    assert gate.is_pending("L1") is False
    assert gate.request("L1") is True  # released, nothing left pending: the next request starts anew


def test_a_full_inline_round_is_handed_to_a_background_run(gate: DispatchGate) -> None:
    queue = Queue()
    assert dispatch_here_first(gate, "L1", lambda: True, queue) == "queued"
    assert queue.calls == 1
    assert gate.acquire("L1") is True  # the background run can take the location
    gate.release("L1")


def test_a_request_made_during_the_inline_round_gets_a_background_run(gate: DispatchGate) -> None:
    queue, answers = Queue(), []

    def dispatch() -> bool:
        answers.append(gate.request("L1"))  # a second batch enrolled a lead meanwhile: "on it"
        return False

    assert dispatch_here_first(gate, "L1", dispatch, queue) == "queued"
    assert answers == [False] and queue.calls == 1
    # The queued run serves that request (one round, the pending mark taken), and then stops.
    assert run_coalesced(gate, "L1", lambda: False) == 1
    assert gate.is_pending("L1") is False


def test_a_location_a_run_holds_is_not_dispatched_inline(gate: DispatchGate) -> None:
    queue, results = Queue(), []

    def run_round() -> bool:
        if not results:  # processing asks while the background run is in its first round
            results.append(dispatch_here_first(gate, "L1", lambda: pytest.fail("not inline"), queue))
        return False

    gate.request("L1")
    assert run_coalesced(gate, "L1", run_round) == 2  # the run serves processing's request too
    assert results == ["coalesced"] and queue.calls == 0


def test_a_failed_inline_round_is_handed_over_and_frees_the_location(gate: DispatchGate) -> None:
    queue = Queue()

    def broken() -> bool:
        raise RuntimeError("store went away")

    assert dispatch_here_first(gate, "L1", broken, queue) == "queued"  # its retries try again
    assert queue.calls == 1
    assert gate.acquire("L1") is True
    gate.release("L1")


def test_processing_texts_a_few_leads_itself_and_a_background_run_the_rest(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    with make_session() as session:
        add_location(session)
        leads = [add_lead(session, contact_id=f"C{i:02d}") for i in range(7)]
        standin.admin.seed_contacts("L1", [ghl_contact(lead) for lead in leads])
        publish(session, TEXT)
        for lead in leads:
            enroll(session, location_id="L1", contact_id=lead.id, workflow_id="wf", now=T0, reason="t")
        session.commit()
    gate, queued = InProcessGate(), Queue()

    def one_round() -> bool:
        return dispatch_due(make_session, ghl, now=T0, location_id="L1", limit=5).claimed >= 5

    assert dispatch_here_first(gate, "L1", one_round, queued) == "queued"
    assert len(standin.admin.collection("L1", "messages")) == 5  # sent on the processing thread
    assert queued.calls == 1
    assert run_coalesced(gate, "L1", one_round) >= 1  # the background run it queued
    contacts = sorted(m["contactId"] for m in standin.admin.collection("L1", "messages"))
    assert contacts == [f"C{i:02d}" for i in range(7)]

"""A lingering drain: one run picks up events that arrive after the backlog emptied; one drain per
location at a time (in-process and Redis leases)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.events.drain import drain_and_linger, has_unprocessed
from hub.events.drain_lease import InProcessLease, RedisLease
from tests.hub.leads import payloads as p
from tests.hub.leads.payloads import at, log_event
from tests.hub.store.builders import add_location


class VirtualClock:
    """Time that moves only when the drain sleeps; each sleep may deliver new webhooks."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sessions(store_engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(store_engine)
    with factory() as session, session.begin():
        add_location(session, p.LOC)
    return factory


def _log(sessions: sessionmaker[Session], contact_id: str, minute: float) -> None:
    with sessions() as session, session.begin():
        log_event(session, p.contact(contact_id=contact_id), at(minute), key=str(uuid.uuid4()))


def test_events_arriving_while_it_lingers_are_drained_by_the_same_run(
    sessions: sessionmaker[Session],
) -> None:
    clock = VirtualClock()
    _log(sessions, "CtFirst", 0)

    def sleep(seconds: float) -> None:
        clock.now += seconds
        clock.sleeps += 1
        if clock.sleeps in (3, 9):  # two webhooks land while the run is polling
            _log(sessions, f"CtLate{clock.sleeps}", clock.sleeps)

    lease = InProcessLease()
    report = drain_and_linger(
        sessions, p.LOC, lease, linger_s=1.0, poll_s=0.1, max_s=30, clock=clock, sleep=sleep
    )

    assert report is not None and report.processed == 3 and not report.out_of_time
    # Idle for a full linger after the last arrival (sleep 9 at t=0.9), then it let go.
    assert clock.now == pytest.approx(0.9 + 1.0, abs=0.11)
    assert lease.acquire(p.LOC)  # released
    lease.release(p.LOC)


def test_a_kick_while_another_run_holds_the_location_hands_over(sessions: sessionmaker[Session]) -> None:
    _log(sessions, "CtWaiting", 0)
    holder = InProcessLease()
    assert holder.acquire(p.LOC)
    try:
        report = drain_and_linger(sessions, p.LOC, InProcessLease(), linger_s=1, poll_s=0.1, max_s=30)
    finally:
        holder.release(p.LOC)
    assert report is None
    assert has_unprocessed(sessions, p.LOC)  # left for the holder, not processed twice


def test_a_never_ending_stream_is_handed_to_a_successor_run_at_max_s(sessions: sessionmaker[Session]) -> None:
    clock = VirtualClock()

    def sleep(seconds: float) -> None:
        clock.now += seconds
        _log(sessions, f"Ct{clock.now:.1f}", clock.now)

    _log(sessions, "CtStart", 0)
    report = drain_and_linger(
        sessions, p.LOC, InProcessLease(), linger_s=1.0, poll_s=0.5, max_s=5.0, clock=clock, sleep=sleep
    )
    assert report is not None and report.out_of_time
    assert 5.0 <= clock.now <= 5.5
    assert InProcessLease().acquire(p.LOC)
    InProcessLease().release(p.LOC)


@pytest.fixture
def redis_db(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.delete(RedisLease.key("LocLease"))
    yield client
    client.delete(RedisLease.key("LocLease"))
    client.close()


@pytest.mark.redis
def test_redis_lease_is_exclusive_and_only_its_holder_releases_it(redis_db: redis.Redis) -> None:
    first, second = RedisLease(redis_db, ttl_s=5), RedisLease(redis_db, ttl_s=5)
    assert first.acquire("LocLease")
    assert not second.acquire("LocLease")
    assert not second.renew("LocLease")
    second.release("LocLease")  # not the holder: no effect
    assert not second.acquire("LocLease")
    assert first.renew("LocLease")
    first.release("LocLease")
    assert second.acquire("LocLease")
    second.release("LocLease")


@pytest.mark.redis
def test_redis_lease_of_a_dead_worker_expires(redis_db: redis.Redis) -> None:
    dead, alive = RedisLease(redis_db, ttl_s=0.2), RedisLease(redis_db, ttl_s=5)
    assert dead.acquire("LocLease")
    assert not alive.acquire("LocLease")
    time.sleep(0.3)
    assert alive.acquire("LocLease")
    assert not dead.renew("LocLease")  # it lost the lease: a late renew must not steal it back
    alive.release("LocLease")

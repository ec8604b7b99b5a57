"""The receiver's group commit: each request answered only after its delivery is committed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from functools import partial

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hub.store.event_log import RawDelivery
from hub.store.models import Event
from hub.webhooks.group_commit import GroupCommitter, commit_deliveries
from tests.hub.store.builders import make_delivery


def _stored_keys(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.scalars(sa.select(Event.delivery_key)))


async def _store_all(committer: GroupCommitter, deliveries: list[RawDelivery]) -> list[bool | BaseException]:
    committer.start()
    try:
        return await asyncio.gather(*(committer.store(d) for d in deliveries), return_exceptions=True)
    finally:
        await committer.stop()


def test_concurrent_deliveries_share_commits_and_all_land(store_engine: Engine) -> None:
    deliveries = [make_delivery() for _ in range(60)]
    committer = GroupCommitter(partial(commit_deliveries, store_engine))

    answers = asyncio.run(_store_all(committer, deliveries))

    assert answers == [True] * 60
    assert _stored_keys(store_engine) == {d.delivery_key for d in deliveries}
    assert committer.committed == 60
    assert committer.batches < 60  # grouped: requests that queued during a commit shared the next one


def test_repeats_are_answered_duplicate_inside_a_batch_and_across_batches(store_engine: Engine) -> None:
    first = make_delivery()
    again = make_delivery(delivery_key=first.delivery_key)
    other = make_delivery()
    committer = GroupCommitter(partial(commit_deliveries, store_engine))

    assert asyncio.run(_store_all(committer, [first, again, other])) == [True, False, True]
    assert asyncio.run(_store_all(committer, [again])) == [False]
    with Session(store_engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Event)) == 2


def test_a_batch_mixing_stored_and_new_keys_answers_each_exactly(store_engine: Engine) -> None:
    stored = make_delivery()
    assert commit_deliveries(store_engine, [stored]) == {stored.delivery_key}
    fresh = [make_delivery(), make_delivery()]
    repeat = make_delivery(delivery_key=stored.delivery_key)
    committer = GroupCommitter(partial(commit_deliveries, store_engine))

    # One batch: on SQLite the one-statement insert fails on the stored key and falls back to rows.
    answers = asyncio.run(_store_all(committer, [fresh[0], repeat, fresh[1]]))

    assert answers == [True, False, True]
    assert committer.batches == 1
    assert _stored_keys(store_engine) == {stored.delivery_key, *(d.delivery_key for d in fresh)}


def test_a_large_batch_with_a_redelivery_in_a_later_insert_statement(store_engine: Engine) -> None:
    stored = make_delivery()
    commit_deliveries(store_engine, [stored])
    batch = [make_delivery() for _ in range(200)]
    batch[150] = make_delivery(delivery_key=stored.delivery_key)  # SQLite: rows go in 90 per INSERT

    new_keys = commit_deliveries(store_engine, batch)

    assert new_keys == {d.delivery_key for d in batch} - {stored.delivery_key}
    assert _stored_keys(store_engine) == new_keys | {stored.delivery_key}


def test_stored_rows_read_back_as_written(store_engine: Engine) -> None:
    delivery = make_delivery(contact_id=None, delivered_at=None)
    assert commit_deliveries(store_engine, [delivery]) == {delivery.delivery_key}
    with Session(store_engine) as session:
        event = session.scalars(sa.select(Event)).one()
    assert (event.delivery_key, event.webhook_id, event.location_id) == (
        delivery.delivery_key,
        delivery.webhook_id,
        delivery.location_id,
    )
    assert (event.contact_id, event.delivered_at, event.type, event.source) == (
        None,
        None,
        "InboundMessage",
        "webhook",
    )
    assert event.occurred_at == delivery.occurred_at and event.occurred_at.tzinfo is not None
    assert event.received_at.tzinfo is not None
    assert (event.raw_body, event.payload) == (delivery.raw_body, delivery.payload)
    assert event.processed_at is None


@pytest.mark.postgres
def test_a_delivery_the_database_refuses_fails_alone(postgres_url: str) -> None:
    from hub.store.engine import make_engine, migrate

    migrate(postgres_url)
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.delete(Event.__table__))
    # PostgreSQL's jsonb cannot hold a NUL character: a real refusal, not a simulated one.
    poisoned = make_delivery(payload={"type": "InboundMessage", "body": "nul \u0000 here"})
    good = [make_delivery() for _ in range(5)]
    committer = GroupCommitter(partial(commit_deliveries, engine))

    answers = asyncio.run(_store_all(committer, [*good[:2], poisoned, *good[2:]]))

    assert answers[:2] == [True, True] and answers[3:] == [True, True, True]
    assert isinstance(answers[2], sa.exc.DBAPIError)
    assert _stored_keys(engine) == {d.delivery_key for d in good}
    engine.dispose()


def test_store_refuses_when_not_started(store_engine: Engine) -> None:
    committer = GroupCommitter(partial(commit_deliveries, store_engine))
    with pytest.raises(RuntimeError, match="not running"):
        asyncio.run(committer.store(make_delivery()))


async def _timed_store(committer: GroupCommitter, delivery: RawDelivery) -> tuple[bool, float]:
    started = time.perf_counter()
    answer = await committer.store(delivery)
    return answer, time.perf_counter() - started


def test_a_lone_delivery_goes_at_once_and_a_short_group_after_the_linger(store_engine: Engine) -> None:
    committer = GroupCommitter(partial(commit_deliveries, store_engine), linger_s=0.5)

    async def scenario() -> tuple[tuple[bool, float], list[bool], tuple[bool, float]]:
        committer.start()
        try:
            # Idle: one delivery is the whole expected group, so nothing waits for the linger.
            lone = await _timed_store(committer, make_delivery())
            # Four at once: the first goes alone, the other three queue behind its commit.
            burst = await asyncio.gather(*(committer.store(make_delivery()) for _ in range(4)))
            # The last group had three, so a lone delivery now waits for company, at most the linger.
            straggler = await _timed_store(committer, make_delivery())
            return lone, burst, straggler
        finally:
            await committer.stop()

    (lone_new, lone_s), burst, (straggler_new, straggler_s) = asyncio.run(scenario())

    assert lone_new and burst == [True] * 4 and straggler_new
    assert lone_s < 0.4
    assert straggler_s >= 0.5
    assert committer.committed == 6


def test_each_group_commit_is_recorded_in_the_metrics(store_engine: Engine) -> None:
    def sample(name: str) -> float:
        return REGISTRY.get_sample_value(name) or 0.0

    commits = sample("hub_webhook_commit_seconds_count")
    deliveries = sample("hub_webhook_commit_deliveries_sum")
    committer = GroupCommitter(partial(commit_deliveries, store_engine))

    asyncio.run(_store_all(committer, [make_delivery() for _ in range(5)]))

    assert sample("hub_webhook_commit_seconds_count") - commits == committer.batches
    assert sample("hub_webhook_commit_deliveries_sum") - deliveries == 5


def test_a_request_cancelled_while_waiting_leaves_the_shared_commit_alone(store_engine: Engine) -> None:
    # A sender that hangs up cancels its request's task mid-wait; the commit it shares with other
    # requests must still happen, and they must still get their answers.
    release = threading.Event()

    def slow_commit(deliveries: Sequence[RawDelivery]) -> set[str]:
        release.wait(10)
        return commit_deliveries(store_engine, deliveries)

    deliveries = [make_delivery() for _ in range(3)]
    committer = GroupCommitter(slow_commit, linger_s=0.0)

    async def scenario() -> list[bool | BaseException]:
        committer.start()
        try:
            tasks = [asyncio.ensure_future(committer.store(d)) for d in deliveries]
            await asyncio.sleep(0.05)  # all three are queued or in the writer's hands
            tasks[0].cancel()
            release.set()
            return await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await committer.stop()

    answers = asyncio.run(scenario())

    assert isinstance(answers[0], asyncio.CancelledError)
    assert answers[1:] == [True, True]
    assert _stored_keys(store_engine) == {d.delivery_key for d in deliveries}

from __future__ import annotations

import dataclasses
import json
import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hub.errors import PayloadError
from hub.events.envelope import marketplace_delivery
from hub.store.engine import session_factory
from hub.store.event_log import (
    append_event,
    append_events,
    append_new,
    events_for_contact,
    locations_with_unprocessed,
    mark_processed,
    unprocessed_events,
    workflow_delivery_key,
)
from hub.store.models import Event
from tests.hub.store.builders import T0, make_delivery


def _keys(session: Session) -> list[str]:
    return list(session.scalars(sa.select(Event.delivery_key).order_by(Event.delivery_key)))


def test_a_new_delivery_is_stored_exactly_as_received(session: Session) -> None:
    # Odd spacing and a non-UTF-8 byte: what is stored must be the bytes, not a re-serialisation.
    raw = b'{"type": "InboundMessage",  "body":"caf\xe9"}\n'
    delivery = make_delivery(delivery_key="5b2f6c0e-8a1d", raw_body=raw, payload={"type": "InboundMessage"})
    before = datetime.now(UTC)
    assert append_event(session, delivery) is True
    session.commit()
    session.expire_all()
    stored = session.scalars(sa.select(Event)).one()
    assert stored.raw_body == raw
    assert stored.payload == {"type": "InboundMessage"}
    assert (stored.delivery_key, stored.webhook_id, stored.location_id, stored.contact_id) == (
        "5b2f6c0e-8a1d",
        "5b2f6c0e-8a1d",
        "Loc8xK2pQ7",
        "CtA19fe02Lm",
    )
    assert (stored.type, stored.source, stored.occurred_at, stored.delivered_at) == (
        "InboundMessage",
        "webhook",
        T0,
        T0 + timedelta(seconds=1),
    )
    assert before <= stored.received_at <= datetime.now(UTC)
    assert stored.processed_at is None and stored.process_error is None


def _stored_as(engine: Engine, key: str) -> tuple[Any, ...]:
    with Session(engine) as session:
        return (
            session.execute(
                sa.select(
                    Event.payload,
                    Event.payload["meta"]["tags"][1].as_string(),
                    Event.payload["note"].as_string(),
                    Event.occurred_at,
                    Event.delivered_at,
                ).where(Event.delivery_key == key)
            )
            .one()
            ._tuple()
        )


@pytest.mark.parametrize("repeat", ["", ', "note": "last"'])
def test_the_receivers_writer_stores_what_core_stores(store_engine: Engine, repeat: str) -> None:
    # The writer binds its SQLite values itself (the body's own JSON text, times formatted
    # directly): read back in Python and in SQL, its rows must equal Core's.
    body = (
        '{"type": "InboundMessage", "locationId": "Loc8xK2pQ7", "contactId": "CtA19fe02Lm", '
        '"webhookId": "via-writer", "dateAdded": "2026-09-10T10:00:00-05:00", '
        '"timestamp": "2026-09-10T15:00:01.25Z", "body": "caf\\u00e9 \\ud83c\\udfe0", "n": 1.5e3, '
        '"note": "first", "meta": {"tags": ["a", "b"], "x": null}' + repeat + "}"
    )
    via_writer = marketplace_delivery(body.encode(), received_at=datetime.now(UTC))
    assert (via_writer.payload_json is None) == bool(repeat)
    via_core = dataclasses.replace(via_writer, delivery_key="via-core", payload_json=None)
    with store_engine.begin() as connection:
        assert append_new(connection, [via_writer]) == {"via-writer"}
    with session_factory(store_engine)() as session, session.begin():
        assert append_events(session, [via_core]) == 1

    written, core = _stored_as(store_engine, "via-writer"), _stored_as(store_engine, "via-core")
    assert written == core
    assert written[0] == json.loads(body)
    assert written[1:] == (
        "b",
        json.loads(body)["note"],
        T0 - timedelta(hours=0),
        T0 + timedelta(seconds=1.25),
    )
    if store_engine.dialect.name == "sqlite":  # the stored text itself: SQL compares times as text
        with store_engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT occurred_at, delivered_at, length(received_at) FROM events ORDER BY delivery_key"
            ).all()
        assert rows[0] == rows[1] == ("2026-09-10 15:00:00.000000", "2026-09-10 15:00:01.250000", 26)


def test_a_redelivery_is_a_no_op(session: Session) -> None:
    first = make_delivery(delivery_key="dup", payload={"n": 1})
    assert append_event(session, first) is True
    session.commit()
    assert append_event(session, make_delivery(delivery_key="dup", payload={"n": 2})) is False
    session.commit()
    assert session.scalars(sa.select(Event.payload)).all() == [{"n": 1}]


def test_a_batch_with_repeats_inserts_the_rest_and_counts_only_new_rows(session: Session) -> None:
    append_event(session, make_delivery(delivery_key="b"))
    batch = [make_delivery(delivery_key=key, payload={"at": i}) for i, key in enumerate("abcab")]
    assert append_events(session, batch) == 2
    session.commit()
    assert _keys(session) == ["a", "b", "c"]
    # Inside one batch the first occurrence wins.
    assert session.scalars(sa.select(Event.payload).where(Event.delivery_key == "a")).one() == {"at": 0}


def test_an_empty_batch_inserts_nothing(session: Session) -> None:
    assert append_events(session, []) == 0


def test_workflow_webhooks_dedupe_on_their_body() -> None:
    body = b'{"contact_id":"CtA19fe02Lm","customData":{"event":"new_lead"}}'
    assert workflow_delivery_key(body) == workflow_delivery_key(bytes(body))
    assert workflow_delivery_key(body) != workflow_delivery_key(body + b" ")
    assert workflow_delivery_key(body).startswith("wf:") and len(workflow_delivery_key(body)) == 67


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"delivery_key": " "}, "delivery_key"),
        ({"location_id": ""}, "location_id"),
        ({"location_id": "L" * 65}, "location_id"),
        ({"type": ""}, "type"),
        ({"source": "email"}, "source"),
        ({"occurred_at": datetime(2026, 9, 10, 15, 0)}, "occurred_at"),
        ({"delivered_at": datetime(2026, 9, 10, 15, 0)}, "delivered_at"),
        ({"raw_body": "not bytes"}, "raw_body"),
        ({"payload": ["not", "an", "object"]}, "payload"),
    ],
)
def test_a_bad_delivery_field_is_named(override: dict[str, Any], field: str) -> None:
    with pytest.raises(PayloadError, match=rf"^delivery\.{field}: "):
        make_delivery(**override)


def test_unprocessed_events_come_oldest_first_up_to_the_limit(session: Session) -> None:
    append_events(session, [make_delivery(delivery_key=f"k{i}") for i in range(5)])
    session.commit()
    batch = unprocessed_events(session, "Loc8xK2pQ7", limit=3)
    assert [e.delivery_key for e in batch] == ["k0", "k1", "k2"]
    assert [e.id for e in batch] == sorted(e.id for e in batch)


def test_marked_events_leave_the_queue_and_the_first_marking_wins(session: Session) -> None:
    append_events(session, [make_delivery(delivery_key=f"k{i}") for i in range(4)])
    session.commit()
    k0, k1, k2, _k3 = unprocessed_events(session, "Loc8xK2pQ7")

    assert mark_processed(session, [k0.id, k1.id]) == 2
    assert mark_processed(session, [k1.id, k2.id], error="KeyError: 'contactId'") == 1
    session.commit()
    session.expire_all()

    assert [e.delivery_key for e in unprocessed_events(session, "Loc8xK2pQ7")] == ["k3"]
    rows = {e.delivery_key: e for e in session.scalars(sa.select(Event))}
    assert rows["k1"].process_error is None  # marked clean before the failing attempt
    assert rows["k2"].process_error == "KeyError: 'contactId'"
    assert rows["k0"].processed_at is not None and rows["k0"].processed_at.tzinfo == UTC
    assert mark_processed(session, []) == 0


def test_marking_many_events_at_once(session: Session) -> None:
    append_events(session, [make_delivery(delivery_key=f"k{i:04}") for i in range(2500)])
    ids = list(session.scalars(sa.select(Event.id)))
    assert mark_processed(session, ids) == 2500
    assert unprocessed_events(session, "Loc8xK2pQ7") == []


def test_query_helpers_never_cross_locations(session: Session) -> None:
    append_events(
        session,
        [
            make_delivery(delivery_key="mine", location_id="LocA", contact_id="Ct1"),
            make_delivery(delivery_key="theirs", location_id="LocB", contact_id="Ct1"),
        ],
    )
    session.commit()
    assert [e.delivery_key for e in unprocessed_events(session, "LocA")] == ["mine"]
    assert [e.delivery_key for e in events_for_contact(session, "LocA", "Ct1")] == ["mine"]
    assert [e.delivery_key for e in events_for_contact(session, "LocB", "Ct1")] == ["theirs"]
    assert unprocessed_events(session, "LocC") == []
    assert locations_with_unprocessed(session) == ["LocA", "LocB"]
    # Marking LocA's events leaves LocB's queue as it was.
    mark_processed(session, [e.id for e in unprocessed_events(session, "LocA")])
    assert locations_with_unprocessed(session) == ["LocB"]


def test_events_for_contact_are_in_occurrence_order_with_a_cutoff(session: Session) -> None:
    # Delivered out of order, as GHL does: the log orders by when things happened.
    times = {"late": T0 + timedelta(hours=2), "early": T0, "middle": T0 + timedelta(hours=1)}
    append_events(session, [make_delivery(delivery_key=k, occurred_at=t) for k, t in times.items()])
    append_event(session, make_delivery(delivery_key="no-contact", contact_id=None, type="TaskCreate"))
    session.commit()
    assert [e.delivery_key for e in events_for_contact(session, "Loc8xK2pQ7", "CtA19fe02Lm")] == [
        "early",
        "middle",
        "late",
    ]
    assert [
        e.delivery_key
        for e in events_for_contact(session, "Loc8xK2pQ7", "CtA19fe02Lm", until=T0 + timedelta(hours=1))
    ] == ["early", "middle"]


def test_the_unprocessed_queue_is_served_by_the_partial_index(session: Session) -> None:
    append_events(session, [make_delivery(delivery_key=f"k{i}") for i in range(50)])
    session.commit()
    stmt = (
        sa.select(Event)
        .where(Event.location_id == "L", Event.processed_at.is_(None))
        .order_by(Event.id)
        .limit(5)
    )
    sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        plan = " ".join(str(row) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    else:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = " ".join(str(row) for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "ix_events_unprocessed" in plan


def test_concurrent_sessions_store_each_key_once(store_engine: Engine) -> None:
    keys = [f"k{i:03}" for i in range(300)]
    workers = 4
    barrier = threading.Barrier(workers)
    inserted: list[int] = []
    errors: list[BaseException] = []
    factory = session_factory(store_engine)

    def deliver(seed: int) -> None:
        # Same keys, each worker in its own order: without a fixed lock order PostgreSQL deadlocks.
        mine = [make_delivery(delivery_key=k) for k in random.Random(seed).sample(keys, len(keys))]
        try:
            with factory() as db:
                db.connection()  # connect before the barrier, so the inserts really overlap
                barrier.wait(timeout=10)
                inserted.append(append_events(db, mine))
                db.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(seed,)) for seed in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(inserted) == len(keys)
    with factory() as db:
        assert _keys(db) == keys


def test_a_delivery_racing_an_uncommitted_twin_waits_and_then_skips(store_engine: Engine) -> None:
    factory = session_factory(store_engine)
    outcome: list[bool] = []
    with factory() as first:
        assert append_event(first, make_delivery(delivery_key="twin")) is True
        second = threading.Thread(
            target=lambda: outcome.append(_append_and_commit(factory, make_delivery(delivery_key="twin")))
        )
        second.start()
        second.join(timeout=0.3)
        assert second.is_alive(), "the twin must wait for the first transaction, not fail or insert"
        first.commit()
    second.join(timeout=30)
    assert outcome == [False]
    with factory() as db:
        assert _keys(db) == ["twin"]


def _append_and_commit(factory: Any, delivery: Any) -> bool:
    with factory() as db:
        new = append_event(db, delivery)
        db.commit()
        return new


def test_locked_batches_of_concurrent_processors(store_engine: Engine) -> None:
    factory = session_factory(store_engine)
    with factory() as db:
        append_events(db, [make_delivery(delivery_key=f"k{i}") for i in range(6)])
        db.commit()
    with factory() as one, factory() as two:
        first = [e.delivery_key for e in unprocessed_events(one, "Loc8xK2pQ7", limit=4, lock=True)]
        second = [e.delivery_key for e in unprocessed_events(two, "Loc8xK2pQ7", limit=4, lock=True)]
    assert first == ["k0", "k1", "k2", "k3"]
    if store_engine.dialect.name == "postgresql":
        assert second == ["k4", "k5"]  # the locked rows are skipped
    else:
        assert second == first  # SQLite has no row locks: the flag changes nothing

"""Bulk append into the event log: `append_events` against a bare DBAPI `executemany` INSERT.

Both sides insert the same small deliveries into the same migrated `events` table, in batches of
--batch rows with one commit per batch, on a connection with the same settings (SQLite: WAL,
synchronous=FULL). The baseline includes turning each delivery into driver parameters (JSON text,
timestamps), since any writer has to do that; it does no duplicate handling at all.

    .venv/bin/python bench/bench_event_log.py                       # 100,000 rows, SQLite and PostgreSQL
    .venv/bin/python bench/bench_event_log.py --backend sqlite --rows 20000

PostgreSQL: a scratch database is created next to --postgres-url (default HUB_TEST_POSTGRES_URL or
the local server) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb

from hub.store.engine import make_engine, migrate, session_factory
from hub.store.event_log import RawDelivery, append_events

COLUMNS = (
    "delivery_key, webhook_id, location_id, contact_id, type, source, occurred_at, delivered_at, "
    "received_at, raw_body, payload"
)
DEFAULT_PG = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def make_deliveries(n: int) -> list[RawDelivery]:
    """n small InboundMessage deliveries (about 200 bytes each) over 50 locations."""
    start = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)
    deliveries = []
    for i in range(n):
        key = str(uuid.UUID(int=i))
        at = start + timedelta(seconds=i)
        payload = {
            "type": "InboundMessage",
            "locationId": f"Loc{i % 50:04}",
            "contactId": f"Ct{i % 5000:06}",
            "messageType": "SMS",
            "body": "Yes, can we see it Saturday?",
            "dateAdded": at.isoformat(),
            "webhookId": key,
        }
        deliveries.append(
            RawDelivery(
                delivery_key=key,
                webhook_id=key,
                location_id=payload["locationId"],
                contact_id=payload["contactId"],
                type="InboundMessage",
                source="webhook",
                occurred_at=at,
                delivered_at=at + timedelta(milliseconds=400),
                raw_body=json.dumps(payload, separators=(",", ":")).encode(),
                payload=payload,
            )
        )
    return deliveries


def chunks(items: Sequence[RawDelivery], size: int) -> Iterator[Sequence[RawDelivery]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run_ours(engine: sa.Engine, deliveries: Sequence[RawDelivery], batch: int) -> int:
    inserted = 0
    with session_factory(engine)() as session:
        for chunk in chunks(deliveries, batch):
            inserted += append_events(session, chunk)
            session.commit()
    return inserted


def _sqlite_params(d: RawDelivery, received_at: datetime) -> tuple[Any, ...]:
    def text(t: datetime | None) -> str | None:
        return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    return (d.delivery_key, d.webhook_id, d.location_id, d.contact_id, d.type, d.source, text(d.occurred_at),
            text(d.delivered_at), text(received_at), d.raw_body, json.dumps(d.payload))  # fmt: skip


def _postgres_params(d: RawDelivery, received_at: datetime) -> tuple[Any, ...]:
    return (d.delivery_key, d.webhook_id, d.location_id, d.contact_id, d.type, d.source, d.occurred_at,
            d.delivered_at, received_at, d.raw_body, Jsonb(d.payload))  # fmt: skip


def run_executemany(engine: sa.Engine, deliveries: Sequence[RawDelivery], batch: int) -> int:
    sqlite = engine.dialect.name == "sqlite"
    marker = "?" if sqlite else "%s"
    sql = f"INSERT INTO events ({COLUMNS}) VALUES ({', '.join([marker] * 11)})"
    to_params = _sqlite_params if sqlite else _postgres_params
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for chunk in chunks(deliveries, batch):
            received_at = datetime.now(UTC)
            cursor.executemany(sql, [to_params(d, received_at) for d in chunk])
            raw.commit()
        cursor.close()
    finally:
        raw.close()
    return len(deliveries)


def empty_events(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DELETE FROM events")
        else:
            conn.exec_driver_sql("TRUNCATE events RESTART IDENTITY")
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE events")


def timed(fn: Callable[[], int]) -> tuple[int, float]:
    start = time.perf_counter()
    count = fn()
    return count, time.perf_counter() - start


@contextmanager
def scratch_database(backend: str, postgres_url: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    admin_url = sa.make_url(postgres_url)
    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def bench(backend: str, deliveries: list[RawDelivery], batch: int, repeat: int, postgres_url: str) -> None:
    n = len(deliveries)
    with scratch_database(backend, postgres_url) as url:
        migrate(url)
        engine = make_engine(url)
        best: dict[str, float] = {}
        try:
            for _ in range(repeat):
                for name, fn in (("executemany", run_executemany), ("append_events", run_ours)):
                    empty_events(engine)
                    count, seconds = timed(lambda fn=fn: fn(engine, deliveries, batch))  # type: ignore[misc]
                    assert count == n, f"{name} inserted {count} of {n}"
                    best[name] = min(best.get(name, seconds), seconds)
                # The redelivery storm: every row again, all duplicates (table is full from append_events).
                count, seconds = timed(lambda: run_ours(engine, deliveries, batch))
                assert count == 0, f"re-appending inserted {count} duplicates"
                best["duplicates"] = min(best.get("duplicates", seconds), seconds)
        finally:
            engine.dispose()
    ours, base, dups = n / best["append_events"], n / best["executemany"], n / best["duplicates"]
    print(f"{backend:<10} append_events {ours:>10,.0f} rows/s   executemany {base:>10,.0f} rows/s   "
          f"ratio {ours / base:5.2f}   all-duplicate re-append {dups:>10,.0f} rows/s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000, help="rows per append_events call and commit")
    parser.add_argument("--repeat", type=int, default=2, help="runs per side; the best is reported")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    args = parser.parse_args()
    deliveries = make_deliveries(args.rows)
    print(f"{args.rows:,} events, batches of {args.batch:,}, best of {args.repeat}")
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    for backend in backends:
        bench(backend, deliveries, args.batch, args.repeat, args.postgres_url)


if __name__ == "__main__":
    main()

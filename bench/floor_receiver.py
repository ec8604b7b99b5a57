"""The floor for bench_intake.py: the least work issue 3's rules require, as lean as we can write it.

No project code, no framework: raw ASGI on the same uvicorn as bare and ours. Three apps:

- `verify_only`: read the body, check the Ed25519 signature (PyNaCl, as ours), `json.loads`, answer.
- `durable_inbox`: the above, plus an insert of (webhookId, body) into a table with one index (the
  key), group-committed by one writer thread into SQLite WAL with synchronous=FULL; the answer
  waits for the commit, and a repeated webhookId is answered "duplicate".
- `durable_events`: like `durable_inbox`, into a table with the event log's columns and indexes
  (hub/store/models/events.py, as migrated), values bound as plainly as possible (times as the
  strings GHL sent, the JSON column from the raw body).

So bench_intake.py can tell how far below bare the rules themselves put any receiver on this box,
and how much of our gap is the schema rather than our Python. Configured by environment:
FLOOR_ED25519_KEY (the raw public key, hex) and FLOOR_DB (the SQLite file, for the durable apps);
FLOOR_SYNCHRONOUS (FULL; OFF for a diagnostic without fsync, not a receiver the rules allow).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Handler = Callable[[bytes, bytes, dict[str, Any]], Awaitable[bytes]]

_KEY = VerifyKey(bytes.fromhex(os.environ.get("FLOOR_ED25519_KEY", "00" * 32)))
_JSON = [(b"content-type", b"application/json")]

INBOX_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS inbox (webhook_id TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID"
)
INBOX_ROW = "(?, ?)"
INBOX_INSERT = "INSERT OR IGNORE INTO inbox (webhook_id, body) VALUES "

# The event log as `hub migrate` creates it on SQLite (copied, so the floor runs no project code).
EVENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER NOT NULL, delivery_key VARCHAR(128) NOT NULL, webhook_id VARCHAR(64),
    location_id VARCHAR(64) NOT NULL, contact_id VARCHAR(64), type VARCHAR(64) NOT NULL,
    source VARCHAR(24) NOT NULL, occurred_at DATETIME NOT NULL, delivered_at DATETIME,
    received_at DATETIME NOT NULL, raw_body BLOB NOT NULL, payload JSON NOT NULL,
    processed_at DATETIME, process_error TEXT,
    CONSTRAINT pk_events PRIMARY KEY (id),
    CONSTRAINT ck_events_ck_events_source CHECK (source IN ('webhook', 'workflow_webhook', 'internal')),
    CONSTRAINT uq_events_delivery_key UNIQUE (delivery_key)
);
CREATE INDEX IF NOT EXISTS ix_events_location_id_contact_id_occurred_at
    ON events (location_id, contact_id, occurred_at);
CREATE INDEX IF NOT EXISTS ix_events_location_id_received_at ON events (location_id, received_at);
CREATE INDEX IF NOT EXISTS ix_events_unprocessed ON events (location_id, id) WHERE processed_at IS NULL;
"""
EVENTS_ROW = "(?, ?, ?, ?, ?, 'webhook', ?, ?, ?, ?, ?)"
EVENTS_INSERT = (
    "INSERT OR IGNORE INTO events (delivery_key, webhook_id, location_id, contact_id, type, source, "
    "occurred_at, delivered_at, received_at, raw_body, payload) VALUES "
)


class Writer:
    """One thread: take everything queued, insert it in one statement, commit, resolve the futures."""

    def __init__(self, path: str, schema: str, insert: str, row: str) -> None:
        self._path, self._schema, self._insert, self._row = path, schema, insert, row
        self._plain_insert = insert.replace("INSERT OR IGNORE", "INSERT")
        self._queue: deque[tuple[tuple[Any, ...], asyncio.Future[bool]]] = deque()
        self._wake = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        setup = sqlite3.connect(self._path)
        setup.execute("PRAGMA journal_mode=WAL")
        setup.executescript(self._schema)
        setup.close()
        threading.Thread(target=self._run, daemon=True).start()
        threading.Thread(target=self._checkpoint, daemon=True).start()

    def submit(self, values: tuple[Any, ...]) -> asyncio.Future[bool]:
        assert self._loop is not None
        done = self._loop.create_future()
        self._queue.append((values, done))
        self._wake.set()
        return done

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        # FULL, as the rules require; FLOOR_SYNCHRONOUS=OFF only to see what the fsync itself costs.
        conn.execute(f"PRAGMA synchronous={os.environ.get('FLOOR_SYNCHRONOUS', 'FULL')}")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    def _run(self) -> None:
        conn = self._connect()
        # As ours: commits never checkpoint; `_checkpoint` does it, off the answer path.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        assert self._loop is not None
        while True:
            self._wake.wait()
            self._wake.clear()
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), 90))]
            if not batch:
                continue
            if self._queue:
                self._wake.set()
            new = self._commit(conn, [values for values, _ in batch])
            self._loop.call_soon_threadsafe(_resolve, batch, new)

    def _commit(self, conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[bool]:
        # BEGIN / one multi-row INSERT / COMMIT. One autocommit INSERT (one call into SQLite fewer)
        # measured slower: the writer came round sooner, with smaller groups (bench/README.md).
        conn.execute("BEGIN")
        try:
            conn.execute(
                self._plain_insert + ", ".join([self._row] * len(rows)), [v for r in rows for v in r]
            )
            new = [True] * len(rows)
        except sqlite3.IntegrityError:  # a repeated key; nothing of the statement went in
            new = [conn.execute(self._insert + self._row, row).rowcount == 1 for row in rows]
        conn.execute("COMMIT")
        return new

    def _checkpoint(self) -> None:
        conn = self._connect()
        while True:
            time.sleep(0.2)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _resolve(batch: list[tuple[tuple[Any, ...], asyncio.Future[bool]]], new: list[bool]) -> None:
    for (_, done), is_new in zip(batch, new, strict=True):
        if not done.done():
            done.set_result(is_new)


def _answer(status: bytes, webhook_id: str) -> bytes:
    return b'{"status":"%s","webhookId":"%s"}' % (status, webhook_id.encode())


async def _verified_only(raw: bytes, signature: bytes, payload: dict[str, Any]) -> bytes:
    return _answer(b"accepted", payload["webhookId"])


def _durable(writer: Writer, values: Callable[[bytes, dict[str, Any]], tuple[Any, ...]]) -> Handler:
    async def handle(raw: bytes, signature: bytes, payload: dict[str, Any]) -> bytes:
        new = await asyncio.shield(writer.submit(values(raw, payload)))
        return _answer(b"accepted" if new else b"duplicate", payload["webhookId"])

    return handle


def _inbox_values(raw: bytes, payload: dict[str, Any]) -> tuple[Any, ...]:
    return (payload["webhookId"], raw)


def _event_values(raw: bytes, payload: dict[str, Any]) -> tuple[Any, ...]:
    get = payload.get
    occurred = get("dateAdded") or get("timestamp")
    text = raw.decode()  # the JSON column holds the body's own text: the same JSON value
    key = get("webhookId")
    received = datetime.now(UTC).isoformat(" ")
    return (key, key, get("locationId"), get("contactId") or get("id"), get("type"), occurred,
            get("timestamp"), received, raw, text)  # fmt: skip


def _app(handler: Handler, writer: Writer | None) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()  # lifespan.startup
            if writer is not None:
                writer.start()
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["path"] == "/healthz":
            await _send(send, 200, b'{"status":"ok"}')
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        signature = next((v for k, v in scope["headers"] if k == b"x-ghl-signature"), b"")
        try:
            _KEY.verify(body, base64.b64decode(signature))
            payload = json.loads(body)
        except (BadSignatureError, ValueError):
            await _send(send, 401, b'{"detail":"bad signature or body"}')
            return
        await _send(send, 200, await handler(body, signature, payload))

    return app


async def _send(send: Send, status: int, content: bytes) -> None:
    headers = [*_JSON, (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


_DB = os.environ.get("FLOOR_DB", "floor.db")
verify_only = _app(_verified_only, None)
_inbox = Writer(_DB, INBOX_SCHEMA, INBOX_INSERT, INBOX_ROW)
durable_inbox = _app(_durable(_inbox, _inbox_values), _inbox)
_events = Writer(_DB, EVENTS_SCHEMA, EVENTS_INSERT, EVENTS_ROW)
durable_events = _app(_durable(_events, _event_values), _events)

"""Group commit for the webhook receiver: many deliveries, one durable commit, each answered after it.

A 2xx must mean "on disk" (GHL does not redeliver what we acknowledged), so every delivery waits
for a committed transaction before its request is answered. Committing each delivery alone makes
the fsync the ceiling of intake. Here requests hand their delivery to one writer thread; while a
commit is in flight the next deliveries queue up, and the writer commits all of them in the next
transaction — the batch grows with the load and costs nothing when idle (a lone delivery is
committed at once). This is the classic database group commit (PostgreSQL's commit_delay, InnoDB's
binlog group commit), done one level up so it works the same on SQLite.

The writer is one long-lived thread, not a thread-pool call per batch: a batch costs one wake-up of
the writer (none while it is busy) and one wake-up of the event loop, which answers the whole batch.
Every hand-over of the GIL is a wait of up to the interpreter's switch interval while the event
loop is busy, so the writer does as few of them as it can.

If a batch's transaction fails, its deliveries are retried one by one, so one bad row can only fail
its own request (a 500 that GHL retries), never its neighbours'.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from hub.metrics import observe_intake_commit
from hub.store.event_log import RawDelivery, append_new

log = logging.getLogger(__name__)

CommitBatch = Callable[[Sequence[RawDelivery]], set[str]]
"""Commit the deliveries in one transaction; return the keys that were new (not duplicates)."""


def commit_deliveries(engine: Engine, deliveries: Sequence[RawDelivery]) -> set[str]:
    """The store's `CommitBatch`: one transaction for the group, the new keys back."""
    with engine.begin() as connection:
        return append_new(connection, deliveries)


@dataclass(slots=True)
class _Pending:
    delivery: RawDelivery
    done: asyncio.Future[bool]


Outcome = set[str] | BaseException
"""What the writer hands back for a group: the new keys, or why the group (of one) failed."""


class GroupCommitter:
    """Queue deliveries from concurrent requests and commit them in batches, one commit at a time.

    One commit at a time is deliberate: SQLite has a single writer anyway, and on PostgreSQL one
    writer per API process keeps the transaction count low; scale out with API replicas.
    """

    def __init__(self, commit_batch: CommitBatch, *, max_batch: int = 256, linger_s: float = 0.006) -> None:
        self._commit_batch = commit_batch
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._queue: deque[_Pending] = deque()  # appended by the loop, taken by the writer (thread-safe)
        self._wake = threading.Event()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._in_flight = 0  # deliveries handed over and not yet answered (touched on the loop only)
        # How many to expect in the next group: as many as in the last one. Under a steady load the
        # writer then starts as soon as the group is complete, without lingering; when the load
        # drops, the linger ends the wait and the next group is expected smaller.
        self._last_batch = 1
        self._drained: asyncio.Event | None = None
        self.batches = 0
        self.committed = 0

    async def store(self, delivery: RawDelivery) -> bool:
        """Wait until `delivery` is committed; True if it was new, False if its key was stored before."""
        if self._thread is None or self._stopping or not self._thread.is_alive():
            raise RuntimeError("the group committer is not running (start it in the app's lifespan)")
        pending = _Pending(delivery, asyncio.get_running_loop().create_future())
        self._in_flight += 1
        self._queue.append(pending)
        queued = len(self._queue)
        if queued >= self._last_batch and not self._wake.is_set():
            self._wake.set()
        elif queued == 1:
            # The first of a group, with more expected: wake the writer a moment later, like
            # commit_delay, so that the requests right behind this one share its commit instead of
            # waiting a whole fsync for the next. One timer per group.
            asyncio.get_running_loop().call_later(self._linger_s, self._wake.set)
        # No asyncio.shield (it cost a future and two callbacks per request): cancelling this wait,
        # when the sender hangs up, cancels only `pending.done`; the writer commits the delivery
        # with its group all the same and skips the answer (`_resolve`).
        return await pending.done

    def start(self) -> None:
        """Start the writer thread; call from the event loop that will call `store`."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._drained = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-group-commit", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Commit and answer what is queued, then stop (on shutdown, after the server stops accepting)."""
        if self._thread is None or self._drained is None:
            return
        self._stopping = True
        if self._in_flight:
            await self._drained.wait()
        self._wake.set()
        await asyncio.to_thread(self._thread.join)
        self._thread = None
        if self.batches:
            log.info(
                "group commit: %d deliveries in %d transactions (%.1f per commit)",
                self.committed,
                self.batches,
                self.committed / self.batches,
            )

    def _run(self) -> None:
        """The writer thread: take everything queued, commit it, hand the outcome to the loop."""
        while True:
            self._wake.wait()
            self._wake.clear()
            if not self._queue:
                if self._stopping:
                    return
                continue
            batch = self._take_batch()
            if self._queue:
                self._wake.set()  # more than one batch was waiting: go round again at once
            results = self._commit(batch)
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._answer, results)

    def _take_batch(self) -> list[_Pending]:
        batch: list[_Pending] = []
        while self._queue and len(batch) < self._max_batch:
            batch.append(self._queue.popleft())
        self._last_batch = len(batch)
        return batch

    def _commit(self, batch: list[_Pending]) -> list[tuple[list[_Pending], Outcome]]:
        started = time.perf_counter()
        try:
            new_keys = self._commit_batch([p.delivery for p in batch])
        except Exception:
            log.exception("group commit of %d deliveries failed; committing them one by one", len(batch))
            return [(alone, self._commit_alone(alone)) for alone in ([p] for p in batch)]
        observe_intake_commit(time.perf_counter() - started, len(batch))
        return [(batch, new_keys)]

    def _commit_alone(self, alone: list[_Pending]) -> Outcome:
        try:
            return self._commit_batch([alone[0].delivery])
        except Exception as exc:  # this delivery alone is bad: fail its request only
            return exc

    def _answer(self, results: list[tuple[list[_Pending], Outcome]]) -> None:
        """On the loop: resolve every request of the group from the writer's outcome."""
        for batch, outcome in results:
            if isinstance(outcome, BaseException):
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_exception(outcome)
            else:
                self.batches += 1
                self.committed += len(batch)
                _resolve(batch, outcome)
            self._in_flight -= len(batch)
        if self._stopping and not self._in_flight and self._drained is not None:
            self._drained.set()


def _resolve(batch: list[_Pending], new_keys: set[str]) -> None:
    """Resolve each request: the first of a key in the batch gets "new" if the key went in."""
    for pending in batch:
        key = pending.delivery.delivery_key
        if pending.done.done():
            continue
        pending.done.set_result(key in new_keys)
        new_keys.discard(key)  # a repeat of the same key later in this batch is a duplicate

"""Group commit for the webhook receiver: many deliveries, one durable commit, each answered after it.

A 2xx must mean "on disk" (GHL does not redeliver what we acknowledged), so every delivery waits
for a committed transaction before its request is answered. Committing each delivery alone makes
the fsync the ceiling of intake. Here requests hand their delivery to one writer; while a commit is
in flight the next deliveries queue up, and the writer commits all of them in the next transaction —
the batch grows with the load and costs nothing when idle (a lone delivery is committed at once).
This is the classic database group commit (PostgreSQL's commit_delay, InnoDB's binlog group
commit), done one level up so it works the same on SQLite.

If a batch's transaction fails, its deliveries are retried one by one, so one bad row can only fail
its own request (a 500 that GHL retries), never its neighbours'.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

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


class GroupCommitter:
    """Queue deliveries from concurrent requests and commit them in batches, one commit at a time.

    One commit at a time is deliberate: SQLite has a single writer anyway, and on PostgreSQL one
    writer per API process keeps the transaction count low; scale out with API replicas.
    """

    def __init__(self, commit_batch: CommitBatch, *, max_batch: int = 256, linger_s: float = 0.002) -> None:
        self._commit_batch = commit_batch
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()  # replaced on start(): bound to its loop
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0
        self.committed = 0

    async def store(self, delivery: RawDelivery) -> bool:
        """Wait until `delivery` is committed; True if it was new, False if its key was stored before."""
        if self._writer is None or self._writer.done():
            raise RuntimeError("the group committer is not running (start it in the app's lifespan)")
        pending = _Pending(delivery, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(pending)
        # shield: a client that disconnects must not cancel a commit other requests share.
        return await asyncio.shield(pending.done)

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._writer = asyncio.create_task(self._run(), name="webhook-group-commit")

    async def stop(self) -> None:
        """Commit what is queued, then stop (called on shutdown, after the server stops accepting)."""
        if self._writer is None:
            return
        await self._queue.join()
        if self.batches:
            log.info(
                "group commit: %d deliveries in %d transactions (%.1f per commit)",
                self.committed,
                self.batches,
                self.committed / self.batches,
            )
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        self._writer = None

    async def _gather_arrivals(self) -> None:
        """Linger while deliveries are still arriving (at most `linger_s`), like commit_delay.

        Without it the writer commits the first request of a burst alone, and the burst's other
        requests, a few hundred microseconds behind it, wait a whole fsync for the next commit.
        When nothing else arrives within one loop turn, it commits at once: an idle receiver
        pays no delay.
        """
        deadline = asyncio.get_running_loop().time() + self._linger_s
        seen = -1
        while self._queue.qsize() != seen and self._queue.qsize() < self._max_batch:
            seen = self._queue.qsize()
            if asyncio.get_running_loop().time() >= deadline:
                return
            await asyncio.sleep(0.0003)

    def _take_batch(self, first: _Pending) -> list[_Pending]:
        batch = [first]
        while len(batch) < self._max_batch and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            await self._gather_arrivals()
            batch = self._take_batch(first)
            try:
                await self._flush(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _flush(self, batch: list[_Pending]) -> None:
        try:
            new_keys = await asyncio.to_thread(self._commit_batch, [p.delivery for p in batch])
        except Exception:
            log.exception("group commit of %d deliveries failed; committing them one by one", len(batch))
            await self._commit_singly(batch)
            return
        self.batches += 1
        self.committed += len(batch)
        _answer(batch, new_keys)

    async def _commit_singly(self, batch: list[_Pending]) -> None:
        for pending in batch:
            try:
                new_keys = await asyncio.to_thread(self._commit_batch, [pending.delivery])
            except Exception as exc:  # this delivery alone is bad: fail its request only
                if not pending.done.done():
                    pending.done.set_exception(exc)
                continue
            _answer([pending], new_keys)


def _answer(batch: list[_Pending], new_keys: set[str]) -> None:
    """Resolve each request: the first of a key in the batch gets "new" if the key went in."""
    for pending in batch:
        key = pending.delivery.delivery_key
        if pending.done.done():
            continue
        pending.done.set_result(key in new_keys)
        new_keys.discard(key)  # a repeat of the same key later in this batch is a duplicate

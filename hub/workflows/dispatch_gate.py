"""Immediate dispatch, coalesced per location: at most one dispatcher run in flight per location.

When event processing enrols a lead whose first step is due now (or an event resumes a wait), the
location's due steps should run at once, not at the next minute of the `dispatch-workflow-steps`
deployment (its runs take 18-28 s to start). The processing task asks for a run with `request`;
a background task (tasks/dispatch_location.py) serves it with `run_coalesced`:

    kicker:  request(loc)  -> marks the location "pending"; True only when the caller must start a
                              run (nobody had asked yet and no run holds the location)
    run:     while it holds the location's lease, it takes "pending" and dispatches, until
             nothing is pending; after releasing it looks once more (a request that landed between
             its last look and the release is served by this run, never left for the minute sweep)

Processing itself serves the first request it makes (`dispatch_here_first`): it takes the lease and
runs one small round on its own thread, so a new lead's first text costs no task-run start (a
`.delay()` round trip and the task engine's set-up: ~1-1.6 s at load 8, bench/README.md); what a
full round left, or what was asked meanwhile, goes to the background task.

So a burst of enrolments costs one task run per location, not one per lead. The lease is only
about cost: two dispatchers on one location are safe anyway (row claims and the send ledger). Both
marks expire (`ttl_s`), so a run that died never blocks a location for long; a pending mark whose
run was lost only delays that location's leads until the mark expires or the minute sweep runs.

Two holders, like the processing drain's lease (hub/events/drain_lease.py): in-process (the
embedded default, one task worker) and Redis (several task workers).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

from hub.events.drain_lease import RedisLease

logger = logging.getLogger(__name__)


class DispatchGate(Protocol):
    def request(self, location_id: str) -> bool: ...
    def take_pending(self, location_id: str) -> bool: ...
    def is_pending(self, location_id: str) -> bool: ...
    def acquire(self, location_id: str) -> bool: ...
    def renew(self, location_id: str) -> bool: ...
    def release(self, location_id: str) -> None: ...


DEFAULT_TTL_S = 120.0


class InProcessGate:
    """Marks shared by the threads of one process (the task worker runs task runs on threads);
    a run acquires, renews and releases on its own thread, which identifies the holder."""

    def __init__(self, *, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s, self._clock = ttl_s, clock
        self._lock = threading.Lock()
        self._pending: dict[str, float] = {}  # location -> when the mark expires
        self._held: dict[str, tuple[float, int]] = {}  # location -> (expiry, holder thread)

    def _live(self, marks: dict[str, float], location_id: str) -> bool:
        expires = marks.get(location_id)
        if expires is not None and expires <= self._clock():
            del marks[location_id]
            return False
        return expires is not None

    def _holder(self, location_id: str) -> int | None:
        held = self._held.get(location_id)
        if held is not None and held[0] <= self._clock():
            del self._held[location_id]
            return None
        return None if held is None else held[1]

    def request(self, location_id: str) -> bool:
        with self._lock:
            if self._live(self._pending, location_id):
                return False
            self._pending[location_id] = self._clock() + self._ttl_s
            return self._holder(location_id) is None

    def take_pending(self, location_id: str) -> bool:
        with self._lock:
            return self._pending.pop(location_id, None) is not None

    def is_pending(self, location_id: str) -> bool:
        with self._lock:
            return self._live(self._pending, location_id)

    def acquire(self, location_id: str) -> bool:
        with self._lock:
            if self._holder(location_id) is not None:
                return False
            self._held[location_id] = (self._clock() + self._ttl_s, threading.get_ident())
            return True

    def renew(self, location_id: str) -> bool:
        with self._lock:
            if self._holder(location_id) != threading.get_ident():
                return False
            self._held[location_id] = (self._clock() + self._ttl_s, threading.get_ident())
            return True

    def release(self, location_id: str) -> None:
        with self._lock:
            if self._holder(location_id) == threading.get_ident():  # never another run's lease
                del self._held[location_id]


# One gate per process for the embedded default: the kicker and the runs share it.
PROCESS_GATE = InProcessGate()


class _DispatchLease(RedisLease):
    @staticmethod
    def key(location_id: str) -> str:
        return f"hub:dispatch-lease:{location_id}"


class RedisGate:
    """Marks shared by every task worker on one Redis."""

    def __init__(self, client: redis.Redis, *, ttl_s: float = DEFAULT_TTL_S) -> None:
        self._client = client
        self._ttl_ms = int(ttl_s * 1000)
        self._lease = _DispatchLease(client, ttl_s=ttl_s)

    @staticmethod
    def pending_key(location_id: str) -> str:
        return f"hub:dispatch-pending:{location_id}"

    def request(self, location_id: str) -> bool:
        if not self._client.set(self.pending_key(location_id), "1", nx=True, px=self._ttl_ms):
            return False
        return not self._client.exists(_DispatchLease.key(location_id))

    def take_pending(self, location_id: str) -> bool:
        return bool(self._client.delete(self.pending_key(location_id)))

    def is_pending(self, location_id: str) -> bool:
        return bool(self._client.exists(self.pending_key(location_id)))

    def acquire(self, location_id: str) -> bool:
        return self._lease.acquire(location_id)

    def renew(self, location_id: str) -> bool:
        return self._lease.renew(location_id)

    def release(self, location_id: str) -> None:
        self._lease.release(location_id)


def run_coalesced(gate: DispatchGate, location_id: str, dispatch: Callable[[], bool]) -> int:
    """Serve the location's pending requests while holding its lease; returns how many dispatch
    rounds ran (0: another run holds the location and serves the request).

    `dispatch()` runs one round and returns True when it stopped at its limit (more may be due)."""
    rounds = 0
    while gate.acquire(location_id):
        try:
            more = True  # the run was started for a request, taken or not yet marked: serve it
            while gate.take_pending(location_id) or more:
                more = dispatch()
                rounds += 1
                if not gate.renew(location_id):
                    return rounds  # the lease expired and was taken: the new holder goes on
        finally:
            gate.release(location_id)
        if not gate.is_pending(location_id):
            break
    return rounds


def dispatch_here_first(
    gate: DispatchGate, location_id: str, dispatch: Callable[[], bool], queue: Callable[[], None]
) -> str:
    """Serve a new request on the caller's thread with one bounded round, then hand any rest over.

    `dispatch()` runs one round and returns True when it stopped at its limit; `queue()` starts a
    background run (`run_coalesced`). Returns "coalesced" (a queued or running run serves the
    request), "inline" (all served here) or "queued" (a full round, a request made meanwhile or a
    failed round: the background run, with its retries, goes on).
    """
    if not gate.request(location_id):
        return "coalesced"
    if not gate.acquire(location_id):
        return "coalesced"  # a run took the lease since our request; it takes our mark too
    try:
        gate.take_pending(location_id)
        more = dispatch()
    except Exception:
        logger.exception("dispatching %s on the processing thread failed; queueing a run", location_id)
        more = True
    finally:
        gate.release(location_id)
    # A request made while we held the lease was answered "someone is on it": that is us, so a
    # pending mark now must get a run, as must the rest of a full round.
    if more or gate.is_pending(location_id):
        queue()
        return "queued"
    return "inline"

"""Who is draining a location right now: at most one lingering drain per location.

A drain lingers after the backlog is empty (so the next webhooks are processed within one poll
instead of waiting for a new Prefect task run), and the API keeps kicking while webhooks arrive.
A kick that finds a drain already holding the location's lease hands over and ends at once.

Two holders: in-process (the embedded default: one task worker, SQLite), and Redis when
`HUB_REDIS_URL` is set (several task workers). The Redis lease expires on its own, so a worker that
dies while holding it blocks the location for at most `ttl_s`; the API's sweep re-kicks after that.
"""

from __future__ import annotations

import threading
import uuid
from typing import Protocol

import redis

# Release only if we still hold it: a lease that expired and was taken over stays with its new holder.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


class DrainLease(Protocol):
    def acquire(self, location_id: str) -> bool: ...
    def renew(self, location_id: str) -> bool: ...
    def release(self, location_id: str) -> None: ...


# Shared by every task run in this process (the task worker runs them on threads).
_HELD: set[str] = set()
_HELD_LOCK = threading.Lock()


class InProcessLease:
    """Leases among the threads of one task worker."""

    def acquire(self, location_id: str) -> bool:
        with _HELD_LOCK:
            if location_id in _HELD:
                return False
            _HELD.add(location_id)
            return True

    def renew(self, location_id: str) -> bool:
        with _HELD_LOCK:
            return location_id in _HELD

    def release(self, location_id: str) -> None:
        with _HELD_LOCK:
            _HELD.discard(location_id)


class RedisLease:
    """Leases shared by every task worker on one Redis."""

    def __init__(self, client: redis.Redis, *, ttl_s: float = 10.0) -> None:
        self._client = client
        self._ttl_ms = int(ttl_s * 1000)
        self._token = uuid.uuid4().hex  # this holder's identity, so we never release another's lease

    @staticmethod
    def key(location_id: str) -> str:
        return f"hub:drain-lease:{location_id}"

    def acquire(self, location_id: str) -> bool:
        return bool(self._client.set(self.key(location_id), self._token, nx=True, px=self._ttl_ms))

    def renew(self, location_id: str) -> bool:
        return bool(self._client.eval(_RENEW, 1, self.key(location_id), self._token, self._ttl_ms))

    def release(self, location_id: str) -> None:
        self._client.eval(_RELEASE, 1, self.key(location_id), self._token)

"""Client-side pacing of GHL API calls: at most N requests per interval per location.

GHL allows a burst of 100 requests per 10 seconds per location (ghl-api.md §4.1) and answers 429
beyond it. Waiting for a free slot before sending is cheaper than provoking 429s and backing off, and
keeps the location's bucket free for everyone else using it.

    RateLimiter              the port: `acquire(location_id)` blocks until a request may be sent
    ├── InProcessRateLimiter sliding-window log in memory; thread-safe; one process
    └── RedisRateLimiter     the same window in a Redis sorted set; shared by every worker/host

Both count a request when its slot is granted. GHL counts it when it arrives, a little later and
with jitter, so `pacing_window` widens the interval by a small margin: two requests granted exactly
one interval apart must not arrive less than one interval apart.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Protocol, cast

import redis

from hub.errors import ServiceUnreachableError
from hub.settings import GHLSettings

PACING_MARGIN = 0.05
"""Fraction added to the rate-limit interval to absorb network jitter between grant and arrival."""

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class RateLimiter(Protocol):
    """Grants request slots per location; `acquire` blocks until the request may be sent."""

    def acquire(self, location_id: str) -> None:
        """Block until one more request for `location_id` fits in the window, then count it."""

    def try_acquire(self, location_id: str) -> float:
        """Take a slot and return 0, or return the seconds to wait before trying again (callers
        that must not block the thread, e.g. the dispatcher's event loop, wait themselves)."""


def pacing_window(settings: GHLSettings) -> tuple[int, float]:
    """(max requests, interval in seconds) to pace at, given GHL's limit in `settings`."""
    return settings.rate_limit_max, settings.rate_limit_interval_s * (1 + PACING_MARGIN)


def _check_window(max_requests: int, interval_s: float) -> None:
    if max_requests < 1:
        raise ValueError(f"max_requests must be at least 1, got {max_requests}")
    if interval_s <= 0:
        raise ValueError(f"interval_s must be positive, got {interval_s}")


class InProcessRateLimiter:
    """Sliding-window log per location, for one process (any number of threads)."""

    def __init__(
        self,
        max_requests: int,
        interval_s: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        _check_window(max_requests, interval_s)
        self.max_requests = max_requests
        self.interval_s = interval_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._granted: dict[str, deque[float]] = {}

    @classmethod
    def from_settings(cls, settings: GHLSettings) -> InProcessRateLimiter:
        """A limiter pacing at GHL's limit from `settings`, with the jitter margin."""
        return cls(*pacing_window(settings))

    def acquire(self, location_id: str) -> None:
        """Block until a slot is free for `location_id` in the current window, then take it."""
        while True:
            wait_s = self.try_acquire(location_id)
            if wait_s <= 0:
                return
            # Sleep outside the lock so other locations (and the slot holder) are not blocked.
            self._sleep(wait_s)

    def try_acquire(self, location_id: str) -> float:
        """Take a slot and return 0, or return how long until the oldest slot leaves the window."""
        with self._lock:
            now = self._clock()
            granted = self._granted.setdefault(location_id, deque())
            while granted and granted[0] <= now - self.interval_s:
                granted.popleft()
            if len(granted) < self.max_requests:
                granted.append(now)
                return 0.0
            return granted[0] + self.interval_s - now

    def __repr__(self) -> str:
        return f"InProcessRateLimiter(max_requests={self.max_requests}, interval_s={self.interval_s})"


# Prune, count and (if room) add in one atomic step. Time comes from the Redis server (TIME) so
# workers on hosts with skewed clocks still share one window. Returns 0 when the slot was taken,
# else the microseconds until the oldest slot leaves the window.
_ACQUIRE_SCRIPT = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local window_us = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_us - window_us)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now_us, now_us .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window_us / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.ceil(tonumber(oldest[2]) + window_us - now_us))
"""


class RedisRateLimiter:
    """Sliding-window log per location in a Redis sorted set, shared by every process using it.

    Keys are `<key_prefix><location_id>`; each expires one interval after its last grant.
    """

    def __init__(
        self,
        client: redis.Redis,
        max_requests: int,
        interval_s: float,
        *,
        key_prefix: str = "hub:ghl:ratelimit:",
        sleep: Sleep = time.sleep,
    ) -> None:
        _check_window(max_requests, interval_s)
        self.max_requests = max_requests
        self.interval_s = interval_s
        self.key_prefix = key_prefix
        self._client = client
        self._sleep = sleep
        self._script = client.register_script(_ACQUIRE_SCRIPT)

    @classmethod
    def from_settings(cls, client: redis.Redis, settings: GHLSettings) -> RedisRateLimiter:
        """A limiter pacing at GHL's limit from `settings`, with the jitter margin."""
        return cls(client, *pacing_window(settings))

    def key(self, location_id: str) -> str:
        """The Redis key holding `location_id`'s window."""
        return f"{self.key_prefix}{location_id}"

    def acquire(self, location_id: str) -> None:
        """Block until a slot is free for `location_id` across all processes, then take it."""
        while (wait_s := self.try_acquire(location_id)) > 0:
            self._sleep(wait_s)

    def try_acquire(self, location_id: str) -> float:
        """Take a slot and return 0, or return the seconds until the oldest slot leaves the window."""
        window_us = round(self.interval_s * 1_000_000)
        # The member is unique per grant so two grants in the same microsecond both count.
        try:
            result = self._script(
                keys=[self.key(location_id)],
                args=[window_us, self.max_requests, uuid.uuid4().hex],
            )
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise ServiceUnreachableError(
                "HUB_REDIS_URL", f"the shared GHL rate limiter cannot reach Redis ({exc})"
            ) from exc
        return max(0, int(cast(int, result))) / 1_000_000

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(max_requests={self.max_requests}, interval_s={self.interval_s}, "
            f"key_prefix={self.key_prefix!r})"
        )

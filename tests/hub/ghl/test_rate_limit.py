"""Both RateLimiter adapters, with real time and (for Redis) the real Redis server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from hub.errors import ServiceUnreachableError
from hub.ghl.rate_limit import PACING_MARGIN, InProcessRateLimiter, RedisRateLimiter, pacing_window
from tests.hub.ghl.conftest import make_settings


def max_in_any_window(times: list[float], window_s: float) -> int:
    """The largest number of `times` inside any half-open interval of length `window_s`."""
    ordered = sorted(times)
    best, j = 0, 0
    for i, start in enumerate(ordered):
        j = max(j, i)
        while j < len(ordered) and ordered[j] < start + window_s:
            j += 1
        best = max(best, j - i)
    return best


def test_max_in_any_window_counts_what_it_claims() -> None:
    assert max_in_any_window([0.0, 0.1, 0.2, 1.0, 1.05], 0.25) == 3
    assert max_in_any_window([0.0, 0.3, 0.6], 0.3) == 1


def run_workers(workers: int, per_worker: int, acquire: Callable[[int], float]) -> list[float]:
    """Call `acquire(worker)` per_worker times from each of `workers` threads; the grant times."""
    granted: list[float] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        for _ in range(per_worker):
            at = acquire(worker)
            with lock:
                granted.append(at)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return granted


def test_pacing_window_widens_ghl_interval_by_the_margin() -> None:
    max_requests, interval_s = pacing_window(make_settings(rate_limit_max=100, rate_limit_interval_s=10.0))
    assert max_requests == 100
    assert interval_s == pytest.approx(10.0 * (1 + PACING_MARGIN))


@pytest.mark.parametrize(("max_requests", "interval_s"), [(0, 1.0), (5, 0.0)])
def test_limiters_refuse_an_empty_window(max_requests: int, interval_s: float) -> None:
    with pytest.raises(ValueError, match=r"max_requests|interval_s"):
        InProcessRateLimiter(max_requests, interval_s)


def test_in_process_limiter_never_grants_more_than_max_per_window() -> None:
    limiter = InProcessRateLimiter(5, 0.3)
    started = time.monotonic()
    granted = []
    for _ in range(12):
        limiter.acquire("LocA")
        granted.append(time.monotonic())
    assert max_in_any_window(granted, 0.3 - 0.02) <= 5
    # 12 grants at 5 per window need the third window: 0.6 s at least.
    assert time.monotonic() - started >= 0.6


def test_in_process_limiter_keeps_locations_apart() -> None:
    limiter = InProcessRateLimiter(3, 5.0)
    for _ in range(3):
        limiter.acquire("LocA")
    started = time.monotonic()
    limiter.acquire("LocB")
    assert time.monotonic() - started < 0.1


def test_in_process_limiter_is_thread_safe() -> None:
    # The clock records, per thread, the time of the check that granted the slot: exact grant times.
    local = threading.local()

    def clock() -> float:
        now = time.monotonic()
        local.last = now
        return now

    limiter = InProcessRateLimiter(5, 0.3, clock=clock)

    def acquire(_worker: int) -> float:
        limiter.acquire("LocA")
        return float(local.last)

    granted = run_workers(4, 6, acquire)
    assert len(granted) == 24
    assert max_in_any_window(granted, 0.3) == 5  # full windows, never more


@pytest.mark.redis
def test_redis_limiter_never_grants_more_than_max_per_window(redis_url: str) -> None:
    limiter = RedisRateLimiter(redis.Redis.from_url(redis_url), 5, 0.3)
    started = time.monotonic()
    granted = []
    for _ in range(12):
        limiter.acquire("LocA")
        granted.append(time.monotonic())
    assert max_in_any_window(granted, 0.3 - 0.05) <= 5
    assert time.monotonic() - started >= 0.6


@pytest.mark.redis
def test_two_redis_limiters_share_one_budget(redis_url: str) -> None:
    """Two workers, each with its own connection and limiter instance, pace as one."""
    limiters = [RedisRateLimiter(redis.Redis.from_url(redis_url), 5, 0.4) for _ in range(2)]

    def acquire(worker: int) -> float:
        limiters[worker].acquire("LocA")
        return time.monotonic()

    started = time.monotonic()
    granted = run_workers(2, 8, acquire)
    elapsed = time.monotonic() - started
    assert len(granted) == 16
    # With separate budgets 8 grants each would fit in two windows (~0.4 s); shared, the 16th
    # grant waits for the fourth window.
    assert elapsed >= 3 * 0.4
    assert max_in_any_window(granted, 0.4 - 0.05) <= 5


@pytest.mark.redis
def test_redis_limiter_namespaces_keys_per_location_and_lets_them_expire(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    limiter = RedisRateLimiter(client, 2, 5.0, key_prefix="test:rl:")
    limiter.acquire("LocA")
    limiter.acquire("LocA")
    started = time.monotonic()
    limiter.acquire("LocB")  # LocA's full window does not hold LocB back
    assert time.monotonic() - started < 0.1
    assert sorted(client.keys("test:rl:*")) == [b"test:rl:LocA", b"test:rl:LocB"]
    assert client.zcard("test:rl:LocA") == 2
    assert 0 < client.pttl("test:rl:LocA") <= 6000


def test_redis_limiter_names_the_setting_when_redis_is_down() -> None:
    no_retry = Retry(NoBackoff(), 0)
    limiter = RedisRateLimiter(redis.Redis(host="127.0.0.1", port=1, retry=no_retry), 5, 1.0)
    with pytest.raises(ServiceUnreachableError, match="HUB_REDIS_URL"):
        limiter.acquire("LocA")


@pytest.mark.parametrize("backend", ["in-process", "redis"])
def test_try_acquire_takes_a_free_slot_or_says_how_long_to_wait(backend: str, redis_url: str) -> None:
    # The dispatcher's event loop waits itself (asyncio.sleep) instead of blocking in acquire().
    limiter = (
        InProcessRateLimiter(2, 0.5)
        if backend == "in-process"
        else RedisRateLimiter(redis.Redis.from_url(redis_url), 2, 0.5, key_prefix="test:try:")
    )
    started = time.monotonic()
    assert limiter.try_acquire("LocA") == 0
    assert limiter.try_acquire("LocA") == 0
    wait_s = limiter.try_acquire("LocA")
    assert 0 < wait_s <= 0.5
    assert limiter.try_acquire("LocB") == 0  # other locations are not held up
    time.sleep(wait_s + 0.01)
    assert limiter.try_acquire("LocA") == 0
    assert time.monotonic() - started >= 0.5 - 0.05

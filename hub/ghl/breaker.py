"""One pybreaker circuit breaker per location, so one sick location does not stall the others.

A breaker counts each failed *attempt* (5xx answer, timeout, dropped connection), not each failed
call: during a 5xx storm it opens inside the first call's retries and the remaining attempts, and
every call after them, raise CircuitOpenError without sending until the reset timeout has passed.
Then one trial request goes through (half-open): success closes the breaker, failure re-opens it.
A 4xx or 429 means GHL is up and answering, so it counts as a success.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pybreaker

from hub.errors import CircuitOpenError, GHLError


class LocationBreakers:
    """Lazily created `pybreaker.CircuitBreaker`s keyed by location id."""

    def __init__(self, fail_max: int, reset_timeout_s: float) -> None:
        self.fail_max = fail_max
        self.reset_timeout_s = reset_timeout_s
        self._lock = threading.Lock()
        self._breakers: dict[str, pybreaker.CircuitBreaker] = {}

    def breaker(self, location_id: str) -> pybreaker.CircuitBreaker:
        """The breaker of `location_id`, created closed on first use."""
        with self._lock:
            found = self._breakers.get(location_id)
            if found is None:
                found = pybreaker.CircuitBreaker(
                    fail_max=self.fail_max,
                    reset_timeout=self.reset_timeout_s,
                    name=location_id,
                    # Only GHL's failures say anything about GHL's health; e.g. a Redis outage in
                    # the rate limiter must not open (pybreaker counts excluded errors as success).
                    exclude=[lambda exc: not isinstance(exc, GHLError)],
                    # Let the attempt's own GHLServerError/GHLTransportError surface on the trip;
                    # the *next* attempt then gets CircuitOpenError.
                    throw_new_error_on_trip=False,
                )
                self._breakers[location_id] = found
            return found

    def state(self, location_id: str) -> str:
        """`closed`, `open` or `half-open`."""
        return str(self.breaker(location_id).current_state)

    @contextmanager
    def guard(self, location_id: str) -> Iterator[None]:
        """Run the block under `location_id`'s breaker; raise CircuitOpenError if it is open.

        Uses `CircuitBreaker.calling()` rather than `.call()`: `.call()` holds the breaker's lock for
        the whole request, which would serialise every request of a location.
        """
        breaker = self.breaker(location_id)
        try:
            with breaker.calling():
                yield
        except pybreaker.CircuitBreakerError:
            raise CircuitOpenError(
                f"GHL circuit breaker for location {location_id} is open after {self.fail_max} "
                f"consecutive 5xx/transport failures; nothing was sent. It lets one trial request "
                f"through {self.reset_timeout_s:g}s after opening.",
                location_id=location_id,
            ) from None

"""Kicks near-real-time processing: one Prefect background task per location with new events.

The receiver only marks a location dirty; this loop coalesces marks and calls `.delay()` at most
once per location per tick, so a burst of 1,000 webhooks for one location costs a handful of task
runs, not 1,000 (prefect-notes.md §7). A periodic sweep of the event log re-kicks any location whose
kick was lost (an API crash between commit and kick): a committed delivery is always processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hub.store.event_log import locations_with_unprocessed
from hub.store.models import Event

log = logging.getLogger(__name__)
TICK_S = 0.05
RETRY_S = 2.0


class ProcessingKicker:
    """Coalesces "location has new events" marks into `delay(location_id)` calls."""

    def __init__(
        self,
        engine: Engine,
        delay: Callable[[str], object],
        *,
        sweep_interval_s: float,
        linger_s: float = 0.0,
    ) -> None:
        self._engine = engine
        self._delay = delay
        self._sweep_interval_s = sweep_interval_s
        # A drain lingers `linger_s` after the last event it processed, and every kick is for an
        # event already committed, so for most of that window the run kicked last is still
        # polling: kicking again would only start a run that hands over at once. The margin
        # covers the task's start-up; a run that died is caught by the sweep.
        self._quiet_s = 0.8 * linger_s
        self._kicked_at: dict[str, float] = {}
        self._dirty: set[str] = set()
        self.backlog = 0  # unprocessed events: exact at each sweep, incremented by each accept
        self._task: asyncio.Task[None] | None = None

    def mark(self, location_id: str) -> None:
        self._dirty.add(location_id)
        self.backlog += 1

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="processing-kicker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _sweep(self) -> tuple[list[str], int]:
        with Session(self._engine) as session:
            backlog = session.scalar(
                select(func.count()).select_from(Event).where(Event.processed_at.is_(None))
            )
            return locations_with_unprocessed(session), int(backlog or 0)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = 0.0
        while True:
            if loop.time() >= next_sweep:
                try:
                    pending, self.backlog = await asyncio.to_thread(self._sweep)
                    self._dirty.update(pending)
                except Exception:  # the store may blip; the next sweep retries
                    log.exception("processing sweep failed; retrying in %.0f s", self._sweep_interval_s)
                next_sweep = loop.time() + self._sweep_interval_s
            batch, self._dirty = self._dirty, set()
            failed = False
            now = loop.time()
            for location_id in sorted(batch):
                if now - self._kicked_at.get(location_id, -math.inf) < self._quiet_s:
                    continue  # the last kick's drain is still lingering and will see these events
                try:
                    await asyncio.to_thread(self._delay, location_id)
                    self._kicked_at[location_id] = now
                except Exception:  # Prefect unreachable: keep it dirty, the events wait in the log
                    log.exception("could not submit processing for location %s; will retry", location_id)
                    self._dirty.add(location_id)
                    failed = True
            await asyncio.sleep(RETRY_S if failed else TICK_S)

"""The kicker coalesces marks into Prefect `delay()` calls and stays quiet while a drain lingers."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from api.processing import ProcessingKicker


async def _kicks(engine: Engine, linger_s: float, marks_at: list[float], run_for: float) -> list[float]:
    kicked: list[float] = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    # `delay` is Prefect's task submission; here it records when it was asked.
    kicker = ProcessingKicker(
        engine, lambda _loc: kicked.append(loop.time() - started), sweep_interval_s=3600, linger_s=linger_s
    )
    kicker.start()
    await asyncio.sleep(0.1)  # past the first (empty) sweep
    for moment in marks_at:
        await asyncio.sleep(max(0.0, started + 0.1 + moment - loop.time()))
        kicker.mark("LocKick")
    await asyncio.sleep(max(0.0, started + 0.1 + run_for - loop.time()))
    await kicker.stop()
    return kicked


def test_marks_inside_the_linger_window_are_left_to_the_lingering_drain(store_engine: Engine) -> None:
    kicked = asyncio.run(_kicks(store_engine, linger_s=1.0, marks_at=[0.0, 0.2, 0.4, 0.6, 1.2], run_for=1.5))
    # One kick for the burst (its drain lingers), one after 0.8 × linger had passed.
    assert len(kicked) == 2, kicked
    assert kicked[1] - kicked[0] >= 0.8


def test_without_linger_every_tick_with_marks_kicks(store_engine: Engine) -> None:
    kicked = asyncio.run(_kicks(store_engine, linger_s=0.0, marks_at=[0.0, 0.2, 0.4], run_for=0.6))
    assert len(kicked) == 3, kicked

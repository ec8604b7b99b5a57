"""`hub task-worker`: serves the stack's background tasks, optionally with a status endpoint.

Besides the task it is given (event processing), a worker always serves `dispatch-location-steps`:
processing queues it when a batch leaves more due workflow steps than it dispatches itself
(tasks/dispatch_location.py), so wherever processing runs, its immediate dispatch has a worker too.

Before it subscribes, the worker loads what Prefect would otherwise load inside the first task run
that needs it (`warm_up`).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import uvicorn
from prefect.plugins import load_prefect_collections
from prefect.task_worker import StopTaskWorker, TaskWorker, create_status_server
from prefect.task_worker import serve as serve_tasks


def warm_up() -> None:
    """Import the installed Prefect collections (`prefect.collections` entry points) now.

    A task run queued from inside another task run (processing's `dispatch-location-steps`) carries
    its parent's context, and re-creating that context builds a result-storage Block; the first
    Block a process builds makes Prefect import every collection, here prefect-dask (dask and
    distributed). py-spy on a fresh worker showed the first such run spend ~6 s (load average ~10)
    between "Submitting task run" and the task body, most of it in that import (bench/README.md,
    2026-11-25 third pass). Paid at start, the worker's first run starts as fast as later ones.
    """
    load_prefect_collections()


def served_tasks(task: Any) -> list[Any]:
    """`task` and the background tasks it may queue."""
    from tasks.dispatch_location import dispatch_location_steps

    return [task] if task is dispatch_location_steps else [task, dispatch_location_steps]


def serve(task: Any, *, limit: int, status_port: int | None) -> None:
    """Run `task` (and `served_tasks`' companions) for the Prefect server at PREFECT_API_URL, at
    most `limit` runs at a time.

    With `status_port`, Prefect's task-worker status app answers `GET /status` on 127.0.0.1 (the
    stack's health check). Not through Prefect's `serve(status_server_port=…)`: in 3.9.1 it crashes at
    start (its uvicorn config re-applies logging, which flushes Prefect's API log handler from the
    event loop). Worker and status server run on an event loop in a thread, as Prefect's own `serve`
    runs the worker, so neither takes over the process's signal handlers: SIGTERM ends the worker at
    once, as it does without a status port; an interrupted batch rolls back and the API's sweep
    re-kicks its location.
    """
    warm_up()
    tasks = served_tasks(task)
    if status_port is None:
        serve_tasks(*tasks, limit=limit)
        return
    thread = threading.Thread(
        target=asyncio.run, args=(_serve_with_status(tasks, limit, status_port),), daemon=True
    )
    thread.start()
    while thread.is_alive():
        thread.join(0.5)  # with a timeout, so Ctrl-C reaches this (main) thread


async def _serve_with_status(tasks: list[Any], limit: int, port: int) -> None:
    worker = TaskWorker(*tasks, limit=limit)
    config = uvicorn.Config(
        create_status_server(worker),
        host="127.0.0.1",
        port=port,
        access_log=False,
        log_level="warning",
        log_config=None,  # keep Prefect's logging configuration (see above)
    )
    server = uvicorn.Server(config)
    status = asyncio.create_task(server.serve())
    try:
        await worker.astart()
    except StopTaskWorker:
        pass
    finally:
        server.should_exit = True
        await status

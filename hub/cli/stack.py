"""The local stack on the embedded default: Prefect server, task worker, API — one supervisor.

Children are started in dependency order, health-checked, and stopped by their own pids in
reverse order (SIGTERM, then SIGKILL after a grace period), whatever happens in between.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from hub.cli.processes import (
    api_argv,
    free_port,
    managed_process,
    prefect_server_argv,
    task_worker_argv,
)


@dataclass(frozen=True)
class StackUrls:
    api: str
    prefect_ui: str
    prefect_api: str
    logs: Path


def prefect_env(workdir: Path, prefect_api: str) -> dict[str, str]:
    """What every process of the stack needs to share one Prefect server and its result storage."""
    home = (workdir / "prefect").resolve()
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": prefect_api,
        # `.delay()` writes task parameters here and the task worker reads them back.
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Batch the server's task-run recorder: ~10x the ingest rate on SQLite (prefect-notes.md §5).
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    }


@contextmanager
def local_stack(
    workdir: Path, env: dict[str, str], *, api_port: int | None = None, prefect_port: int | None = None
) -> Iterator[StackUrls]:
    """Start Prefect server → task worker → API; yield their URLs; stop them all on exit."""
    logs = workdir / "logs"
    prefect_port = prefect_port or free_port()
    api_port = api_port or free_port()
    prefect_url = f"http://127.0.0.1:{prefect_port}"
    full_env = {**prefect_env(workdir, f"{prefect_url}/api"), **env}
    with ExitStack() as stack:
        stack.enter_context(
            managed_process(
                prefect_server_argv(prefect_port),
                full_env,
                logs / "prefect-server.log",
                f"{prefect_url}/api/health",
                timeout_s=180,
            )
        )
        stack.enter_context(managed_process(task_worker_argv(), full_env, logs / "task-worker.log"))
        stack.enter_context(
            managed_process(
                api_argv(api_port), full_env, logs / "api.log", f"http://127.0.0.1:{api_port}/healthz"
            )
        )
        yield StackUrls(
            api=f"http://127.0.0.1:{api_port}",
            prefect_ui=prefect_url,
            prefect_api=f"{prefect_url}/api",
            logs=logs,
        )

"""Which task runner the batch flows fan out on: threads by default, Dask when scaled out.

Chosen by setting, read when the flow module is imported — a process worker imports it afresh for
every flow run, so a worker's environment decides for the runs it executes:

    HUB_TASK_RUNNER=thread          Prefect's ThreadPoolTaskRunner, in the flow's own process (default)
    HUB_TASK_RUNNER=dask            a DaskTaskRunner: a temporary LocalCluster per flow run ...
    HUB_DASK_ADDRESS=tcp://h:8786   ... or an existing Dask cluster (its workers need this code)

In code, `flow.with_options(task_runner=task_runner(TaskRunnerSettings(kind="dask")))` picks one
per call. Either way the same tasks run with the same inputs, so results are identical.
"""

from __future__ import annotations

from typing import Any, Literal

from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TaskRunnerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=".env", extra="ignore")

    task_runner: Literal["thread", "dask"] = Field("thread", description="HUB_TASK_RUNNER: thread or dask.")
    dask_address: str | None = Field(None, description="HUB_DASK_ADDRESS: an existing scheduler.")
    dask_workers: int = Field(2, ge=1, description="HUB_DASK_WORKERS: LocalCluster workers.")
    dask_threads_per_worker: int = Field(1, ge=1, description="HUB_DASK_THREADS_PER_WORKER.")


def task_runner(settings: TaskRunnerSettings | None = None) -> Any:
    """The configured task runner; "thread" is Prefect's default ThreadPoolTaskRunner."""
    settings = settings or TaskRunnerSettings()
    if settings.task_runner == "thread":
        return ThreadPoolTaskRunner()
    from prefect_dask.task_runners import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.dask_workers,
            "threads_per_worker": settings.dask_threads_per_worker,
            # Threads in the flow's process: no pickling of store sessions or models, and no
            # extra interpreters on a small host; a real cluster is one HUB_DASK_ADDRESS away.
            "processes": False,
            "dashboard_address": None,
        }
    )

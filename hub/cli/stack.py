"""The local stack, one supervisor: Prefect server, deployments, task workers, flow workers, API.

Children are started in dependency order, each health-checked, with its output in its own log
file, and stopped by their own process groups in reverse order (hub/cli/processes.py) whatever
happens in between. The embedded default is SQLite everywhere; with a PostgreSQL store the Prefect
server gets a database of its own on the same server (`<store db>_prefect`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from hub.cli.processes import (
    api_argv,
    flow_worker_argv,
    free_port,
    log_tail,
    prefect_server_argv,
    start,
    stop,
    task_worker_argv,
    wait_healthy,
)
from hub.errors import HubError

CODE_DIR = Path(__file__).resolve().parents[2]
WORK_POOL = "hub-local"  # prefect.yaml's work pool


@dataclass(frozen=True)
class StackShape:
    """How many of each worker, and what the flow workers serve."""

    task_workers: int = 1
    # Process workers for the deployments; 0 = flows run only when called in-process (`hub run`).
    flow_workers: int = 0
    # Concurrent flow runs per flow worker: each is a subprocess, so unbounded would exhaust memory.
    flow_limit: int = 2
    work_pool: str = WORK_POOL
    # Deployments to (re)deploy before the flow workers start: None = `prefect deploy --all`.
    deployments: tuple[str, ...] | None = None


@dataclass(frozen=True)
class StackUrls:
    api: str
    prefect_ui: str
    prefect_api: str
    logs: Path
    prefect_database: str = "sqlite"
    # Every running child by name (`prefect-server`, `task-worker-1`, …), to watch for crashes.
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)


def prefect_env(workdir: Path, prefect_api: str) -> dict[str, str]:
    """What every process of the stack needs to share one Prefect server and its result storage."""
    home = (workdir / "prefect").resolve()
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": prefect_api,
        # `.delay()` writes task parameters here and the task worker reads them back; flow workers
        # write flow results here and the API's run stream reads them back.
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Batch the server's task-run recorder: ~10x the ingest rate on SQLite (prefect-notes.md §5).
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    }


def flow_worker_env(healthcheck_port: int) -> dict[str, str]:
    return {
        "PREFECT_WORKER_WEBSERVER_PORT": str(healthcheck_port),
        # Flow results are persisted so `GET /runs/{id}/stream` can return them; task results inside
        # flows are not (nobody reads them back, and they would fill the disk).
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_TASKS_DEFAULT_PERSIST_RESULT": "false",
    }


def prefect_database_url(store_url: str) -> str | None:
    """The Prefect server's database next to a PostgreSQL store; None for SQLite (Prefect's own file).

    A database of its own, not the store's: both are Alembic-managed and would share a version table.
    """
    url = sa.engine.make_url(store_url)
    if not url.drivername.startswith("postgresql"):
        return None
    return url.set(drivername="postgresql+asyncpg", database=f"{url.database}_prefect").render_as_string(
        hide_password=False
    )


def ensure_postgres_database(store_url: str, database: str) -> None:
    """Create `database` on the store's PostgreSQL server unless it exists."""
    engine = sa.create_engine(store_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database})
            if not exists:
                quoted = database.replace('"', '""')
                conn.execute(sa.text(f'CREATE DATABASE "{quoted}"'))
    except sa.exc.OperationalError as exc:
        raise HubError(
            f"cannot create the Prefect database {database!r} on the store's server ({exc.orig}); "
            "create it yourself or set PREFECT_SERVER_DATABASE_CONNECTION_URL"
        ) from None
    finally:
        engine.dispose()


def _server_database_env(env: Mapping[str, str]) -> tuple[dict[str, str], str]:
    explicit = env.get("PREFECT_SERVER_DATABASE_CONNECTION_URL") or os.environ.get(
        "PREFECT_SERVER_DATABASE_CONNECTION_URL"
    )
    if explicit:
        return {"PREFECT_SERVER_DATABASE_CONNECTION_URL": explicit}, _describe(explicit)
    store_url = env.get("HUB_DATABASE_URL") or os.environ.get("HUB_DATABASE_URL") or ""
    derived = prefect_database_url(store_url) if store_url else None
    if derived is None:
        return {}, "sqlite"
    database = sa.engine.make_url(derived).database or ""
    ensure_postgres_database(store_url, database)
    return {"PREFECT_SERVER_DATABASE_CONNECTION_URL": derived}, _describe(derived)


def _describe(url: str) -> str:
    parsed = sa.engine.make_url(url)
    return f"{parsed.get_backend_name()} {parsed.host or ''}/{parsed.database}"


def ensure_work_pool(prefect_api: str, name: str) -> None:
    """Create the process work pool `name` unless it exists (with the process worker's job template)."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    async def _ensure() -> None:
        async with PrefectClient(api=prefect_api) as client:
            try:
                await client.read_work_pool(name)
            except ObjectNotFound:
                template = ProcessWorker.get_default_base_job_template()
                await client.create_work_pool(
                    WorkPoolCreate(name=name, type="process", base_job_template=template)
                )

    asyncio.run(_ensure())


def deploy(env: Mapping[str, str], log: Path, pool: str, names: tuple[str, ...] | None) -> None:
    """`prefect deploy` prefect.yaml's deployments (all, or `names`) onto `pool`; HubError on failure."""
    if not (CODE_DIR / "prefect.yaml").exists():
        raise HubError(f"no prefect.yaml in {CODE_DIR}: `hub up` deploys from a checkout of the repository")
    selection = ["--all"] if names is None else [arg for name in names for arg in ("--name", name)]
    argv = [sys.executable, "-m", "prefect", "--no-prompt", "deploy", *selection, "--pool", pool]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        result = subprocess.run(
            argv,
            cwd=CODE_DIR,
            env={**os.environ, "HUB_CODE_DIR": str(CODE_DIR), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=600,
        )
    if result.returncode != 0:
        raise HubError(f"`prefect deploy` failed (exit {result.returncode}); {log}:\n{log_tail(log)}")


Ready = Callable[[str, str], None]


@contextmanager
def local_stack(
    workdir: Path,
    env: dict[str, str],
    *,
    api_port: int | None = None,
    prefect_port: int | None = None,
    shape: StackShape | None = None,
    on_ready: Ready | None = None,
) -> Iterator[StackUrls]:
    """Start the Prefect server, deploy, then the task workers, flow workers and API together; yield
    their URLs once all are healthy; stop them all on exit, in reverse order."""
    shape = shape or StackShape()
    ready: Ready = on_ready or (lambda _name, _detail: None)
    logs = workdir / "logs"
    prefect_port = prefect_port or free_port()
    api_port = api_port or free_port()
    prefect_url = f"http://127.0.0.1:{prefect_port}"
    # Counters from the API, task workers and flow runs add up on /metrics only through one shared,
    # initially empty folder (prometheus-client's multiprocess mode; docs/dashboard.md).
    metrics_dir = (workdir / "prometheus").resolve()
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    metrics_env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    full_env = {**prefect_env(workdir, f"{prefect_url}/api"), **metrics_env, **env}
    database_env, database = _server_database_env(full_env)
    children: dict[str, subprocess.Popen[bytes]] = {}
    with ExitStack() as stack:

        def launch(name: str, argv: list[str], extra: Mapping[str, str]) -> None:
            children[name] = start(argv, {**full_env, **extra}, logs / f"{name}.log")
            stack.callback(stop, children[name])  # stopped in reverse start order

        def wait(name: str, health: str) -> None:
            wait_healthy(health, children[name], logs / f"{name}.log", timeout_s=180)

        launch("prefect-server", prefect_server_argv(prefect_port), database_env)
        wait("prefect-server", f"{prefect_url}/api/health")
        ready("prefect-server", f"{prefect_url} (database: {database})")
        if shape.flow_workers:
            ensure_work_pool(f"{prefect_url}/api", shape.work_pool)
            deploy(full_env, logs / "deploy.log", shape.work_pool, shape.deployments)
            deployed = "all of prefect.yaml" if shape.deployments is None else ", ".join(shape.deployments)
            ready("deployments", f"{deployed} → work pool {shape.work_pool}")
        # Workers and the API need only the server: start them together, then check each.
        checks: dict[str, tuple[str, str]] = {}  # name -> (health URL, what to print)
        for n in range(1, shape.task_workers + 1):
            port = free_port()
            launch(f"task-worker-{n}", task_worker_argv(port), {})
            checks[f"task-worker-{n}"] = (f"http://127.0.0.1:{port}/status", f"status :{port}/status")
        for n in range(1, shape.flow_workers + 1):
            port, name = free_port(), f"flow-worker-{n}"
            launch(name, flow_worker_argv(shape.work_pool, shape.flow_limit, name), flow_worker_env(port))
            limit = f"pool {shape.work_pool}, at most {shape.flow_limit} runs at once"
            checks[name] = (f"http://127.0.0.1:{port}/health", limit)
        api = f"http://127.0.0.1:{api_port}"
        launch("api", api_argv(api_port), {})
        checks["api"] = (f"{api}/healthz", api)
        for name, (url, detail) in checks.items():
            wait(name, url)
            ready(name, detail)
        yield StackUrls(
            api=api,
            prefect_ui=prefect_url,
            prefect_api=f"{prefect_url}/api",
            logs=logs,
            prefect_database=database,
            children=children,
        )

"""The `hub` command line: everything a user does by hand.

The CLI is the composition root: it is the one place that starts processes (API, stand-in) and
wires the packages together, so it imports lazily to keep `hub --help` instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hub.cli.listings import app as listings_app
from hub.cli.workflows import app as workflows_app
from hub.errors import HubError

app = typer.Typer(
    help="EnterpriseHub: GHL automation and lead intelligence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The store: migrations and inspection.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(workflows_app, name="workflows")
locations_app = typer.Typer(help="Locations (GHL sub-accounts) and their credentials.", no_args_is_help=True)
app.add_typer(locations_app, name="locations")
app.add_typer(listings_app, name="listings")
err = Console(stderr=True, soft_wrap=True)


@app.command()
def demo(
    leads: Annotated[int, typer.Option(help="Leads in the simulated brokerage.")] = 400,
    days: Annotated[int, typer.Option(help="Simulated days of traffic.")] = 45,
    seed: Annotated[int, typer.Option(help="Simulation seed (same seed, same brokerage).")] = 7,
    workdir: Annotated[Path, typer.Option(help="Where the demo's store and files go (recreated).")] = Path(
        "var/demo"
    ),
    explore: Annotated[
        bool | None,
        typer.Option(
            help="Keep the stack and dashboard up after the report until Ctrl-C "
            "(default: yes at a terminal, no in scripts and CI)."
        ),
    ] = None,
    api_port: Annotated[int, typer.Option(help="API port (a free one if taken).")] = 8000,
    prefect_port: Annotated[int, typer.Option(help="Prefect server / UI port (a free one if taken).")] = 4200,
) -> None:
    """Simulate a brokerage, replay its signed GHL webhooks through the real API, show the results,
    then keep the dashboard and Prefect UI up to explore them."""
    import os
    import sys

    from hub.cli.processes import port_or_free, stop_on_signals
    from hub.demo import run_demo

    if explore is None:
        explore = sys.stdin.isatty() and sys.stdout.isatty() and not os.environ.get("CI")
    stop_on_signals()  # the demo's stack is stopped, never orphaned, however the demo is stopped
    run_demo(
        leads=leads,
        days=days,
        seed=seed,
        workdir=workdir,
        explore=explore,
        api_port=port_or_free(api_port),
        prefect_port=port_or_free(prefect_port),
    )


@app.command()
def simulate(
    leads: Annotated[int, typer.Option(help="Number of leads.")] = 5000,
    days: Annotated[int, typer.Option(help="Simulated days.")] = 90,
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives byte-identical files.")] = 7,
    locations: Annotated[int, typer.Option(help="Number of GHL locations (sub-accounts).")] = 2,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("var/sim"),
) -> None:
    """Write a simulated brokerage's signed GHL deliveries, its world and its oracle."""
    from hub.simulator import main as simulate_main

    simulate_main(leads=leads, days=days, seed=seed, out=out, locations=locations)


@app.command("ghl-standin")
def ghl_standin(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback only by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
) -> None:
    """Run the local GHL API stand-in (rate limits, injectable 429/5xx/latency/timeouts)."""
    from hub.ghl.standin import main as standin_main

    standin_main(host=host, port=port)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the API (webhook intake, health) with uvicorn."""
    import uvicorn

    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info")


@app.command("task-worker")
def task_worker(
    status_port: Annotated[
        int | None, typer.Option(help="Serve the worker's status (GET /status) on this port.")
    ] = None,
) -> None:
    """Serve the event-processing background task (needs PREFECT_API_URL)."""
    from hub.cli.task_worker import serve as serve_tasks
    from hub.settings import get_settings
    from tasks.process_events import process_location_events

    limit = get_settings().processing.worker_limit
    serve_tasks(process_location_events, limit=limit, status_port=status_port)


@app.command()
def up(
    workdir: Annotated[Path, typer.Option(help="Where the store, Prefect's database and logs live.")] = Path(
        "var"
    ),
    api_port: Annotated[int, typer.Option(help="API port.")] = 8000,
    prefect_port: Annotated[int, typer.Option(help="Prefect server (UI) port.")] = 4200,
    task_workers: Annotated[int, typer.Option(min=1, help="Event-processing task workers.")] = 1,
    flow_workers: Annotated[
        int, typer.Option(min=0, help="Process workers for the deployments (work pool hub-local).")
    ] = 1,
    flow_limit: Annotated[int, typer.Option(min=1, help="Concurrent flow runs per flow worker.")] = 2,
) -> None:
    """Start the stack (Prefect server, deployments, task and flow workers, API) until Ctrl-C.

    Uses HUB_DATABASE_URL (PostgreSQL: the Prefect server gets `<db>_prefect` next to it) and
    HUB_REDIS_URL when set; SQLite files under --workdir otherwise.
    """
    import time

    from hub.cli.processes import ignore_stop_signals, stop_on_signals
    from hub.cli.stack import StackShape, local_stack
    from hub.settings import get_settings
    from hub.store.engine import migrate

    settings = get_settings()
    url = settings.database.url
    migrate(url)
    env = {"HUB_DATABASE_URL": url, **({"HUB_REDIS_URL": settings.redis.url} if settings.redis.url else {})}
    shape = StackShape(task_workers=task_workers, flow_workers=flow_workers, flow_limit=flow_limit)
    console = Console()

    stop_on_signals()
    with local_stack(
        workdir,
        env,
        api_port=api_port,
        prefect_port=prefect_port,
        shape=shape,
        on_ready=lambda name, detail: console.print(f"[green]✓[/green] {name:<16} {detail}"),
    ) as urls:
        console.print(f"\nAPI docs    {urls.api}/docs")
        console.print(f"Dashboard   {urls.api}/dashboard")
        console.print(f"Prefect UI  {urls.prefect_ui}")
        log_files = ", ".join(sorted(p.name for p in urls.logs.glob("*.log")))
        console.print(f"Logs        {urls.logs}/ ({log_files})")
        console.print("Ctrl-C stops everything.", highlight=False)
        try:
            while True:
                for name, process in urls.children.items():
                    if process.poll() is not None:
                        log = urls.logs / f"{name}.log"
                        raise HubError(f"{name} exited with code {process.returncode}; see {log}")
                time.sleep(1)
        except KeyboardInterrupt:
            console.print("stopping…")
            ignore_stop_signals()
    console.print("stopped.")


FLOWS = {
    "train-lead-model": "flows.train_lead_model:train_lead_model",
    "train-churn-model": "flows.train_churn_model:train_churn_model",
    "score-leads": "flows.score_leads:score_leads",
    "churn-scan": "flows.churn_scan:churn_scan",
    "build-features": "flows.build_features:build_features",
    "dispatch-workflow-steps": "flows.dispatch_workflow_steps:dispatch_workflow_steps",
    "match-listings": "flows.match_listings:match_listings",
    "train-listing-ranker": "flows.train_listing_ranker:train_listing_ranker",
}


@app.command("run")
def run_flow(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(FLOWS)}.")],
    location: Annotated[str | None, typer.Option(help="Limit to one location.")] = None,
) -> None:
    """Run one flow now, in this process, against the Prefect server at PREFECT_API_URL."""
    import importlib
    import json

    if name not in FLOWS:
        raise typer.BadParameter(f"unknown flow {name!r}; choose one of {', '.join(FLOWS)}")
    module, function = FLOWS[name].split(":")
    flow_fn = getattr(importlib.import_module(module), function)
    result = flow_fn(location_id=location)
    print(json.dumps(result, default=str))


@app.command()
def check() -> None:
    """Check the settings and that every configured server answers; one line per check."""
    from hub.redis_connection import connect_redis
    from hub.settings import get_settings
    from hub.store.engine import check_connection, describe, make_engine, parse_url

    settings = get_settings()
    check_connection(make_engine(settings.database.url))
    err.print(f"[green]✓[/green] store: {describe(parse_url(settings.database.url))}")
    if settings.redis.url:
        connect_redis(settings.redis.url).close()
        err.print("[green]✓[/green] redis answers")
    else:
        err.print("[green]✓[/green] redis: not configured (single-host mode)")


@db_app.command("migrate")
def db_migrate() -> None:
    """Bring the store at HUB_DATABASE_URL to the latest schema."""
    from hub.settings import get_settings
    from hub.store.engine import check_connection, make_engine, migrate

    url = get_settings().database.url
    check_connection(make_engine(url))
    migrate(url)
    err.print("[green]store is at the latest schema[/green]")


@locations_app.command("add")
def locations_add(
    location_id: Annotated[str, typer.Argument(help="The GHL locationId.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    timezone: Annotated[str, typer.Option(help="IANA timezone of the office.")] = "UTC",
    public_url: Annotated[str, typer.Option(help="Where GHL reaches this API.")] = "http://127.0.0.1:8000",
) -> None:
    """Register a location (or rotate its keys); prints its API key and workflow-webhook URL once."""
    from sqlalchemy.orm import Session

    from hub.settings import get_settings
    from hub.store.engine import check_connection, make_engine
    from hub.tenancy import register_location

    engine = make_engine(get_settings().database.url)
    check_connection(engine)
    with Session(engine) as session, session.begin():
        credentials = register_location(session, location_id, name=name, timezone=timezone)
    console = Console()
    console.print(f"location [bold]{location_id}[/bold] registered. Shown once; store them now:")
    console.print(f"  API key:              {credentials.api_key}")
    console.print(f"  workflow webhook URL: {public_url}/webhooks/ghl/workflow/{credentials.workflow_secret}")


def main() -> None:
    """Entry point: domain errors become one red line (naming the setting), not a traceback."""
    try:
        app()
    except HubError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", soft_wrap=True, highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()

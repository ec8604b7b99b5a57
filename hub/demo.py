"""The main job on the embedded default: a simulated brokerage's GHL traffic, end to end.

1. simulate a brokerage (seeded: the same seed gives the same brokerage);
2. create a fresh SQLite store and register its locations, agents and pipelines;
3. start the API in its own process and replay every signed delivery through the real
   `POST /webhooks/ghl` endpoint (and the workflow-action ones through their secret URL), with
   GHL's duplicates and out-of-order arrivals;
4. report what landed, read back from the store — never from the simulator's own counts.

It grows as the product does (processing, workflows, scoring: see the issues).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.brokerage_summary import BrokerageSummary, render_summary, summarise
from hub.cli.processes import ignore_stop_signals
from hub.cli.stack import local_stack, prefect_env
from hub.demo_explore import save_credentials, wait_while_exploring
from hub.demo_ghl import configure_locations, render_sends, seed_standin
from hub.demo_listings import import_feeds, render_matches
from hub.errors import HubError
from hub.ghl.standin import run_standin_in_thread
from hub.intelligence_summary import render_intelligence
from hub.lead_state_summary import render_lead_state
from hub.listings.preferences import save_custom_fields
from hub.replay import Delivery, ReplayReport, replay
from hub.simulator import SimulationConfig, signing, simulate, write_simulation
from hub.simulator.exports import ghl_custom_fields
from hub.simulator.world import World
from hub.store.engine import make_engine, migrate
from hub.store.models import Event, Pipeline, PipelineStage, User
from hub.tenancy import LocationCredentials, register_location

TEMPLATES = Path(__file__).resolve().parents[1] / "workflow_templates"


DEMO_FLOWS = (
    "train-lead-model",
    "train-churn-model",
    "score-leads",
    "churn-scan",
    "train-listing-ranker",
    "match-listings",
)
OPTIONAL_FLOWS = {"train-listing-ranker"}


def seed_store(url: str, world: World) -> dict[str, LocationCredentials]:
    """Register the brokerage's locations, agents, pipelines and custom fields (as GHL's
    customFields endpoint would list them); return each location's new credentials."""
    engine = make_engine(url)
    credentials: dict[str, LocationCredentials] = {}
    with Session(engine) as session, session.begin():
        for location in world.locations:
            credentials[location.id] = register_location(
                session, location.id, name=location.name, timezone=location.timezone
            )
            for agent in location.agents:
                session.add(
                    User(
                        location_id=location.id,
                        id=agent.id,
                        name=agent.name,
                        email=agent.email,
                        phone=agent.phone,
                    )
                )
            for pipeline in (location.buyer_pipeline, location.seller_pipeline):
                session.add(Pipeline(location_id=location.id, id=pipeline.id, name=pipeline.name))
                for stage in pipeline.stages:
                    session.add(
                        PipelineStage(
                            location_id=location.id,
                            id=stage.id,
                            pipeline_id=pipeline.id,
                            name=stage.name,
                            position=stage.position,
                        )
                    )
            save_custom_fields(session, location.id, ghl_custom_fields(location.custom_fields.values()))
    engine.dispose()
    return credentials


def run_demo(
    *,
    leads: int,
    days: int,
    seed: int,
    workdir: Path,
    console: Console | None = None,
    explore: bool = False,
    api_port: int | None = None,
    prefect_port: int | None = None,
) -> BrokerageSummary:
    """Run the whole demo; returns the summary it printed. With `explore`, the stack, the stand-in
    and the dashboard stay up after the report until Ctrl-C."""
    console = console or Console()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    url = f"sqlite:///{workdir / 'hub.db'}"

    with console.status(f"Simulating a brokerage: {leads} leads over {days} days (seed {seed})"):
        sim = simulate(SimulationConfig(leads=leads, days=days, seed=seed, locations=2))
        files = write_simulation(sim, workdir / "sim")
    console.print(f"[green]✓[/green] simulated {len(sim.deliveries):,} GHL deliveries → {files.deliveries}")

    migrate(url)
    credentials = seed_store(url, sim.world)
    save_credentials(workdir / "credentials.json", credentials)
    engine = make_engine(url)
    tokens = configure_locations(engine, TEMPLATES)
    engine.dispose()
    console.print(f"[green]✓[/green] store ready at {url} ({len(credentials)} locations registered)")

    # The simulator signs with its own test key; the API is told to trust it, exactly as a
    # deployment is told GHL's published key.
    env = {
        "HUB_DATABASE_URL": url,
        "HUB_WEBHOOK_ED25519_PUBLIC_KEY": signing.TEST_PUBLIC_KEY_PEM,
        "HUB_PROCESSING_SWEEP_INTERVAL_S": "1",
        # The replay is 45 days of history arriving in a minute: nothing is sent while it is backfilled;
        # the dispatch flow after the models and scans sends what is due then (through the stand-in).
        "HUB_PROCESSING_DISPATCH_ON_ENROL": "false",
        "HUB_ML_REGISTRY_DIR": str(workdir / "models"),
        "HUB_ML_REPORTS_DIR": str(workdir / "reports"),
        # The brokerage's "now" is the end of its simulated window, not today's date.
        "HUB_ML_AS_OF": (sim.config.start + timedelta(days=days)).isoformat(),
    }
    console.print("Starting the local stack (Prefect server, task worker, API)…")
    with ExitStack() as running:
        urls = running.enter_context(local_stack(workdir, env, api_port=api_port, prefect_port=prefect_port))
        running.callback(ignore_stop_signals)  # runs first on the way out: shutdown is not cut short
        console.print(f"[green]✓[/green] stack up: API {urls.api}, Prefect UI {urls.prefect_ui}")
        report = _replay_with_progress(sim.deliveries, urls.api, credentials, console)
        with console.status("Waiting for the task worker to process every event"):
            lag = wait_until_processed(url)
        console.print(f"[green]✓[/green] all events processed {lag:.1f} s after the last delivery")
        api_keys = {location_id: c.api_key for location_id, c in credentials.items()}
        with console.status("Importing each location's MLS feed through POST /listings"):
            imported = import_feeds(urls.api, sim.world, api_keys)
        console.print(f"[green]✓[/green] {sum(imported.values()):,} listings imported through the API")
        flow_env = {**prefect_env(workdir, urls.prefect_api), **env}
        for flow_name in DEMO_FLOWS:
            with console.status(f"Prefect flow run: {flow_name}"):
                started = time.monotonic()
                log_path = workdir / "logs" / f"{flow_name}.log"
                try:
                    run_flow(flow_name, flow_env, log_path)
                except HubError:
                    if flow_name not in OPTIONAL_FLOWS:
                        raise
                    # A small brokerage may not have the history to train the listing ranker; the
                    # matcher then keeps the rule scorer, which is the product's behaviour too.
                    console.print(
                        f"[yellow]![/yellow] flow {flow_name} did not finish: {_last_error(log_path)}"
                    )
                    continue
            console.print(
                f"[green]✓[/green] flow {flow_name} completed in {time.monotonic() - started:.0f} s"
            )
        # Dispatch last, so the churn scan's re-engagement and the listing alerts are sent (or guarded) too.
        standin = running.enter_context(run_standin_in_thread())
        engine = make_engine(url)
        seeded = seed_standin(standin.admin, engine, tokens)
        console.print(f"[green]✓[/green] GHL stand-in at {standin.base_url} with {seeded:,} contacts")
        ghl_env = {**flow_env, **tokens, "HUB_GHL_BASE_URL": standin.base_url}
        with console.status("Prefect flow run: dispatch-workflow-steps (sending through GHL)"):
            run_flow("dispatch-workflow-steps", ghl_env, workdir / "logs" / "dispatch-workflow-steps.log")
        console.print(
            f"[green]✓[/green] replayed {report.sent:,} deliveries in {report.seconds:.1f} s "
            f"({report.per_second:,.0f}/s over real HTTP)"
        )
        if report.errors:
            console.print("[red]Some deliveries were refused:[/red]")
            for line in report.errors[:5]:
                console.print(f"  {line}")
        summary = summarise(engine, report)
        render_summary(summary, console)
        render_lead_state(engine, console)
        render_sends(engine, standin.admin, console)
        render_matches(engine, console)
        render_intelligence(engine, workdir / "models", console)
        reports, logs = workdir / "reports", workdir / "logs"
        console.print(f"\nModel reports: {reports}/*.html · store: {url} · logs: {logs}/")
        engine.dispose()
        if explore:
            wait_while_exploring(urls, standin.base_url, credentials, workdir, console)
    return summary


def _last_error(log: Path) -> str:
    """The flow's own error line (our errors say what to do), not the whole traceback."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if "Error" in line]
    return lines[-1].strip()[-300:] if lines else f"see {log}"


def run_flow(name: str, env: dict[str, str], log: Path) -> None:
    """Run one flow through the CLI (`hub run NAME`) so it shows in the Prefect UI like any run."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        result = subprocess.run(
            [sys.executable, "-m", "hub.cli", "run", name],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=900,
        )
    if result.returncode != 0:
        raise HubError(f"flow {name} failed (exit {result.returncode}); see {log}")


def wait_until_processed(url: str, timeout_s: float = 300.0) -> float:
    """Seconds until no event is left unprocessed; HubError if processing stalls."""
    engine = make_engine(url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout_s:
            with engine.connect() as conn:
                pending = conn.scalar(select(func.count()).where(Event.processed_at.is_(None)))
            if not pending:
                return time.monotonic() - started
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise HubError(f"{pending} events still unprocessed after {timeout_s:.0f} s; see the task worker log")


def _replay_with_progress(
    deliveries: Sequence[Delivery],
    base_url: str,
    credentials: dict[str, LocationCredentials],
    console: Console,
) -> ReplayReport:
    secrets = {location_id: c.workflow_secret for location_id, c in credentials.items()}
    columns = (TextColumn("Replaying webhooks"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("replay", total=len(deliveries))
        return replay(deliveries, base_url, workflow_secrets=secrets, on_sent=lambda: progress.advance(task))

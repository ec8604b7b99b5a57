"""Scale-out, proven small: the scaled stack computes exactly what the embedded default computes.

Scaled: PostgreSQL (a fresh database, and `<it>_prefect` for the Prefect server) + Redis, TWO task
workers, TWO process workers; a simulated brokerage is replayed over HTTP through the API, and
`build-features` and `score-leads` run per location as deployments (triggered through the operator
API `POST /runs/...`, followed on `GET /runs/{id}/stream`) on a Dask task runner.
Embedded default: the same brokerage in a SQLite store, processed in-process by the same processor,
the same flows run in-process on the default thread-pool task runner.
Both score with the one model trained on the embedded store. Printed: lead state, stored events,
latest scores and feature tables side by side; exit code 1 if anything differs.

    .venv/bin/python scripts/scale_out.py run --leads 140 --days 40 --seed 7

Needs PostgreSQL (--pg-admin-url, a role that may CREATE DATABASE) and Redis (--redis-url: a
logical database this run EMPTIES first, because its dedupe keys would hide the replayed deliveries).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import pandas as pd
import redis
import sqlalchemy as sa
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.brokerage_load import load_and_process
from hub.cli.processes import start, stop
from hub.cli.stack import StackShape, local_stack
from hub.demo import seed_store, wait_until_processed
from hub.lead_state_summary import lead_state
from hub.replay import replay
from hub.simulator import SimulationConfig, simulate
from hub.simulator.signing import TEST_PUBLIC_KEY_PEM
from hub.store.engine import make_engine, migrate, session_factory
from hub.store.models import Event, Location, Score
from hub.tenancy import LocationCredentials, register_location
from tasks.model_training import train_and_promote

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENTS = ("build-features/nightly", "score-leads/after-promotion")
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@dataclass
class Outcome:
    """What one setup computed, read back from its store and its flows' results."""

    lead_state: Any
    events: int
    scores: dict[tuple[str, str, str], tuple[float, str]]
    features: dict[str, pd.DataFrame]


@dataclass
class Comparison:
    embedded: Outcome
    scaled: Outcome
    rows: list[tuple[str, str, str, bool]] = field(default_factory=list)
    flow_runs: dict[str, int] = field(default_factory=dict)  # runs each flow worker executed
    seconds: float = 0.0

    @property
    def same(self) -> bool:
        return all(row[3] for row in self.rows)


def read_outcome(url: str, feature_paths: dict[str, str]) -> Outcome:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            events = session.scalar(sa.select(sa.func.count()).select_from(Event)) or 0
            latest: dict[tuple[str, str, str], tuple[float, str]] = {}
            # Rows are appended per scoring; the last one per lead and kind is the lead's score now.
            for row in session.scalars(sa.select(Score).order_by(Score.scored_at, Score.id)):
                latest[(row.location_id, row.contact_id, row.kind)] = (round(row.probability, 9), row.tier)
        state = lead_state(engine)
    finally:
        engine.dispose()
    features = {
        loc: pd.read_parquet(path).sort_values(["contact_id", "cutoff"]).reset_index(drop=True)
        for loc, path in feature_paths.items()
    }
    return Outcome(state, events, latest, features)


def compare(embedded: Outcome, scaled: Outcome) -> list[tuple[str, str, str, bool]]:
    """(what, embedded, scaled, same) per comparison; empty results never count as the same."""
    rows = []
    (a_rows, a_funnel), (b_rows, b_funnel) = embedded.lead_state, scaled.lead_state
    for a, b in zip(a_rows, b_rows, strict=True):
        rows.append((f"lead state {a.location_id[:8]}", _brief(a), _brief(b), a.contacts > 0 and a == b))
    rows.append(("pipeline funnel rows", str(len(a_funnel)), str(len(b_funnel)), a_funnel == b_funnel))
    rows.append(
        ("events stored", f"{embedded.events:,}", f"{scaled.events:,}", embedded.events == scaled.events)
    )
    differ = sum(scaled.scores.get(key) != value for key, value in embedded.scores.items())
    scaled_scores = f"{len(scaled.scores):,}" + (f" ({differ} differ)" if differ else "")
    same_scores = bool(embedded.scores) and embedded.scores == scaled.scores
    rows.append(("latest scores", f"{len(embedded.scores):,}", scaled_scores, same_scores))
    for loc in sorted(embedded.features):
        a, b = embedded.features[loc], scaled.features.get(loc)
        same = b is not None and len(a) > 0 and a.equals(b)
        rows.append((f"feature table {loc[:8]}", f"{a.shape}", f"{None if b is None else b.shape}", same))
    return rows


def _brief(row: Any) -> str:
    return (
        f"{row.contacts} contacts, {row.inbound}+{row.outbound} msgs, {row.appointments} appts, {row.won} won"
    )


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new, empty database (and, through the stack, `<it>_prefect`); both dropped afterwards."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"hub_scale_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            for db in (name, f"{name}_prefect"):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def start_embedded_flows(env: dict[str, str], locations: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    """Run build-features and score-leads per location in-process (`baseline-flows` below) on the
    default task runner, in a process of its own so that its settings are the embedded store's."""
    argv = [sys.executable, __file__, "baseline-flows", str(workdir / "embedded-features.json"), *locations]
    return start(argv, env, workdir / "embedded-flows.log")


def embedded_feature_paths(process: subprocess.Popen[bytes], workdir: Path) -> dict[str, str]:
    """Wait for the embedded flows; each location's feature-table path."""
    if process.wait(timeout=900) != 0:
        log = workdir / "embedded-flows.log"
        raise RuntimeError(f"embedded flows failed (exit {process.returncode}); see {log}")
    paths: dict[str, str] = json.loads((workdir / "embedded-features.json").read_text())
    return paths


@app.command("baseline-flows", hidden=True)
def baseline_flows(out: Path, locations: list[str]) -> None:
    """(internal) The embedded side's flow runs, in this process, with the default task runner."""
    from flows.build_features import build_features
    from flows.score_leads import score_leads

    paths = {}
    for loc in locations:
        paths[loc] = str(build_features(location_id=loc)["path"])
        score_leads(location_id=loc)
    out.write_text(json.dumps(paths))


def trigger_run(api: str, key: str, deployment: str, location: str) -> str:
    """Start `deployment` for `location` through the operator API; the run's stream URL."""
    created = httpx.post(
        f"{api}/runs/{deployment}", json={"location": location}, headers={"x-hub-key": key}, timeout=30
    )
    created.raise_for_status()
    return f"{api}{created.json()['stream']}"


def follow_run(stream_url: str, key: str, timeout_s: float = 600) -> dict[str, Any]:
    """Follow a run's stream to its `end` event; the run must have completed."""
    with httpx.stream("GET", stream_url, headers={"x-hub-key": key}, timeout=timeout_s) as response:
        response.raise_for_status()
        event = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:") and event == "end":
                end: dict[str, Any] = json.loads(line.partition(":")[2])
                if end["state"] != "COMPLETED":
                    raise RuntimeError(f"{stream_url} ended {end['state']}: {end}")
                return end
    raise RuntimeError(f"the stream {stream_url} closed without an end event")


def run_scale_out(
    *,
    leads: int,
    days: int,
    seed: int,
    workdir: Path,
    pg_admin_url: str,
    redis_url: str,
    console: Console | None = None,
) -> Comparison:
    started = time.monotonic()
    console = console or Console()

    def done(what: str) -> None:
        console.print(f"{time.monotonic() - started:4.0f}s ✓ {what}", highlight=False)

    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    sim = simulate(SimulationConfig(leads=leads, days=days, seed=seed, locations=2))
    locations = [loc.id for loc in sim.world.locations]
    done(f"simulated {len(sim.deliveries):,} deliveries: {leads} leads, {days} days, seed {seed}")
    redis.Redis.from_url(redis_url).flushdb()
    shared = {
        "HUB_ML_REGISTRY_DIR": str(workdir / "models"),  # one model, trained once, scores both
        "HUB_ML_AS_OF": (sim.config.start + timedelta(days=days)).isoformat(),
    }

    # Embedded default: SQLite, processed in-process by the processor the task workers run.
    embedded_url = f"sqlite:///{workdir / 'embedded.db'}"
    migrate(embedded_url)
    seed_store(embedded_url, sim.world)
    engine = make_engine(embedded_url)
    load_and_process(session_factory(engine), sim.deliveries)
    engine.dispose()
    done("embedded store processed")

    with fresh_postgres(pg_admin_url) as scaled_url:
        migrate(scaled_url)
        seed_store(scaled_url, sim.world)
        credentials = _rekey(scaled_url, locations)
        keys = {loc: c.api_key for loc, c in credentials.items()}
        secrets = {loc: c.workflow_secret for loc, c in credentials.items()}
        env = {
            **shared,
            "HUB_DATABASE_URL": scaled_url,
            "HUB_REDIS_URL": redis_url,
            "HUB_ML_REPORTS_DIR": str(workdir / "reports-scaled"),
            "HUB_WEBHOOK_ED25519_PUBLIC_KEY": TEST_PUBLIC_KEY_PEM,
            "HUB_PROCESSING_SWEEP_INTERVAL_S": "1",
            "HUB_TASK_RUNNER": "dask",
            "PREFECT_WORKER_QUERY_SECONDS": "2",  # pick up triggered runs quickly
            # Only the runs this proof triggers: no nightly build-features slot landing mid-run.
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        }
        shape = StackShape(task_workers=2, flow_workers=2, flow_limit=2, deployments=DEPLOYMENTS)
        ready = lambda name, detail: done(f"{name:<15} {detail}")  # noqa: E731
        with local_stack(workdir / "scaled", env, shape=shape, on_ready=ready) as urls:
            report = replay(sim.deliveries, urls.api, workflow_secrets=secrets)
            if set(report.outcomes) - {"accepted", "duplicate"}:
                raise RuntimeError(f"deliveries refused: {report.outcomes} {report.errors[:3]}")
            lag = wait_until_processed(scaled_url)
            done(f"replayed {report.sent:,} deliveries over HTTP; processed {lag:.1f} s later")
            # Trained only now: with a model in the registry the task workers would also score in
            # real time (as of the wall clock, not HUB_ML_AS_OF), which the embedded load does not.
            train(embedded_url, workdir)
            done("conversion model trained on the embedded store and promoted")
            embedded_env = {
                **shared,
                "HUB_DATABASE_URL": embedded_url,
                "HUB_ML_REPORTS_DIR": str(workdir / "reports-embedded"),
                "PREFECT_API_URL": urls.prefect_api,
                "HUB_TASK_RUNNER": "thread",
            }
            embedded_flows = start_embedded_flows(embedded_env, locations, workdir)
            try:
                # All four runs at once: the two workers share them out (at most 2 each).
                streams = {
                    (deployment, loc): trigger_run(urls.api, keys[loc], deployment, loc)
                    for loc in locations
                    for deployment in DEPLOYMENTS
                }
                ends = {run: follow_run(url, keys[run[1]]) for run, url in streams.items()}
                embedded_paths = embedded_feature_paths(embedded_flows, workdir)
            finally:
                stop(embedded_flows)
            scaled_paths = {loc: ends[(DEPLOYMENTS[0], loc)]["result"]["path"] for loc in locations}
            done("flows done: embedded in-process on threads; scaled as 4 deployment runs on Dask")
            flow_runs = {
                name: _runs_started(urls.logs / f"{name}.log")
                for name in urls.children
                if name.startswith("flow-worker")
            }
        comparison = Comparison(
            read_outcome(embedded_url, embedded_paths), read_outcome(scaled_url, scaled_paths)
        )
    comparison.rows = compare(comparison.embedded, comparison.scaled)
    comparison.flow_runs = flow_runs
    comparison.seconds = time.monotonic() - started
    render(comparison, console)
    return comparison


def train(url: str, workdir: Path) -> None:
    """One conversion model for both setups (the registry is shared), trained as the nightly flow does."""
    engine = make_engine(url)
    train_and_promote(
        session_factory(engine),
        "conversion",
        horizon_days=7,
        every_days=1,  # a small brokerage needs every cutoff to hold both labels in every window
        registry_dir=workdir / "models",
        reports_dir=workdir / "reports-training",
    )
    engine.dispose()


def _runs_started(log: Path) -> int:
    # Two workers may both try to submit a run and only one gets it ("Aborted submission"), so runs
    # are counted where the winner hands one to its subprocess.
    return len(re.findall(r"Flow run '[^']+' submitted to infrastructure", log.read_text(errors="replace")))


def _rekey(url: str, locations: list[str]) -> dict[str, LocationCredentials]:
    """Fresh API keys and workflow secrets (shown only once, at registration, so re-issued here)."""
    engine = make_engine(url)
    credentials = {}
    with Session(engine) as session, session.begin():
        for loc in locations:
            location = session.get(Location, loc)
            assert location is not None
            credentials[loc] = register_location(session, loc, name=location.name, timezone=location.timezone)
    engine.dispose()
    return credentials


def render(comparison: Comparison, console: Console) -> None:
    table = Table(title="Embedded default vs scaled out (same seed)")
    for column in ("what", "embedded (SQLite, threads)", "scaled (PG+Redis, 2+2 workers, Dask)", "same"):
        table.add_column(column)
    for what, a, b, same in comparison.rows:
        table.add_row(what, a, b, "[green]yes[/green]" if same else "[red]NO[/red]")
    console.print(table)
    console.print(f"flow runs per process worker: {comparison.flow_runs}; {comparison.seconds:.0f} s in all")


@app.command("run")
def main(
    leads: Annotated[int, typer.Option(help="Leads in the simulated brokerage (2 locations).")] = 140,
    days: Annotated[int, typer.Option(help="Simulated days.")] = 40,
    seed: Annotated[int, typer.Option(help="Simulation seed.")] = 7,
    workdir: Annotated[Path, typer.Option(help="Scratch folder (recreated).")] = Path("var/scale-out"),
    pg_admin_url: Annotated[
        str, typer.Option(help="PostgreSQL URL of a role that may CREATE DATABASE.")
    ] = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    redis_url: Annotated[
        str, typer.Option(help="Redis database this run EMPTIES first.")
    ] = "redis://127.0.0.1:6379/9",
) -> None:
    """Run both setups and compare them; exit code 1 if anything differs."""
    comparison = run_scale_out(
        leads=leads, days=days, seed=seed, workdir=workdir, pg_admin_url=pg_admin_url, redis_url=redis_url
    )
    raise typer.Exit(0 if comparison.same else 1)


if __name__ == "__main__":
    app()

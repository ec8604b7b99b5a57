"""`main()`: simulate, write, and print a short summary (what `hub simulate` runs)."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hub.simulator.config import SimulationConfig
from hub.simulator.delivery import redeliveries
from hub.simulator.io import SimulationFiles, write_simulation
from hub.simulator.simulation import simulate


def main(
    leads: int, days: int, seed: int, out: Path, locations: int = 1, console: Console | None = None
) -> SimulationFiles:
    """Simulate `leads` leads over `days` days with `seed`, write to `out`, print a summary."""
    console = console or Console()
    config = SimulationConfig(leads=leads, days=days, seed=seed, locations=locations)
    began = time.perf_counter()  # only printed, never written: outputs stay reproducible
    sim = simulate(config)
    files = write_simulation(sim, Path(out))
    elapsed = time.perf_counter() - began

    oracle = sim.oracle.leads
    table = Table(title=f"Simulated brokerage: {leads} leads x {days} days, seed {seed}")
    table.add_column("event type")
    table.add_column("deliveries", justify="right")
    for kind, count in sim.counts_by_type.items():
        table.add_row(kind, f"{count:,}")
    console.print(table)
    duplicates = redeliveries(sim.deliveries)
    console.print(
        f"{len(sim.deliveries):,} deliveries ({duplicates:,} duplicates) across {len(sim.world.locations)} "
        f"location(s), {len(sim.world.listings):,} listings; "
        f"{int(oracle['converted'].sum()):,} leads converted, {int((oracle['won_day'] >= 0).sum()):,} won, "
        f"{int((oracle['opted_out_day'] >= 0).sum()):,} opted out."
    )
    console.print(
        f"Wrote {files.directory} in {elapsed:.1f} s "
        f"({len(sim.deliveries) / max(elapsed, 1e-9):,.0f} deliveries/s)."
    )
    return files

"""Benchmark: simulate + write a 5,000-lead x 90-day brokerage, against an in-run baseline.

The baseline is the least any implementation must do for the same output: JSON-encode and
Ed25519-sign the same number of deliveries (single thread). The ratio says how much the whole
generative model, noise and file writing cost on top of that.

    .venv/bin/python bench/bench_simulator.py [--leads 5000] [--days 90] [--seed 7] [--locations 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from hub.simulator import SimulationConfig, simulate, write_simulation
from hub.simulator.signing import sign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--locations", type=int, default=3)
    args = parser.parse_args()
    config = SimulationConfig(leads=args.leads, days=args.days, seed=args.seed, locations=args.locations)

    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        sim = simulate(config)
        simulated = time.perf_counter()
        files = write_simulation(sim, Path(out))
        finished = time.perf_counter()
        size_mb = files.deliveries.stat().st_size / 1e6

    deliveries = len(sim.deliveries)
    payloads = [json.loads(d.body) for d in sim.deliveries]  # not timed: the baseline's input
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    base_began = time.perf_counter()
    for payload in payloads:
        sign(encoder.encode(payload).encode("utf-8"))
    baseline = time.perf_counter() - base_began

    total = finished - began
    print(f"simulator: {args.leads} leads x {args.days} days, seed {args.seed}, {args.locations} location(s)")
    print(f"  deliveries            {deliveries:>12,}   ({size_mb:,.0f} MB deliveries.jsonl)")
    print(f"  simulate              {simulated - began:>12.2f} s")
    print(f"  write files           {finished - simulated:>12.2f} s")
    print(f"  total                 {total:>12.2f} s   {deliveries / total:>10,.0f} deliveries/s")
    print(f"  baseline encode+sign  {baseline:>12.2f} s   {deliveries / baseline:>10,.0f} deliveries/s")
    print(f"  ratio total/baseline  {total / baseline:>12.2f} x")


if __name__ == "__main__":
    main()

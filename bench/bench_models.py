"""Benchmark: conversion and churn models on a 5,000-lead x 90-day brokerage, next to the oracle.

Simulates once, builds the timeline from the raw deliveries (envelope → normalise), then for each
target builds point-in-time samples, trains (time split, early stopping, calibration on the
validation window) and scores the test window. The in-run baselines are the simulator's oracle
(the exact probability given the latent state: the ceiling) and a one-feature model (days since
the last engagement: what a CRM's "last activity" sort gives), both on the very same samples.

    .venv/bin/python bench/bench_models.py [--leads 5000] [--days 90] [--seed 7] [--every-days 2]
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import numpy as np
from sklearn.metrics import roc_auc_score

from hub.simulator import SimulationConfig, simulate
from ml.catalog import catalog_from_world
from ml.labels import build_samples
from ml.metrics import Metrics
from ml.splits import day_cutoffs
from ml.timeline import timeline_from_deliveries
from ml.training import compare_with_oracle, train_on_samples

ORACLE_COLUMN = {"conversion": "p_convert_{h}d", "churn": "p_quiet_{h}d"}


def _row(name: str, m: Metrics) -> str:
    return (
        f"  {name:<22} AUC {m.roc_auc:.4f}  PR-AUC {m.pr_auc:.4f}  Brier {m.brier:.4f}  "
        f"ECE {m.ece:.4f}  lift@10% {m.lift_top_decile:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--locations", type=int, default=3)
    parser.add_argument("--horizon", type=int, default=7)
    parser.add_argument("--every-days", type=int, default=2, help="a cutoff every N days")
    args = parser.parse_args()
    config = SimulationConfig(
        leads=args.leads,
        days=args.days,
        seed=args.seed,
        locations=args.locations,
        horizons_days=(args.horizon,),
    )

    began = time.perf_counter()
    sim = simulate(config)
    simulated = time.perf_counter()
    timeline = timeline_from_deliveries(sim.deliveries, catalog=catalog_from_world(sim.world))
    built = time.perf_counter()
    end = config.start + timedelta(days=config.days)
    cutoffs = day_cutoffs(config.start, end, every_days=args.every_days)
    print(f"models: {args.leads} leads x {args.days} days, seed {args.seed}, horizon {args.horizon} d")
    print(f"  simulate                {simulated - began:>8.1f} s   {len(sim.deliveries):,} deliveries")
    print(f"  timeline (parse+norm.)  {built - simulated:>8.1f} s   {len(timeline.events):,} lead events")

    for target in ("conversion", "churn"):
        started = time.perf_counter()
        samples = build_samples(
            timeline.events,
            timeline.profiles,
            cutoffs,
            target=target,
            horizon_days=args.horizon,
            data_end=end,
        )
        featured = time.perf_counter()
        result = train_on_samples(samples, target=target, horizon_days=args.horizon)
        trained = time.perf_counter()
        column = ORACLE_COLUMN[target].format(h=args.horizon)
        comparison = compare_with_oracle(result, sim.oracle.daily, probability_column=column)
        test = result.test
        recency = test["days_since_last_engagement"].fillna(1e6).to_numpy()
        recency_auc = roc_auc_score(test["label"], recency if target == "churn" else -recency)
        print(
            f"\n{target} within {args.horizon} d: samples {result.sample_counts}, positives in test "
            f"{comparison.model.positives:,} ({comparison.model.base_rate:.1%})"
        )
        print(
            f"  features+labels         {featured - started:>8.1f} s   "
            f"{len(samples) / (featured - started):,.0f} samples/s ({len(samples):,} samples x "
            f"{len(result.features)} features)"
        )
        print(
            f"  train+calibrate+test    {trained - featured:>8.1f} s   "
            f"{result.model.best_iteration_ + 1} trees"
        )
        print(_row("model (calibrated)", comparison.model))
        print(_row("oracle (same samples)", comparison.oracle))
        print(f"  recency-only baseline   AUC {recency_auc:.4f}")
        print(f"  model AUC / oracle AUC  {comparison.auc_ratio:.4f}")
        top = ", ".join(f"{name} {value:.3f}" for name, value in result.importance.head(6).items())
        print(f"  top |SHAP|              {top}")
        assert np.isfinite(comparison.auc_ratio)
    print(f"\n  total                   {time.perf_counter() - began:>8.1f} s")


if __name__ == "__main__":
    main()

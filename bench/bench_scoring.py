"""Benchmark: single-lead scoring with reasons (p50 / p99), and batch scoring, against raw xgboost.

Trains and promotes a churn model on a simulated brokerage (not timed), then measures in the same
run, interleaved lead by lead (so every variant sees the same background load):

- `score_latest`: the issue's single-lead path — read the lead's feature row that processing kept
  (`ml.latest_features`, filled here from `build_features` as `tasks.lead_scoring` fills it) →
  calibrated probability, tier, top-3 reasons in words (+ the raising / lowering lists);
- `score_prepared`: the same, but the features are computed as of the moment from the lead
  prepared once (`prepare_lead`, numpy arrays) — what a moment other than the kept row's costs;
- `score_lead`: the same from the lead's timeline rows (a DataFrame);
- `score_vector`: score + reasons from a ready feature vector;
- baseline (the issue's): raw xgboost on the same row, one thread — `DMatrix(row)`, `predict` for
  the probability and `predict(pred_contribs=True)` for the contributions, one DMatrix for both, no
  feature names, no validation (the fastest raw way; the row is handed over as float32 already).
  The stricter `DMatrix(row)` + `pred_contribs` alone (exact TreeSHAP, the least any explained
  score must do) is shown too, with ratios against both.

Then batch: `score_batch` over every lead on the last day, against raw TreeSHAP on the same rows.

    .venv/bin/python bench/bench_scoring.py [--leads 2000] [--days 60] [--seed 7] [--repeat 3000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import xgboost as xgb

from hub.simulator import SimulationConfig, simulate
from ml.catalog import catalog_from_world
from ml.features import FEATURE_NAMES, build_features, feature_vector_at, prepare_lead
from ml.latest_features import LatestFeatures
from ml.registry import ModelRegistry, promote_if_better
from ml.scoring import LeadScorer
from ml.timeline import timeline_from_deliveries
from ml.training import train_lead_model

LATEST = "score_latest (kept row → score + 3 reasons)"
PREPARED = "score_prepared (features at as_of → same)"
ROWS = "score_lead (timeline rows → same)"
VECTOR = "score_vector (vector → same)"
BASELINE = "raw DMatrix + predict + pred_contribs"
CONTRIBS = "raw DMatrix + pred_contribs only"


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ordered = np.sort(np.asarray(seconds)) * 1e3
    return float(np.percentile(ordered, 50)), float(np.percentile(ordered, 99))


def _interleaved(variants: dict[str, list[Callable[[], object]]]) -> dict[str, list[float]]:
    """Run call i of every variant before call i+1 of any, so load spikes hit all variants alike."""
    out: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(len(next(iter(variants.values())))):
        for name, calls in variants.items():
            began = time.perf_counter()
            calls[i]()
            out[name].append(time.perf_counter() - began)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3_000, help="single-lead calls per variant")
    args = parser.parse_args()
    config = SimulationConfig(leads=args.leads, days=args.days, seed=args.seed)
    sim = simulate(config)
    timeline = timeline_from_deliveries(sim.deliveries, catalog=catalog_from_world(sim.world))
    end = config.start + timedelta(days=config.days)
    result = train_lead_model(
        timeline.events, timeline.profiles, target="churn", horizon_days=7, data_end=end
    )
    with tempfile.TemporaryDirectory() as folder:
        registry = ModelRegistry(Path(folder))
        promote_if_better(result, registry)
        scorer = LeadScorer.from_registry(registry, "churn-7d")

    # One sample per lead (the kept row is the lead's newest), leads visited round-robin.
    picked = result.test.sample(frac=1.0, random_state=args.seed).drop_duplicates("contact_id")
    picked = picked.head(args.repeat).reset_index(drop=True)
    latest = LatestFeatures()
    latest.put_frame(build_features(timeline.events, timeline.profiles, picked[["contact_id", "cutoff"]]))
    by_lead = dict(tuple(timeline.events.groupby("contact_id")))
    profiles = timeline.profiles.set_index("contact_id", drop=False)
    leads = [
        (by_lead[c], profiles.loc[c], t.to_pydatetime())
        for c, t in zip(picked["contact_id"], picked["cutoff"], strict=True)
    ]
    keys = list(zip(picked["location_id"], picked["contact_id"], strict=True))
    prepared = [(prepare_lead(rows, profile), as_of) for rows, profile, as_of in leads]
    vectors = [feature_vector_at(*lead) for lead in prepared]
    columns = np.array([FEATURE_NAMES.index(n) for n in scorer.features])
    rows = [v[columns].reshape(1, -1).astype(np.float32) for v in vectors]
    booster = scorer.registered.model.booster_
    assert booster is not None
    bare = booster.copy()
    bare.set_param({"nthread": 1})
    bare.feature_names = None
    names = scorer.features

    def raw_predict_and_contribs(row: np.ndarray) -> object:
        data = xgb.DMatrix(row, nthread=1)
        bare.predict(data, validate_features=False)
        return bare.predict(data, pred_contribs=True, validate_features=False)

    def raw_contribs(row: np.ndarray) -> object:
        return bare.predict(xgb.DMatrix(row, nthread=1), pred_contribs=True, validate_features=False)

    def bind(function: Callable[..., object], *arguments: object) -> Callable[[], object]:
        return lambda: function(*arguments)

    order = [i % len(leads) for i in range(args.repeat)]
    variants = {
        LATEST: [bind(scorer.score_latest, latest, *keys[i]) for i in order],
        PREPARED: [bind(scorer.score_prepared, *prepared[i]) for i in order],
        "  of which features at as_of": [bind(feature_vector_at, *prepared[i]) for i in order],
        ROWS: [bind(scorer.score_lead, *leads[i]) for i in order],
        VECTOR: [bind(scorer.score_vector, vectors[i]) for i in order],
        BASELINE: [bind(raw_predict_and_contribs, rows[i]) for i in order],
        CONTRIBS: [bind(raw_contribs, rows[i]) for i in order],
    }
    warm = {name: calls[:50] for name, calls in variants.items()}
    _interleaved(warm)  # imports, allocator, xgboost's predictor caches
    timings = _interleaved(variants)

    leaves = sum(dump.count("leaf=") for dump in booster.get_dump())
    print(
        f"scoring: churn-7d model, {booster.num_boosted_rounds()} trees, {leaves} leaves, "
        f"depth {scorer.registered.model.max_depth}, {len(scorer.features)} features; {args.repeat} calls "
        f"over {len(leads)} leads (median {np.median([len(lead[0]) for lead in leads]):.0f} events each), "
        f"interleaved; load average {os.getloadavg()[0]:.1f}"
    )
    stats = {name: _percentiles(values) for name, values in timings.items()}
    for name, (p50, p99) in stats.items():
        print(f"  {name:<44} p50 {p50:>7.3f} ms   p99 {p99:>7.3f} ms")
    for base in (BASELINE, CONTRIBS):
        base50, base99 = stats[base]
        print(f"  ratios to {base}:")
        for name in (LATEST, PREPARED, ROWS, VECTOR):
            p50, p99 = stats[name]
            print(f"    {name.split(' ')[0]:<15} p50 {p50 / base50:5.2f} x   p99 {p99 / base99:5.2f} x")

    cutoff = [end - timedelta(days=1)]
    began = time.perf_counter()
    frame = build_features(timeline.events, timeline.profiles, cutoff)
    featured = time.perf_counter()
    batch = scorer.score_batch(frame)
    scored = time.perf_counter()
    values = frame[scorer.features].to_numpy(dtype=np.float64)
    shap_began = time.perf_counter()
    booster.predict(xgb.DMatrix(values, feature_names=names), pred_contribs=True)
    shap = time.perf_counter() - shap_began
    n = len(batch)
    print(f"\n  batch of {n:,} leads")
    for name, seconds in (
        ("build_features", featured - began),
        ("score_batch (prob+tier+reasons)", scored - featured),
        ("baseline booster TreeSHAP only", shap),
    ):
        print(f"  {name:<34} {seconds:>8.3f} s   {n / seconds:>10,.0f} leads/s")
    print(f"  ratio score_batch / raw TreeSHAP   {(scored - featured) / shap:>8.1f} x")


if __name__ == "__main__":
    main()

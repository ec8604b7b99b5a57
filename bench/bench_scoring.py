"""Benchmark: single-lead scoring with reasons, and batch scoring, against raw booster.predict.

Trains and promotes a churn model on a simulated brokerage (not timed), then measures in the same
run:
- single lead, online: `LeadScorer.score_lead` = features from the lead's timeline rows + calibrated
  probability + tier + top reasons (TreeSHAP, rendered in words);
- the parts: features only, and score+reasons from a ready feature vector;
- baseline: the promoted booster's raw `inplace_predict` on one prepared row (no features, no
  calibration, no reasons) — the least any scorer must do;
- batch: `score_batch` over every lead on the last day (probability, tier, reasons for each),
  against raw `inplace_predict` and against raw TreeSHAP (`pred_contribs`) on the same rows.

    .venv/bin/python bench/bench_scoring.py [--leads 2000] [--days 60] [--seed 7] [--repeat 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

import numpy as np
import xgboost as xgb

from hub.simulator import SimulationConfig, simulate
from ml.catalog import catalog_from_world
from ml.features import FEATURE_NAMES, build_features, lead_feature_vector
from ml.registry import ModelRegistry, promote_if_better
from ml.scoring import LeadScorer
from ml.timeline import timeline_from_deliveries
from ml.training import train_lead_model


def _latencies(calls: list[Callable[[], object]]) -> list[float]:
    out = []
    for call in calls:
        began = time.perf_counter()
        call()
        out.append(time.perf_counter() - began)
    return out


def _line(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"  {name:<34} median {statistics.median(seconds) * 1e3:>8.3f} ms   p95 {p95 * 1e3:>8.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=300, help="single-lead calls per measurement")
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

    rng = np.random.default_rng(args.seed)
    picked = result.test.iloc[rng.integers(0, len(result.test), args.repeat)]
    by_lead = dict(tuple(timeline.events.groupby("contact_id")))
    profiles = timeline.profiles.set_index("contact_id", drop=False)
    leads = [
        (by_lead[c], profiles.loc[c], t.to_pydatetime())
        for c, t in zip(picked["contact_id"], picked["cutoff"], strict=True)
    ]
    vectors = [lead_feature_vector(*lead) for lead in leads]
    # The baseline predicts with the same booster configuration the scorer uses for one row.
    booster = scorer.registered.model.booster_
    assert booster is not None
    single = booster.copy()
    single.set_param({"nthread": 1})
    rows = [v[np.array([FEATURE_NAMES.index(n) for n in scorer.features])].reshape(1, -1) for v in vectors]

    for _ in range(2):  # warm-up: imports, allocator, xgboost's predictor caches
        _latencies([partial(scorer.score_lead, *lead) for lead in leads[:20]])
    full = _latencies([partial(scorer.score_lead, *lead) for lead in leads])
    features = _latencies([partial(lead_feature_vector, *lead) for lead in leads])
    scoring = _latencies([partial(scorer.score_vector, v) for v in vectors])
    raw = _latencies([partial(single.inplace_predict, r) for r in rows])

    events_per_lead = statistics.median(len(lead[0]) for lead in leads)
    print(
        f"scoring: churn-7d model, {result.model.best_iteration_ + 1} trees, "
        f"{len(scorer.features)} features; "
        f"{args.repeat} single-lead calls (median {events_per_lead:.0f} events per lead)"
    )
    print(_line("score_lead (features+score+reasons)", full))
    print(_line("  of which features", features))
    print(_line("  of which score + 3 reasons", scoring))
    print(_line("baseline booster.inplace_predict", raw))
    print(f"  ratio score_lead / raw predict      {statistics.median(full) / statistics.median(raw):>8.1f} x")
    print(
        f"  ratio score+reasons / raw predict   {statistics.median(scoring) / statistics.median(raw):>8.1f} x"
    )

    cutoff = [end - timedelta(days=1)]
    began = time.perf_counter()
    frame = build_features(timeline.events, timeline.profiles, cutoff)
    featured = time.perf_counter()
    batch = scorer.score_batch(frame)
    scored = time.perf_counter()
    values = frame[scorer.features].to_numpy(dtype=np.float64)
    base_began = time.perf_counter()
    booster.inplace_predict(values)
    base = time.perf_counter() - base_began
    shap_began = time.perf_counter()
    booster.predict(xgb.DMatrix(values, feature_names=scorer.features), pred_contribs=True)
    shap = time.perf_counter() - shap_began
    n = len(batch)
    print(f"\n  batch of {n:,} leads")
    print(
        f"  build_features                     {featured - began:>8.3f} s   "
        f"{n / (featured - began):>10,.0f} leads/s"
    )
    print(
        f"  score_batch (prob+tier+reasons)    {scored - featured:>8.3f} s   "
        f"{n / (scored - featured):>10,.0f} leads/s"
    )
    print(f"  baseline booster.inplace_predict   {base:>8.3f} s   {n / base:>10,.0f} leads/s")
    print(f"  baseline booster TreeSHAP only     {shap:>8.3f} s   {n / shap:>10,.0f} leads/s")
    print(f"  ratio score_batch / raw predict    {(scored - featured) / base:>8.1f} x")
    print(f"  ratio score_batch / raw TreeSHAP   {(scored - featured) / shap:>8.1f} x")


if __name__ == "__main__":
    main()

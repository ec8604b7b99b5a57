"""Benchmark: conversion and churn models on a 10,000-lead x 90-day brokerage, next to the oracle.

Simulates once, builds the timeline from the raw deliveries (envelope → normalise), then for each
target builds point-in-time samples, trains (time split, early stopping, calibration on the
validation window, then the trees relearned on everything labelled before the test window:
`LeadModel.refit`) and scores the test window. The in-run baselines, all on the very same samples:

- the oracle: the exact probability given the latent state and traits (the ceiling);
- the observable bound: an HMM forward filter that knows each lead's exact transition matrix and
  emission probabilities (its latent traits, which no model sees) and reads the latent state off
  every message a lead writes, filtering on every state-dependent thing the CRM shows, day by day:
  engagement counts per kind, bookings, wins, deals marked lost, opt-out and opt-in texts, whether
  each of our e-mails was opened / clicked / led to an unsubscribe (credited to its send day, even
  when the open came after the cutoff: more than a model can know) and whether each agent call was
  picked up. It is what a model could reach if it knew the traits and read text perfectly, so it
  bounds what any model of the observable history can do;
- "last activity only": days since the last engagement (what a CRM's activity sort gives).

Every model / oracle ratio comes with a 95 % bootstrap interval that resamples leads (a lead's
samples at successive cutoffs are correlated). `--unseen-leads F` (default 0.2) also trains a model
without a seeded random F of the leads and scores those leads in the same test window: leads and
outcomes the model never saw, the issue's wording, next to the time split over every lead.

`--size-sweep` instead fits every model size of a grid on the training window and records the
validation AUC (early stopping and the choice never see the test window), the tree and leaf count,
exact TreeSHAP's work (sum over trees of leaves x depth², its O(T·L·D²) cost) and the measured
TreeSHAP time per row. LeadModel's default size is the one with the least TreeSHAP work within
0.005 validation AUC of the best on both targets (the work, not the timing, decides: on a shared
2-core host the timing of a 20k-row batch swings by 3x from run to run).

    .venv/bin/python bench/bench_models.py [--leads 10000] [--days 90] [--seed 7] [--every-days 2]
    .venv/bin/python bench/bench_models.py --size-sweep
    .venv/bin/python bench/bench_models.py --fit-filter   # refit ml.features.state_filter.PARAMS
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

from hub.simulator import Simulation, SimulationConfig, simulate
from hub.simulator.conversation import _ANSWER as P_ANSWER
from hub.simulator.latent import BROWSING, COLD, LOST, N_STATES, OPTED_OUT, WON
from hub.simulator.mailing import _CLICK as P_CLICK
from hub.simulator.mailing import _OPEN as P_OPEN
from hub.simulator.oracle import exact_probabilities
from ml.catalog import catalog_from_world
from ml.features import FEATURE_NAMES
from ml.features.build import KEY_COLUMNS
from ml.features.columns import to_ms
from ml.features.state_fit import fit_filter
from ml.labels import Target, build_samples
from ml.metrics import Metrics
from ml.model import LeadModel
from ml.splits import day_cutoffs, time_split
from ml.timeline import timeline_from_deliveries
from ml.training import TrainingResult, compare_with_oracle, train_on_samples

ORACLE_COLUMN = {"conversion": "p_convert_{h}d", "churn": "p_quiet_{h}d"}
DAY_MS = 86_400_000
# (max_depth, learning_rate): the grid of --size-sweep.
SIZES = [(d, eta) for d in (2, 3, 4, 6) for eta in (0.05, 0.1, 0.2)]


def _row(name: str, m: Metrics) -> str:
    return (
        f"  {name:<22} AUC {m.roc_auc:.4f}  PR-AUC {m.pr_auc:.4f}  Brier {m.brier:.4f}  "
        f"ECE {m.ece:.4f}  lift@10% {m.lift_top_decile:.2f}"
    )


def _day_flags(
    events: pd.DataFrame, mask: pd.Series, lead_of: dict[str, int], shape: tuple[int, int], start_ms: int
) -> np.ndarray:
    """(leads, days) count of the timeline rows in `mask`, by lead and simulated day."""
    rows = events[mask.to_numpy()]
    out = np.zeros(shape)
    day = (to_ms(rows["at"]) - start_ms) // DAY_MS
    keep = (day >= 0) & (day < shape[1])
    np.add.at(out, (rows["contact_id"].map(lead_of).to_numpy()[keep], day[keep]), 1)
    return out


def observable_bound(sim: Simulation, events: pd.DataFrame, horizon: int) -> dict[str, np.ndarray]:
    """Per (lead, day): P(conversion) and P(quiet) within `horizon` days from an HMM forward filter
    with the lead's true dynamics, on the day-by-day evidence of the timeline (see the docstring)."""
    dyn, leads = sim.dynamics, sim.leads
    n, days = leads.n, sim.config.days
    start_ms = sim.config.start_ms
    lead_of = {c: i for i, c in enumerate(leads.contact_id)}
    shape = (n, days)
    kind, action, direction = events["kind"], events["action"], events["direction"]
    inbound = (kind == "message") & (direction == "inbound") & events["opt"].isna()
    channel = events["channel"]
    masks = [
        inbound & (channel == "SMS"),
        inbound & (channel == "Email"),
        inbound & channel.isin(["Call", "Voicemail"]),
        *[(kind == "listing") & (action == a) for a in ("view", "save", "showing_request", "not_interested")],
    ]
    counts = np.stack([_day_flags(events, m, lead_of, shape, start_ms) for m in masks], axis=2)
    booked = _day_flags(events, (kind == "appointment") & (action == "created"), lead_of, shape, start_ms) > 0
    status = events["status"]
    marked = (kind == "opportunity") & (action == "status")
    won = _day_flags(events, marked & (status == "won"), lead_of, shape, start_ms) > 0
    lost = _day_flags(events, marked & (status == "lost"), lead_of, shape, start_ms) > 0
    stop = _day_flags(events, events["opt"] == "opt_out", lead_of, shape, start_ms) > 0
    start_again = _day_flags(events, events["opt"] == "opt_in", lead_of, shape, start_ms) > 0
    texted = counts[:, :, 0] + counts[:, :, 1] > 0
    # Our e-mails (by send day) by what the lead did with them, and agent calls by pickup: their
    # odds depend on the state of the send / call day (hub/simulator/mailing.py, conversation.py).
    email = kind == "email"
    sent = email & (action == "delivered")
    ids = events["item_id"]
    opened_ids = set(ids[email & (action == "opened")])
    clicked_ids = set(ids[email & (action == "clicked")])
    was_opened, was_clicked = ids.isin(opened_ids), ids.isin(clicked_ids)
    mail = {
        "ignored": _day_flags(events, sent & ~was_opened, lead_of, shape, start_ms),
        "opened": _day_flags(events, sent & was_opened & ~was_clicked, lead_of, shape, start_ms),
        "clicked": _day_flags(events, sent & was_opened & was_clicked, lead_of, shape, start_ms),
    }
    unsubscribed = _day_flags(events, email & (action == "unsubscribed"), lead_of, shape, start_ms) > 0
    call_out = (kind == "message") & (direction == "outbound") & (channel == "Call")
    picked_up = _day_flags(events, call_out & (status == "completed"), lead_of, shape, start_ms)
    not_picked_up = _day_flags(events, call_out & (status != "completed"), lead_of, shape, start_ms)
    p_open, p_click, p_answer = np.array(P_OPEN), np.array(P_CLICK), np.array(P_ANSWER)
    log_odds = {
        "ignored": np.log(1.0 - p_open),
        "opened": np.log(np.maximum(p_open * (1.0 - p_click), 1e-300)),
        "clicked": np.log(np.maximum(p_open * p_click, 1e-300)),
    }
    cold_or_out = np.isin(np.arange(N_STATES), [COLD, OPTED_OUT]).astype(float)
    p = dyn.transition
    no_new_win = p.copy()
    no_new_win[:, np.arange(N_STATES) != WON, WON] = 0.0
    log_rates = np.log(np.maximum(dyn.rates, 1e-300))
    belief = np.zeros((n, N_STATES))
    posterior = np.zeros((n, days, N_STATES))
    for t in range(days):
        prior = np.einsum("ni,nij->nj", belief, np.where(won[:, t, None, None], p, no_new_win))
        arriving = leads.arrival_day == t
        prior[arriving] = dyn.initial[arriving]
        k = counts[:, t, None, :]
        like = np.exp((log_rates * k - dyn.rates).sum(axis=2))
        like *= np.where((dyn.rates == 0) & (k > 0), 0.0, 1.0).prod(axis=2)
        like *= np.where(booked[:, t, None], dyn.booking, 1.0 - dyn.booking)
        seen = sum(mail[k][:, t, None] * log_odds[k][None, :] for k in mail)
        seen += picked_up[:, t, None] * np.log(p_answer) + not_picked_up[:, t, None] * np.log(1 - p_answer)
        like *= np.exp(seen)
        like = np.where(unsubscribed[:, t, None], like * cold_or_out + 1e-12, like)
        like = np.where(start_again[:, t, None], like * np.eye(N_STATES)[BROWSING] + 1e-12, like)
        # Perfect reading of message text: a message reveals the state the lead wrote it in.
        truth = np.eye(N_STATES)[np.clip(sim.path.states[:, t], 0, None)]
        like = np.where(texted[:, t, None], like * truth, like)
        like = np.where(lost[:, t, None], np.eye(N_STATES)[LOST], like)
        like = np.where(stop[:, t, None], like * np.eye(N_STATES)[OPTED_OUT] + 1e-12, like)
        like = np.where(won[:, t, None], np.eye(N_STATES)[WON], like)
        joint = prior * like
        total = joint.sum(axis=1, keepdims=True)
        belief = np.where(total > 0, joint / np.maximum(total, 1e-300), prior)
        belief[leads.arrival_day > t] = 0.0
        posterior[:, t] = belief
    p_convert, p_quiet = exact_probabilities(dyn, (horizon,))[horizon]
    return {
        "conversion": np.einsum("nts,ns->nt", posterior, p_convert),
        "churn": np.einsum("nts,ns->nt", posterior, p_quiet),
    }


def _bound_values(
    sim: Simulation, bound: dict[str, np.ndarray], test: pd.DataFrame, target: str
) -> np.ndarray:
    lead_of = {c: i for i, c in enumerate(sim.leads.contact_id)}
    lead = test["contact_id"].map(lead_of).to_numpy()
    day = (to_ms(test["cutoff"]) - sim.config.start_ms) // DAY_MS - 1  # cutoff = end of day d
    return bound[target][lead, day]


def _bound_auc(sim: Simulation, bound: dict[str, np.ndarray], test: pd.DataFrame, target: str) -> float:
    return float(roc_auc_score(test["label"], _bound_values(sim, bound, test, target)))


def auc_ratio_intervals(
    scored: pd.DataFrame, pairs: list[tuple[str, str]], *, resamples: int = 400, seed: int = 0
) -> dict[tuple[str, str], tuple[float, float]]:
    """95 % interval of AUC(numerator) / AUC(denominator) for each pair of score columns of
    `scored` (with `contact_id` and `label`), resampling leads, not rows, with replacement: a lead's
    samples at successive cutoffs are correlated, so the lead is the unit. Paired: every ratio is
    taken on the same resampled leads."""
    _, lead = np.unique(scored["contact_id"].to_numpy(), return_inverse=True)
    label = scored["label"].to_numpy()
    columns = sorted({name for pair in pairs for name in pair})
    rng = np.random.default_rng(seed)
    n = lead.max() + 1
    ratios: dict[tuple[str, str], list[float]] = {pair: [] for pair in pairs}
    for draws in rng.multinomial(n, np.full(n, 1.0 / n), size=resamples):
        weight = draws[lead]
        kept = weight > 0
        auc = {
            name: roc_auc_score(label[kept], scored[name].to_numpy()[kept], sample_weight=weight[kept])
            for name in columns
        }
        for numerator, denominator in pairs:
            ratios[(numerator, denominator)].append(auc[numerator] / auc[denominator])
    intervals = {}
    for pair, values in ratios.items():
        low, high = np.quantile(values, [0.025, 0.975])
        intervals[pair] = (float(low), float(high))
    return intervals


def _scored(
    test: pd.DataFrame, sim: Simulation, bound: dict[str, np.ndarray], target: str, column: str
) -> pd.DataFrame:
    """The test samples with the model's, the oracle's and the observable bound's scores."""
    scored = test[["contact_id", "cutoff", "label", "probability"]].merge(
        sim.oracle.daily[["contact_id", "cutoff", column]], on=["contact_id", "cutoff"], how="left"
    )
    scored = scored.rename(columns={"probability": "model", column: "oracle"})
    scored["bound"] = _bound_values(sim, bound, scored, target)
    return scored


def _intervals(scored: pd.DataFrame) -> str:
    found = auc_ratio_intervals(scored, [("model", "oracle"), ("bound", "oracle")])
    (m_low, m_high), (b_low, b_high) = found[("model", "oracle")], found[("bound", "oracle")]
    return (
        f"95 % lead bootstrap: model/oracle [{m_low:.4f}, {m_high:.4f}], "
        f"bound/oracle [{b_low:.4f}, {b_high:.4f}]"
    )


def unseen_leads(contact_ids: pd.Series, fraction: float, seed: int) -> set[str]:
    """A fixed random `fraction` of the leads, held out of training entirely (seeded)."""
    leads = np.sort(contact_ids.unique())
    rng = np.random.default_rng(seed)
    return set(rng.choice(leads, size=round(len(leads) * fraction), replace=False))


def on_unseen_leads(
    samples: pd.DataFrame, held_out: set[str], *, target: Target, horizon: int
) -> tuple[TrainingResult, pd.DataFrame]:
    """Train without the held-out leads' samples (any cutoff), then score the held-out leads' samples
    in the same test window: leads and outcomes the model never saw."""
    unseen = samples["contact_id"].isin(held_out).to_numpy()
    result = train_on_samples(samples[~unseen], target=target, horizon_days=horizon)
    test = result.split.part(samples[unseen].reset_index(drop=True), "test")
    test = test[[*KEY_COLUMNS, *result.features, "label"]].copy()
    test["probability"] = result.model.predict_probability(test[result.features])
    return result, test


def _treeshap_us_per_row(booster: xgb.Booster, values: np.ndarray) -> float:
    """Exact TreeSHAP cost per row: the best of 3 runs (the least disturbed by other load)."""
    data = xgb.DMatrix(values, feature_names=list(FEATURE_NAMES), nthread=2)
    best = np.inf
    for _ in range(3):
        began = time.perf_counter()
        booster.predict(data, pred_contribs=True)
        best = min(best, time.perf_counter() - began)
    return best / len(values) * 1e6


def _treeshap_work(booster: xgb.Booster) -> int:
    """Exact TreeSHAP's work for one row: the sum over trees of leaves x depth² (Lundberg et al.)."""
    work = 0
    for dump in booster.get_dump():
        lines = [line for line in dump.splitlines() if line.strip()]
        depth = max(len(line) - len(line.lstrip("\t")) for line in lines)
        work += sum("leaf=" in line for line in lines) * max(depth, 1) ** 2
    return work


def size_sweep(samples: dict[Target, pd.DataFrame], horizon: int) -> None:
    print("\nsize sweep: validation AUC (early-stopped on validation), trees, leaves, TreeSHAP µs/row")
    results: dict[tuple[int, float], dict[str, tuple[float, int, int, float]]] = {}
    for target, frame in samples.items():
        split = time_split(frame["cutoff"], horizon_days=horizon)
        train, valid = split.part(frame, "train"), split.part(frame, "valid")
        columns = list(FEATURE_NAMES)
        probe = valid[columns].to_numpy(dtype=np.float64)[:20_000]
        for depth, eta in SIZES:
            model = LeadModel(max_depth=depth, learning_rate=eta)
            model.fit(train[columns], train["label"], eval_set=(valid[columns], valid["label"]))
            auc = float(roc_auc_score(valid["label"], model.predict_raw(valid[columns])))
            booster = model.booster_
            assert booster is not None
            leaves = sum(dump.count("leaf=") for dump in booster.get_dump())
            work = _treeshap_work(booster)
            cost = _treeshap_us_per_row(booster, probe)
            trees = model.best_iteration_ + 1
            results.setdefault((depth, eta), {})[target] = (auc, trees, leaves, work)
            print(
                f"  {target:<10} depth {depth} eta {eta:<4}  valid AUC {auc:.4f}  trees {trees:>4}"
                f"  leaves {leaves:>5}  TreeSHAP work {work:>7,}  measured {cost:7.1f} µs/row",
                flush=True,
            )
    best = {t: max(r[t][0] for r in results.values()) for t in samples}
    within = {
        size: sum(r[t][3] for t in samples)
        for size, r in results.items()
        if all(r[t][0] >= best[t] - 0.005 for t in samples)
    }
    chosen = min(within, key=lambda size: within[size])
    print(
        f"  best validation AUC: {', '.join(f'{t} {a:.4f}' for t, a in best.items())}; least TreeSHAP work "
        f"within 0.005 on both: depth {chosen[0]}, eta {chosen[1]} (work {within[chosen]:,} for both models)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--locations", type=int, default=3)
    parser.add_argument("--horizon", type=int, default=7)
    parser.add_argument("--every-days", type=int, default=2, help="a cutoff every N days")
    parser.add_argument("--size-sweep", action="store_true", help="record the model-size sweep instead")
    parser.add_argument(
        "--fit-filter", action="store_true", help="fit the state filter on the training window and print it"
    )
    parser.add_argument(
        "--unseen-leads",
        type=float,
        default=0.2,
        help="also train without this fraction of the leads and score them (0 to skip)",
    )
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
    targets: tuple[Target, ...] = ("conversion", "churn")
    samples = {
        target: build_samples(
            timeline.events,
            timeline.profiles,
            cutoffs,
            target=target,
            horizon_days=args.horizon,
            data_end=end,
        )
        for target in targets
    }
    if args.fit_filter:
        # The training window only: events known before the first validation cutoff.
        split = time_split(samples["conversion"]["cutoff"], horizon_days=args.horizon)
        fit_end = pd.Timestamp(split.valid[0]).to_pydatetime()
        print(f"state filter fitted on events known by {fit_end:%Y-%m-%d %H:%M}:")
        print(f"  {fit_filter(timeline.events, timeline.profiles, fit_end=fit_end)}")
        return
    if args.size_sweep:
        size_sweep(samples, args.horizon)
        return
    bound = observable_bound(sim, timeline.events, args.horizon)
    held_out = unseen_leads(samples["conversion"]["contact_id"], args.unseen_leads, args.seed)
    for target in targets:
        started = time.perf_counter()
        result = train_on_samples(samples[target], target=target, horizon_days=args.horizon)
        trained = time.perf_counter()
        column = ORACLE_COLUMN[target].format(h=args.horizon)
        comparison = compare_with_oracle(result, sim.oracle.daily, probability_column=column)
        # In-run baseline for the refit: the same model without it (trees learned on train only).
        held = train_on_samples(samples[target], target=target, horizon_days=args.horizon, refit=False)
        test = result.test
        recency = test["days_since_last_engagement"].fillna(1e6).to_numpy()
        recency_auc = roc_auc_score(test["label"], recency if target == "churn" else -recency)
        bound_auc = _bound_auc(sim, bound, test, target)
        print(
            f"\n{target} within {args.horizon} d: samples {result.sample_counts}, positives in test "
            f"{comparison.model.positives:,} ({comparison.model.base_rate:.1%})"
        )
        model = result.model
        print(
            f"  train+calibrate+test    {trained - started:>8.1f} s   {model.best_iteration_ + 1} trees "
            f"(depth {model.max_depth}, eta {model.learning_rate}), {len(result.features)} features"
        )
        print(_row("model (calibrated)", comparison.model))
        print(_row("model, validation window", result.valid_metrics))
        print(_row("without the refit", held.metrics))
        print(_row("oracle (same samples)", comparison.oracle))
        bound_ratio = bound_auc / comparison.oracle.roc_auc
        print(f"  observable bound        AUC {bound_auc:.4f}  ({bound_ratio:.4f} x oracle)")
        print(f"  recency-only baseline   AUC {recency_auc:.4f}")
        print(f"  model AUC / oracle AUC  {comparison.auc_ratio:.4f}")
        print(f"  {_intervals(_scored(test, sim, bound, target, column))}")
        print(f"  without the refit       {held.metrics.roc_auc / comparison.oracle.roc_auc:.4f} x oracle")
        print(f"  model AUC / bound AUC   {comparison.model.roc_auc / bound_auc:.4f}")
        if args.unseen_leads > 0:
            _, unseen_test = on_unseen_leads(samples[target], held_out, target=target, horizon=args.horizon)
            unseen = compare_with_oracle(
                replace(result, test=unseen_test), sim.oracle.daily, probability_column=column
            )
            unseen_bound = _bound_auc(sim, bound, unseen_test, target)
            print(
                f"  unseen leads ({args.unseen_leads:.0%} held out of training, {unseen.n:,} test samples): "
                f"model AUC {unseen.model.roc_auc:.4f}, oracle {unseen.oracle.roc_auc:.4f}, "
                f"ratio {unseen.auc_ratio:.4f}; bound {unseen_bound / unseen.oracle.roc_auc:.4f} x oracle; "
                f"ECE {unseen.model.ece:.4f}"
            )
            print(f"    {_intervals(_scored(unseen_test, sim, bound, target, column))}")
        top = ", ".join(f"{name} {value:.3f}" for name, value in result.importance.head(6).items())
        print(f"  top |SHAP|              {top}")
        assert np.isfinite(comparison.auc_ratio)
    print(f"\n  total                   {time.perf_counter() - began:>8.1f} s")


if __name__ == "__main__":
    main()

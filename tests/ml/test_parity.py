"""Training/serving parity: the offline and online paths give the same numbers for the same lead."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from hub.simulator import Simulation
from ml.features import FEATURE_NAMES, build_features, features_for_lead
from ml.timeline import Timeline


def test_offline_and_online_features_are_identical(sim: Simulation, timeline: Timeline) -> None:
    rng = np.random.default_rng(3)
    start = sim.config.start
    # Day ends and arbitrary moments (to the millisecond) across the window.
    cutoffs = [start + timedelta(days=d) for d in range(5, 61, 5)]
    cutoffs += [
        start + timedelta(milliseconds=int(ms)) for ms in rng.integers(86_400_000, 60 * 86_400_000, 5)
    ]
    offline = build_features(timeline.events, timeline.profiles, cutoffs)
    assert len(offline) > 2_000
    by_lead = dict(tuple(timeline.events.groupby("contact_id")))
    profiles = timeline.profiles.set_index("contact_id", drop=False)
    picked = offline.iloc[rng.choice(len(offline), 300, replace=False)]
    checked = 0
    for _, row in picked.iterrows():
        lead_events = by_lead.get(row["contact_id"], timeline.events.iloc[:0])
        online = features_for_lead(
            lead_events, profiles.loc[row["contact_id"]], row["cutoff"].to_pydatetime()
        )
        expected = row[list(FEATURE_NAMES)].to_numpy(dtype=float)
        got = np.array([online[name] for name in FEATURE_NAMES])
        mismatched = [
            (name, a, b)
            for name, a, b in zip(FEATURE_NAMES, got, expected, strict=True)
            if not np.isclose(a, b, rtol=0, atol=1e-9, equal_nan=True)
        ]
        assert not mismatched, f"{row['contact_id']} at {row['cutoff']}: {mismatched[:5]}"
        checked += 1
    assert checked == 300
    # The checked samples exercise the features: most columns vary across them.
    varying = (picked[list(FEATURE_NAMES)].nunique() > 1).sum()
    assert varying >= 0.9 * len(FEATURE_NAMES)


def test_explicit_samples_keep_their_order(timeline: Timeline, sim: Simulation) -> None:
    leads = timeline.profiles["contact_id"].iloc[[5, 1, 5]].tolist()
    moment = pd.Timestamp(sim.config.start + timedelta(days=59))
    samples = pd.DataFrame({"contact_id": leads, "cutoff": [moment, moment, moment - pd.Timedelta(days=20)]})
    frame = build_features(timeline.events, timeline.profiles, samples)
    assert frame["contact_id"].tolist() == leads
    assert frame["cutoff"].tolist() == samples["cutoff"].tolist()

"""No leakage: a feature at cutoff c depends only on what was known at c."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from hub.simulator import Simulation
from ml.catalog import CrmCatalog
from ml.features import FEATURE_NAMES, build_features, features_for_lead
from ml.timeline import Timeline, build_timeline, timeline_from_deliveries
from tests.ml.builders import at, make_contact, make_message


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    left = a.sort_values(["contact_id", "cutoff"]).reset_index(drop=True)
    right = b.sort_values(["contact_id", "cutoff"]).reset_index(drop=True)
    assert left[["contact_id", "cutoff"]].equals(right[["contact_id", "cutoff"]])
    np.testing.assert_allclose(
        left[list(FEATURE_NAMES)].to_numpy(float),
        right[list(FEATURE_NAMES)].to_numpy(float),
        rtol=0,
        atol=1e-9,
    )


@pytest.mark.parametrize("day", [12, 30, 45])
def test_removing_later_events_changes_nothing(sim: Simulation, timeline: Timeline, day: int) -> None:
    cutoff = pd.Timestamp(sim.config.start + timedelta(days=day))
    full = build_features(timeline.events, timeline.profiles, [cutoff])
    past = timeline.events[timeline.events["at"] <= cutoff]
    assert len(past) < len(timeline.events)
    _same(full, build_features(past, timeline.profiles, [cutoff]))


def test_adding_later_events_changes_nothing(sim: Simulation, timeline: Timeline) -> None:
    cutoff = pd.Timestamp(sim.config.start + timedelta(days=25))
    # Replay the first ten days' events forty days later: a busy future for every early lead.
    future = timeline.events[timeline.events["at"] < sim.config.start + timedelta(days=10)].copy()
    for column in ("at", "received_at"):
        future[column] = future[column] + pd.Timedelta(days=40)
    future["appt_start"] = future["appt_start"] + pd.Timedelta(days=40)
    more = pd.concat([timeline.events, future], ignore_index=True)
    _same(
        build_features(timeline.events, timeline.profiles, [cutoff]),
        build_features(more, timeline.profiles, [cutoff]),
    )


def test_traffic_received_by_the_cutoff_gives_the_same_features(
    sim: Simulation, timeline: Timeline, catalog: CrmCatalog
) -> None:
    """End to end: a hub that had only received the deliveries that arrived by c computes the
    same features at c as the offline table built from the whole window."""
    cutoff = pd.Timestamp(sim.config.start + timedelta(days=30))
    arrived = [x for x in sim.deliveries if x.arrival_at <= cutoff]
    partial = timeline_from_deliveries(arrived, catalog=catalog)
    _same(
        build_features(timeline.events, timeline.profiles, [cutoff]),
        build_features(partial.events, partial.profiles, [cutoff]),
    )


def test_an_event_is_visible_only_once_it_arrived() -> None:
    stream = [make_contact(), make_message(at(days=1), received=at(days=1, hours=2))]
    timeline = build_timeline(stream)
    profile = timeline.profiles.iloc[0]
    before = features_for_lead(timeline.events, profile, at(days=1, hours=1))
    after = features_for_lead(timeline.events, profile, at(days=1, hours=3))
    assert before["sms_replies_1d"] == 0
    assert after["sms_replies_1d"] == 1
    assert after["days_since_last_inbound_message"] == pytest.approx(3 / 24)


def test_a_lead_is_a_sample_only_once_known(timeline: Timeline) -> None:
    first = timeline.profiles.sort_values("known_at").iloc[0]
    cutoff = first["known_at"] - pd.Timedelta(milliseconds=1)
    frame = build_features(timeline.events, timeline.profiles, [cutoff])
    assert first["contact_id"] not in set(frame["contact_id"])

"""The learned state filter: sensible on hand-made leads, point in time, batch = one lead, EM fit."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from hub.simulator import Simulation
from ml.features import build_features, features_for_lead
from ml.features.state_filter import COUNTS, FEATURES, engagement_rate
from ml.features.state_fit import fit_filter
from ml.timeline import LeadEvent, Timeline, build_timeline
from tests.ml.builders import at, make_contact, make_message, make_view

STATE = [f.name for f in FEATURES]


def _state(stream: list[LeadEvent], as_of_days: float, contact: str = "lead-1") -> dict[str, float]:
    timeline = build_timeline(stream)
    events = timeline.events[timeline.events["contact_id"] == contact]
    profile = timeline.profiles.set_index("contact_id").loc[contact]
    profile["contact_id"] = contact
    values = features_for_lead(events, profile, at(days=as_of_days))
    return {name: values[name] for name in STATE}


def _busy_lead() -> list[LeadEvent]:
    stream = [make_contact()]
    for day in range(10, 14):
        stream.append(make_view(at(days=day, hours=2), listing=f"L{day}"))
        stream.append(make_message(at(days=day, hours=3), body="Can we tour it Saturday?"))
    return stream


def test_a_busy_lead_is_hot_and_a_silent_one_goes_cold() -> None:
    busy = _state(_busy_lead(), 14)
    silent = _state([make_contact(), make_message(at(days=1), body="Just looking")], 14)
    assert busy["state_p_hot"] > 0.5 > silent["state_p_hot"]
    assert silent["state_p_cold"] > 0.5 > busy["state_p_cold"]
    assert busy["state_expected_engagements_1d"] > 5 * silent["state_expected_engagements_1d"]
    for values in (busy, silent):
        assert 0 <= values["state_p_cold"] + values["state_p_hot"] <= 1 + 1e-12
    # The same busy lead after two silent weeks has cooled off.
    assert _state(_busy_lead(), 28)["state_p_cold"] > busy["state_p_cold"]


def test_a_later_or_late_arriving_event_does_not_change_the_cutoff() -> None:
    before = _state(_busy_lead(), 14)
    later = [
        *_busy_lead(),
        make_message(at(days=14, hours=1), body="Maybe next year"),
        # Happened before the cutoff but reached us after it: not known at the cutoff.
        make_message(at(days=13, hours=20), body="Not right now", received=at(days=14, hours=2)),
    ]
    assert _state(later, 14) == before
    # ... while the same message known before the cutoff does move the filter.
    known = [*_busy_lead(), make_message(at(days=13, hours=20), body="Not right now")]
    assert _state(known, 14) != before


def test_batch_and_one_lead_give_identical_state_features(sim: Simulation, timeline: Timeline) -> None:
    cutoffs = [sim.config.start + timedelta(days=d, hours=h) for d, h in ((20, 0), (41, 7), (59, 23))]
    offline = build_features(timeline.events, timeline.profiles, cutoffs)
    by_lead = dict(tuple(timeline.events.groupby("contact_id")))
    profiles = timeline.profiles.set_index("contact_id", drop=False)
    picked = offline.sample(120, random_state=5)
    for _, row in picked.iterrows():
        online = features_for_lead(
            by_lead.get(row["contact_id"], timeline.events.iloc[:0]),
            profiles.loc[row["contact_id"]],
            row["cutoff"].to_pydatetime(),
        )
        assert [online[name] for name in STATE] == [float(row[name]) for name in STATE], row["contact_id"]
    assert picked["state_p_cold"].nunique() > 50


def test_em_fit_on_a_training_window_gives_a_valid_ordered_filter(
    timeline: Timeline, sim: Simulation
) -> None:
    fit_end = pd.Timestamp(sim.config.start + timedelta(days=40)).to_pydatetime()
    params = fit_filter(timeline.events, timeline.profiles, fit_end=fit_end, iterations=15)
    assert params.k == 3 and len(params.rates) == len(COUNTS)
    assert sum(params.initial) == pytest.approx(1, abs=1e-5)
    for row in params.transition:
        assert sum(row) == pytest.approx(1, abs=1e-5)
        assert min(row) >= 0
    engaging = [engagement_rate(params, s) for s in range(params.k)]
    assert engaging == sorted(engaging) and engaging[-1] > 10 * engaging[0]
    assert params.transition[0][0] > 0.5  # cold is a lasting state
    assert all(0 <= p <= 1 for p in params.answer)


def test_events_after_the_fit_window_do_not_change_the_fit(timeline: Timeline, sim: Simulation) -> None:
    fit_end = sim.config.start + timedelta(days=30)
    events = timeline.events
    known = events[np.maximum(events["at"], events["received_at"].fillna(events["at"])) <= fit_end]
    assert len(known) < len(timeline.events)
    full = fit_filter(timeline.events, timeline.profiles, fit_end=fit_end, iterations=5)
    assert fit_filter(known, timeline.profiles, fit_end=fit_end, iterations=5) == full

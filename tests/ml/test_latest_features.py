"""The feature row processing keeps per lead, and scoring one lead from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.brokerage_load import load_and_process
from hub.errors import ModelError
from hub.simulator import SimulationConfig, simulate
from hub.store.models import Score
from hub.tenancy import register_location
from ml.features import FEATURE_NAMES, build_features
from ml.latest_features import FeatureRow, LatestFeatures
from ml.registry import ModelRegistry, promote_if_better
from ml.scoring import LeadScorer
from ml.timeline import Timeline
from ml.training import TrainingResult
from tasks.lead_scoring import score_contacts


@pytest.fixture(scope="module")
def scorer(churn_result: TrainingResult, tmp_path_factory: pytest.TempPathFactory) -> LeadScorer:
    registry = ModelRegistry(tmp_path_factory.mktemp("latest-models"))
    assert promote_if_better(churn_result, registry).promoted
    return LeadScorer.from_registry(registry, "churn-7d")


def _row(contact: str, as_of: datetime, value: float = 1.0) -> FeatureRow:
    return FeatureRow("loc", contact, as_of, np.full(len(FEATURE_NAMES), value))


def test_a_kept_row_scores_as_the_batch_and_the_timeline_do(
    scorer: LeadScorer, churn_result: TrainingResult, timeline: Timeline
) -> None:
    samples = churn_result.test.drop_duplicates("contact_id").sample(20, random_state=3)
    frame = build_features(timeline.events, timeline.profiles, samples[["contact_id", "cutoff"]])
    latest = LatestFeatures()
    assert latest.put_frame(frame) == 20 and len(latest) == 20
    batch = scorer.score_batch(frame)
    by_lead = dict(tuple(timeline.events.groupby("contact_id")))
    profiles = timeline.profiles.set_index("contact_id", drop=False)
    for i, sample in enumerate(frame.itertuples(index=False)):
        row = latest.get(sample.location_id, sample.contact_id)
        assert row is not None and row.as_of == sample.cutoff.to_pydatetime()
        score = scorer.score_latest(latest, sample.location_id, sample.contact_id)
        assert score.probability == pytest.approx(batch["probability"].iloc[i], abs=1e-9)
        assert score.tier == batch["tier"].iloc[i]
        assert [r.text for r in score.reasons] == [r["text"] for r in batch["reasons"].iloc[i]]
        online = scorer.score_lead(by_lead[sample.contact_id], profiles.loc[sample.contact_id], row.as_of)
        # repr: exact floats, and a NaN feature value compares equal to itself.
        assert repr(score) == repr(online)


def test_a_newer_row_is_never_replaced_by_an_older_one() -> None:
    latest = LatestFeatures()
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert latest.put(_row("c1", now, 2.0))
    assert not latest.put(_row("c1", now - timedelta(hours=1), 1.0))  # a late scan
    kept = latest.get("loc", "c1")
    assert kept is not None and kept.as_of == now and kept.values[0] == 2.0
    assert latest.put(_row("c1", now + timedelta(minutes=5), 3.0))
    kept = latest.get("loc", "c1")
    assert kept is not None and kept.values[0] == 3.0
    assert latest.get("other-location", "c1") is None


def test_the_least_recently_written_lead_goes_first_past_capacity() -> None:
    latest = LatestFeatures(capacity=2)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    latest.put(_row("a", now))
    latest.put(_row("b", now))
    latest.put(_row("a", now + timedelta(minutes=1)))  # a is written again: b is now the oldest
    latest.put(_row("c", now))
    assert len(latest) == 2
    assert latest.get("loc", "b") is None
    assert latest.get("loc", "a") is not None and latest.get("loc", "c") is not None


def test_bad_rows_and_unknown_leads_are_specific_errors(scorer: LeadScorer) -> None:
    latest = LatestFeatures()
    with pytest.raises(ModelError, match="no feature row kept for contact 'c9' in location 'loc'"):
        scorer.score_latest(latest, "loc", "c9")
    with pytest.raises(ModelError, match=f"{len(FEATURE_NAMES)} values in FEATURE_NAMES order, got 3"):
        latest.put(FeatureRow("loc", "c1", datetime(2026, 3, 1, tzinfo=UTC), np.zeros(3)))
    with pytest.raises(ModelError, match=r"lacks .*build it with ml\.features\.build_features"):
        latest.put_frame(pd.DataFrame({"contact_id": ["c1"]}))
    with pytest.raises(ModelError, match="capacity must be at least 1"):
        LatestFeatures(capacity=0)


def test_rescoring_from_the_store_keeps_each_leads_row(scorer: LeadScorer, store_engine: sa.Engine) -> None:
    """The processing hook's scoring (score_contacts) keeps the rows it computed; one lead's score
    read back from its row is the score it wrote."""
    sim = simulate(SimulationConfig(leads=30, days=12, seed=3, locations=1))
    sessions = sessionmaker(store_engine)
    location = sim.world.locations[0]
    with sessions() as session, session.begin():
        register_location(session, location.id, name=location.name, timezone=location.timezone)
    assert load_and_process(sessions, sim.deliveries) > 0
    latest = LatestFeatures()
    as_of = sim.config.start + timedelta(days=sim.config.days)
    with sessions() as session, session.begin():
        outcome = score_contacts(session, scorer, "churn", location.id, as_of=as_of, keep=latest)
    assert outcome.scored > 0 and len(latest) == outcome.scored
    with Session(store_engine) as session:
        written = {s.contact_id: s.probability for s in session.scalars(sa.select(Score))}
    assert len(written) == outcome.scored
    for contact_id, probability in written.items():
        row = latest.get(location.id, contact_id)
        assert row is not None and row.as_of == as_of
        assert scorer.score_latest(latest, location.id, contact_id).probability == pytest.approx(
            probability, abs=1e-9
        )

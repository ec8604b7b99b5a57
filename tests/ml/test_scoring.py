"""Scoring with the promoted model: probability, tier, reasons in plain words, interventions."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hub.errors import ModelError
from ml.features import BY_NAME, FEATURE_NAMES, features_for_lead, prepare_lead
from ml.registry import ModelRegistry, promote_if_better
from ml.scoring import CHURN_INTERVENTIONS, LeadScorer
from ml.timeline import Timeline
from ml.training import TrainingResult


@pytest.fixture(scope="module")
def registry(
    conversion_result: TrainingResult, churn_result: TrainingResult, tmp_path_factory: pytest.TempPathFactory
) -> ModelRegistry:
    registry = ModelRegistry(tmp_path_factory.mktemp("models"))
    assert promote_if_better(conversion_result, registry).promoted
    assert promote_if_better(churn_result, registry).promoted
    return registry


def _leads(result: TrainingResult, n: int) -> pd.DataFrame:
    return result.test.sample(n, random_state=4)


def test_single_lead_score_matches_the_model(
    registry: ModelRegistry, churn_result: TrainingResult, timeline: Timeline
) -> None:
    scorer = LeadScorer.from_registry(registry, "churn-7d")
    by_lead = dict(tuple(timeline.events.groupby("contact_id")))
    profiles = timeline.profiles.set_index("contact_id", drop=False)
    for _, row in _leads(churn_result, 25).iterrows():
        score = scorer.score_lead(by_lead[row["contact_id"]], profiles.loc[row["contact_id"]], row["cutoff"])
        assert score.probability == pytest.approx(row["probability"], abs=1e-6)
        assert score.kind == "churn-7d" and score.model_version == scorer.registered.version
        floors = dict(scorer.tiers)
        assert score.probability >= floors[score.tier]
        assert score.intervention == CHURN_INTERVENTIONS[score.tier]
        assert all(r.impact > 0 for r in score.risk_factors)
        assert all(r.impact < 0 for r in score.protective_factors)
        assert len(score.reasons) == 3


def test_a_prepared_lead_scores_exactly_as_its_rows(
    registry: ModelRegistry, churn_result: TrainingResult, timeline: Timeline
) -> None:
    """The numpy-only online path (prepare once, score at any moment) gives the same score,
    reasons and words as scoring from the lead's timeline rows, at every moment."""
    scorer = LeadScorer.from_registry(registry, "churn-7d")
    by_lead = dict(tuple(timeline.events.groupby("contact_id")))
    profiles = timeline.profiles.set_index("contact_id", drop=False)
    for _, row in _leads(churn_result, 10).iterrows():
        rows, profile = by_lead[row["contact_id"]], profiles.loc[row["contact_id"]]
        prepared = prepare_lead(rows, profile)
        for moment in (row["cutoff"], row["cutoff"] - pd.Timedelta(days=3, minutes=7)):
            from_rows = scorer.score_lead(rows, profile, moment)
            # repr: exact floats, and a NaN feature value compares equal to itself (== would not).
            assert repr(scorer.score_prepared(prepared, moment)) == repr(from_rows)


def test_reasons_are_plain_words_about_the_leads_own_values(
    registry: ModelRegistry, churn_result: TrainingResult, timeline: Timeline
) -> None:
    scorer = LeadScorer.from_registry(registry, "churn-7d")
    by_lead = dict(tuple(timeline.events.groupby("contact_id")))
    profiles = timeline.profiles.set_index("contact_id", drop=False)
    seen: set[str] = set()
    for _, row in _leads(churn_result, 40).iterrows():
        lead_events, profile = by_lead[row["contact_id"]], profiles.loc[row["contact_id"]]
        score = scorer.score_lead(lead_events, profile, row["cutoff"])
        actual = features_for_lead(lead_events, profile, row["cutoff"])
        for reason in [*score.reasons, *score.raising, *score.lowering]:
            seen.add(reason.feature)
            assert "_" not in reason.text  # no identifiers such as days_since_last_engagement
            assert not re.search(r"\bnan\b|unknown", reason.text)
            assert np.isclose(reason.value, actual[reason.feature], equal_nan=True)
            assert reason.text == BY_NAME[reason.feature].describe(actual[reason.feature], actual)
            counted = "{value:int}" in BY_NAME[reason.feature].phrase
            if counted and not np.isnan(reason.value) and reason.value != 0:
                assert f"{round(reason.value):,}" in reason.text
    assert len(seen) >= 5


def test_batch_scores_equal_single_scores(registry: ModelRegistry, conversion_result: TrainingResult) -> None:
    scorer = LeadScorer.from_registry(registry, "conversion-7d")
    frame = conversion_result.test.head(200)
    batch = scorer.score_batch(frame)
    assert list(batch.columns) == ["location_id", "contact_id", "cutoff", "probability", "tier", "reasons"]
    np.testing.assert_allclose(batch["probability"], frame["probability"], atol=1e-6)
    assert set(batch["tier"]) <= {"hot", "warm", "cold"}
    for i in (0, 57, 199):
        single = scorer.score_vector(frame[list(FEATURE_NAMES)].iloc[i].to_numpy(float))
        assert single.tier == batch["tier"].iloc[i]
        assert [r.text for r in single.reasons] == [r["text"] for r in batch["reasons"].iloc[i]]
        assert single.intervention is None


def test_tiers_are_configurable_and_checked(
    registry: ModelRegistry, conversion_result: TrainingResult
) -> None:
    champion = registry.champion("conversion-7d")
    assert champion is not None
    strict = LeadScorer(champion, tiers=(("hot", 0.9), ("warm", 0.5), ("cold", 0.0)))
    loose = LeadScorer(champion, tiers=(("hot", 0.01), ("warm", 0.005), ("cold", 0.0)))
    frame = conversion_result.test.head(300)
    assert (strict.score_batch(frame)["tier"] == "hot").sum() < (
        loose.score_batch(frame)["tier"] == "hot"
    ).sum()
    with pytest.raises(ModelError, match="decreasing thresholds ending at 0"):
        LeadScorer(champion, tiers=(("hot", 0.2), ("warm", 0.5), ("cold", 0.0)))


def test_no_champion_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no champion model for 'churn-7d'"):
        LeadScorer.from_registry(ModelRegistry(tmp_path), "churn-7d")

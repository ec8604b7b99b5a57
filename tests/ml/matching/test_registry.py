"""The ranker goes through the model registry: native .ubj + metadata, champion, same scores back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from hub.errors import ModelError
from ml.matching import MATCH_KIND, MatchModel, rank_matches
from ml.matching.features import FEATURE_NAMES
from ml.matching.simulated import SimulatedMatching
from ml.registry import ModelRegistry


def test_round_trip_keeps_scores_matches_and_provenance(
    ranker: MatchModel,
    matching_data: SimulatedMatching,
    test_profiles: pd.DataFrame,
    test_at: datetime,
    tmp_path: Path,
) -> None:
    registry = ModelRegistry(tmp_path)
    assert MatchModel.champion(registry) is None  # no ranker yet: callers fall back to the rules
    version = ranker.save(registry, created_at=datetime(2026, 5, 1, tzinfo=UTC))
    assert version.startswith(f"{MATCH_KIND}-20260501T000000")
    folder = tmp_path / MATCH_KIND / version
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.json", "model.ubj"]
    assert not list(tmp_path.rglob("*.pkl")) and not list(tmp_path.rglob("*.pickle"))
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["kind"] == MATCH_KIND and meta["features"] == list(FEATURE_NAMES)
    assert meta["data_hash"] == ranker.metadata["data_hash"] and meta["code_version"]
    assert meta["sample_counts"] == ranker.metadata["sample_counts"]
    assert (tmp_path / MATCH_KIND / "CHAMPION").read_text().strip() == version

    loaded = MatchModel.champion(registry)
    assert loaded is not None and loaded.version == version
    listings = matching_data.listings_at(test_at)
    before = rank_matches(listings, test_profiles, ranker)
    after = rank_matches(listings, test_profiles, loaded)
    assert len(after) > 100
    assert (after["scorer"] == f"model:{version}").all()
    assert_frame_equal(before.drop(columns="scorer"), after.drop(columns="scorer"))
    rows = np.random.default_rng(0).normal(size=(64, len(FEATURE_NAMES))).astype(np.float32)
    assert np.array_equal(ranker.score(rows), loaded.score(rows))


def test_unknown_version_and_wrong_feature_width_are_clear_errors(ranker: MatchModel, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model version 'listing-match-x-y'"):
        MatchModel.load(ModelRegistry(tmp_path), "listing-match-x-y")
    with pytest.raises(ModelError, match=f"expects {len(FEATURE_NAMES)} features, got 3"):
        ranker.score(np.zeros((2, 3), dtype=np.float32))

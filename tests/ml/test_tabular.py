"""Training from any CRM export: typed columns, per-column problems, leakage guard, honest CV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hub.errors import TrainingDataError
from ml.training import CsvTrainingResult, train_from_csv

ROWS = 1_500


def make_export(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """A seeded CRM export: a few real signals, the usual junk columns, and three leaks."""
    rng = np.random.default_rng(seed)
    source = rng.choice(["Zillow", "Facebook", "Referral", "Website", "Open House"], rows)
    pre_approved = rng.random(rows) < 0.35
    views = rng.poisson(6, rows)
    budget = rng.lognormal(np.log(450_000), 0.3, rows)
    logit = -1.6 + 1.4 * pre_approved + 0.12 * views + np.where(source == "Referral", 1.0, 0.0)
    converted = rng.random(rows) < 1 / (1 + np.exp(-logit))
    created = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, rows), unit="D")
    frame = pd.DataFrame(
        {
            "lead_id": [f"L{i:05d}" for i in range(rows)],
            "email": [f"person{i}@example.com" for i in range(rows)],
            "source": source,
            "budget": [f"${b:,.0f}" for b in budget],
            "created": created.strftime("%Y-%m-%d"),
            "pre_approved": np.where(pre_approved, "Yes", "No"),
            "page_views": views.astype(float),
            "notes": [f"called on day {i} about listing {rng.integers(1_000_000)}" for i in range(rows)],
            "region": "TX",
            "empty": np.nan,
            # Leaks: filled only after a win, a copy of the outcome, and a vendor score built on it.
            "close_date": np.where(converted, created.strftime("%Y-%m-%d"), None),
            "deal_outcome": np.where(converted, "won", "lost"),
            "partner_score": converted * 10 + rng.normal(0, 0.5, rows),
            "converted": np.where(converted, "yes", "no"),
        }
    )
    frame.loc[rng.random(rows) < 0.1, "budget"] = None
    frame.loc[rng.random(rows) < 0.05, "page_views"] = np.nan
    frame.loc[rng.random(rows) < 0.02, "converted"] = None
    return frame


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crm") / "export.csv"
    make_export().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def result(export: Path) -> CsvTrainingResult:
    return train_from_csv(export, target="converted", folds=5)


def test_leaks_are_dropped_with_their_reason(result: CsvTrainingResult) -> None:
    reasons = {issue.column: issue.problem for issue in result.leakage}
    assert set(reasons) == {"close_date", "deal_outcome", "partner_score"}
    assert "named like the outcome" in reasons["deal_outcome"]
    assert "alone predicts the target" in reasons["close_date"]
    assert "alone predicts the target" in reasons["partner_score"]


def test_unusable_columns_are_explained(result: CsvTrainingResult) -> None:
    problems = {issue.column: issue.problem for issue in result.unusable}
    assert set(problems) == {"lead_id", "email", "notes", "region", "empty"}
    assert "distinct values" in problems["lead_id"] and "drop it" in problems["email"]
    assert "one value ('TX')" in problems["region"]
    assert "empty in every row" in problems["empty"]


def test_mixed_types_become_features(result: CsvTrainingResult) -> None:
    assert set(result.features) == {"source", "budget", "created", "pre_approved", "page_views"}
    assert result.encoding.kinds == {
        "source": "category",
        "budget": "number",
        "created": "date",
        "pre_approved": "flag",
        "page_views": "number",
    }
    assert result.rows_without_target == ROWS - result.rows_used > 0


def test_cross_validated_metrics_are_honest(result: CsvTrainingResult) -> None:
    summary = result.cv_summary()
    assert len(result.folds) == 5
    # Real signal is found, and with the leaks gone the score is far from "perfect".
    assert 0.7 < summary["roc_auc"][0] < 0.9
    assert summary["roc_auc"][1] < 0.05
    assert all(m.n < result.rows_used for m in result.folds)  # every fold scores held-out rows only


def test_new_rows_are_encoded_like_the_training_rows(result: CsvTrainingResult) -> None:
    fresh = make_export(rows=200, seed=9)
    p = result.predict_probability(fresh)
    assert p.shape == (200,) and np.all((p > 0) & (p < 1))
    approved = fresh["pre_approved"] == "Yes"
    assert p[approved.to_numpy()].mean() > p[~approved.to_numpy()].mean()


def test_missing_target_column_names_the_columns(export: Path) -> None:
    with pytest.raises(TrainingDataError, match="column 'won': no such column; the file has lead_id, email"):
        train_from_csv(export, target="won")


def test_target_must_be_binary(tmp_path: Path) -> None:
    frame = make_export(rows=100)
    frame["converted"] = np.where(np.arange(100) % 3 == 0, "maybe", frame["converted"])
    path = tmp_path / "x.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(TrainingDataError, match=r"column 'converted': the target must be binary.*'maybe'"):
        train_from_csv(path, target="converted")


def test_strict_mode_raises_on_the_first_unusable_column(export: Path) -> None:
    with pytest.raises(
        TrainingDataError, match=r"column 'lead_id': is text with [\d,]+ distinct values"
    ) as caught:
        train_from_csv(export, target="converted", on_unusable="raise")
    assert caught.value.column == "lead_id"


def test_nothing_usable_left_is_an_error(tmp_path: Path) -> None:
    frame = make_export(rows=300)[["lead_id", "deal_outcome", "converted"]]
    path = tmp_path / "x.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(TrainingDataError, match="no usable feature column is left: 'lead_id' is text"):
        train_from_csv(path, target="converted")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="no such file"):
        train_from_csv(tmp_path / "missing.csv", target="converted")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(TrainingDataError, match="the file is empty"):
        train_from_csv(empty, target="converted")
    header_only = tmp_path / "header.csv"
    header_only.write_text("a,b,converted\n")
    with pytest.raises(TrainingDataError, match="has a header but no rows"):
        train_from_csv(header_only, target="converted")

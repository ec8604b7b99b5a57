"""Any CRM export as a feature table: typed columns, per-column problems, a target-leakage guard.

A CRM export mixes numbers ("$450,000"), dates, yes/no flags, categories, ids and free text, with
gaps. Each column becomes a number (numbers, dates as days, flags as 0/1, categories as codes) or
is set aside with a `ColumnIssue` saying why and what to do. The leakage guard then drops columns
named like the outcome and columns that predict the target (near-)perfectly on their own — e.g.
"close_date", filled in only for won deals — because a model built on them scores well offline
and is useless on live leads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from hub.errors import TrainingDataError

POSITIVE = frozenset({"1", "1.0", "true", "t", "yes", "y", "won", "converted", "closed won", "churned"})
NEGATIVE = frozenset({"0", "0.0", "false", "f", "no", "n", "lost", "not converted", "closed lost", "active"})
# Tokens of column names that describe an outcome known only after the fact.
OUTCOME_WORDS = frozenset(
    {
        "outcome",
        "result",
        "converted",
        "conversion",
        "won",
        "lost",
        "closed",
        "churn",
        "churned",
        "label",
        "target",
    }
)
MAX_CATEGORIES = 50
_DATE_PATTERN = r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}"
ColumnKind = Literal["number", "date", "flag", "category"]


@dataclass(frozen=True, slots=True)
class ColumnIssue:
    """Why a column is not a feature, and what to do about it."""

    column: str
    problem: str


@dataclass(frozen=True, slots=True)
class TableEncoding:
    """How each kept column was turned into a number, to encode new rows the same way."""

    kinds: dict[str, ColumnKind]
    categories: dict[str, list[str]] = field(default_factory=dict)

    def encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for column, kind in self.kinds.items():
            if column not in frame.columns:
                raise TrainingDataError("missing from the rows to encode", column=column)
            out[column] = _encode(frame[column], kind, self.categories.get(column))
        return pd.DataFrame(out, index=frame.index)


def _tokens(name: str) -> set[str]:
    return set(re.sub(r"[^a-z0-9]+", " ", name.lower()).split())


def _numbers(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip().str.replace(r"[$,%_\s]", "", regex=True)
    return pd.to_numeric(text.where(values.notna()), errors="coerce")


def _dates(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values.where(values.notna()), errors="coerce", utc=True, format="mixed")
    return (stamps - pd.Timestamp("1970-01-01", tz="UTC")) / pd.Timedelta(days=1)


def _flag(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip().str.lower()
    return pd.Series(
        np.where(text.isin(POSITIVE), 1.0, np.where(text.isin(NEGATIVE), 0.0, np.nan)), index=values.index
    )


def _encode(values: pd.Series, kind: ColumnKind, categories: list[str] | None) -> pd.Series:
    if kind == "number":
        return values.astype(float) if pd.api.types.is_numeric_dtype(values) else _numbers(values)
    if kind == "date":
        return _dates(values)
    if kind == "flag":
        return values.astype(float) if pd.api.types.is_bool_dtype(values) else _flag(values)
    lookup = {name: float(i) for i, name in enumerate(categories or [])}
    return values.map(lambda v: lookup.get(str(v), np.nan) if pd.notna(v) else np.nan).astype(float)


def _kind(values: pd.Series) -> tuple[ColumnKind | None, str]:
    """The kind a column can be read as, or None and the reason it cannot."""
    present = values.dropna()
    if present.empty:
        return None, "is empty in every row; drop it"
    if present.astype(str).nunique() == 1:
        return (
            None,
            f"has one value ({str(present.iloc[0])[:30]!r}) in every filled row; it cannot inform a model",
        )
    if pd.api.types.is_bool_dtype(values):
        return "flag", ""
    if pd.api.types.is_numeric_dtype(values):
        return "number", ""
    if _flag(present).notna().mean() >= 0.98:
        return "flag", ""
    if _numbers(present).notna().mean() >= 0.95:
        return "number", ""
    looks_like_dates = present.astype(str).str.contains(_DATE_PATTERN, regex=True).mean() >= 0.95
    if looks_like_dates and _dates(present).notna().mean() >= 0.95:
        return "date", ""
    distinct = present.astype(str).nunique()
    if distinct <= MAX_CATEGORIES and distinct <= 0.5 * len(present):
        return "category", ""
    return None, (
        f"is text with {distinct:,} distinct values in {len(present):,} filled rows (an id, a name or free "
        f"text); map it to at most {MAX_CATEGORIES} categories or drop it"
    )


def read_target(values: pd.Series, target: str) -> pd.Series:
    """The target as 1.0 / 0.0 (NaN where missing); a clear error when it is not binary."""
    present = values.dropna()
    if present.empty:
        raise TrainingDataError("the target is empty in every row", column=target)
    flags = values.astype(float) if pd.api.types.is_bool_dtype(values) else _flag(values)
    unreadable = present[flags[present.index].isna()]
    if len(unreadable):
        examples = ", ".join(repr(v) for v in unreadable.astype(str).unique()[:5])
        raise TrainingDataError(
            f"the target must be binary (1/0, yes/no, true/false, won/lost); cannot read {examples}",
            column=target,
        )
    if flags.dropna().nunique() < 2:
        raise TrainingDataError(
            "the target has only one class in every row; both outcomes are needed", column=target
        )
    return flags


def table_features(
    frame: pd.DataFrame, target: str, *, on_unusable: Literal["drop", "raise"] = "drop"
) -> tuple[pd.DataFrame, TableEncoding, list[ColumnIssue]]:
    """Every column but the target as numbers; unusable ones become issues (or raise)."""
    kinds: dict[str, ColumnKind] = {}
    categories: dict[str, list[str]] = {}
    issues: list[ColumnIssue] = []
    for column in frame.columns:
        if column == target:
            continue
        kind, problem = _kind(frame[column])
        if kind is None:
            if on_unusable == "raise":
                raise TrainingDataError(problem, column=str(column))
            issues.append(ColumnIssue(str(column), problem))
            continue
        kinds[str(column)] = kind
        if kind == "category":
            categories[str(column)] = sorted(frame[column].dropna().astype(str).unique())
    encoding = TableEncoding(kinds, categories)
    return encoding.encode(frame), encoding, issues


def single_column_auc(values: pd.Series, y: pd.Series, *, categorical: bool, seed: int = 0) -> float:
    """How well one column alone ranks the target: max(AUC, 1 − AUC) of the value, and of its
    missingness; categories are scored by out-of-fold target rates (no in-sample memorising)."""
    scores = [0.5]
    missing = values.isna().to_numpy(dtype=float)
    if 0 < missing.sum() < len(missing):
        scores.append(roc_auc_score(y, missing))
    present = values.notna().to_numpy()
    yp = y.to_numpy()[present]
    if present.sum() >= 20 and 0 < yp.sum() < len(yp):
        x = values.to_numpy(dtype=float)[present]
        if categorical:
            oof = np.full(len(x), yp.mean())
            folds = (
                StratifiedKFold(5, shuffle=True, random_state=seed)
                if min(yp.sum(), len(yp) - yp.sum()) >= 5
                else None
            )
            for fit, held in folds.split(x, yp) if folds else []:
                rates = pd.Series(yp[fit]).groupby(x[fit]).mean()
                oof[held] = pd.Series(x[held]).map(rates).fillna(yp[fit].mean()).to_numpy()
            x = oof
        scores.append(roc_auc_score(yp, x))
    return max(max(s, 1 - s) for s in scores)


def leakage_guard(
    X: pd.DataFrame, y: pd.Series, target: str, encoding: TableEncoding, *, max_auc: float = 0.98
) -> tuple[list[str], list[ColumnIssue]]:
    """(columns kept, columns dropped as leakage with the reason)."""
    target_tokens = _tokens(target) - {"is", "the", "a", "of", "id"}
    kept: list[str] = []
    dropped: list[ColumnIssue] = []
    for column in X.columns:
        tokens = _tokens(column)
        named = tokens & (OUTCOME_WORDS | target_tokens)
        if named:
            dropped.append(
                ColumnIssue(
                    column, f"is named like the outcome ({', '.join(sorted(named))}); known only after it"
                )
            )
            continue
        auc = single_column_auc(X[column], y, categorical=encoding.kinds[column] == "category")
        if auc >= max_auc:
            dropped.append(
                ColumnIssue(column, f"alone predicts the target with AUC {auc:.3f} — target leakage; drop it")
            )
            continue
        kept.append(column)
    return kept, dropped

"""A self-contained HTML model report: metrics, SHAP summary, calibration curve, lift chart.

    html = model_report(result, oracle=comparison)        # TrainingResult (+ optional OracleComparison)
    Path("report.html").write_text(html)

Plots are inline SVG (ml.charts) because matplotlib is not installed in the hub's environment;
the report needs no files next to it and renders in any browser or Prefect markdown artifact link.
"""

from __future__ import annotations

from html import escape

import numpy as np

from ml.charts import BLUE, bar_chart, line_chart, shap_summary
from ml.features import BY_NAME
from ml.metrics import Metrics, calibration_curve, lift_curve
from ml.training import OracleComparison, TrainingResult

_STYLE = (
    "body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#1a202c}"
    "table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #cbd5e0;padding:4px 10px;text-align:right}th{background:#edf2f7}"
    "td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:1em}"
)
_METRIC_NAMES = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "brier": "Brier score",
    "log_loss": "log loss",
    "ece": "expected calibration error",
    "lift_top_decile": "lift in the top decile",
    "base_rate": "positive rate",
    "positives": "positives",
    "n": "samples",
}


def metrics_table(columns: dict[str, Metrics]) -> str:
    """An HTML table: one row per metric, one column per scored thing (model, oracle, ...)."""
    head = "".join(f"<th>{escape(name)}</th>" for name in columns)
    rows = []
    for key, label in _METRIC_NAMES.items():
        cells = "".join(f"<td>{m.as_dict()[key]:.4g}</td>" for m in columns.values())
        rows.append(f"<tr><td>{label}</td>{cells}</tr>")
    return f"<table><tr><th>metric</th>{head}</tr>{''.join(rows)}</table>"


def model_report(
    result: TrainingResult, *, oracle: OracleComparison | None = None, top_features: int = 15
) -> str:
    """The report of one trained model on its test window."""
    test = result.test
    p, y = test["probability"].to_numpy(), test["label"].to_numpy()
    columns = {"model (test)": result.metrics, "model (validation)": result.valid_metrics}
    if oracle is not None:
        columns["oracle (same test samples)"] = oracle.oracle
    names = list(result.importance.index[:top_features])
    X = test[result.features]
    contributions = result.model.contributions(X)[:, :-1]
    index = np.array([result.features.index(name) for name in names], dtype=np.int64)
    sample = np.random.default_rng(0).permutation(len(test))[:400]
    predicted, observed, _ = calibration_curve(p, y)
    lift = lift_curve(p, y)
    importance_rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{result.importance[name]:.4f}</td>"
        f"<td style='text-align:left'>{escape(BY_NAME[name].meaning) if name in BY_NAME else ''}</td></tr>"
        for name in names
    )
    split = result.split
    ratio = (
        f"<p>Model AUC / oracle AUC = <b>{oracle.auc_ratio:.3f}</b> on {oracle.n:,} samples.</p>"
        if oracle
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(result.target)} model report</title>
<style>{_STYLE}</style></head><body>
<h1>{escape(result.target.title())} within {result.horizon_days} days</h1>
<p>Train cutoffs {split.train[0]:%Y-%m-%d} – {split.train[1]:%Y-%m-%d}, validation {split.valid[0]:%Y-%m-%d} –
{split.valid[1]:%Y-%m-%d}, test {split.test[0]:%Y-%m-%d} – {split.test[1]:%Y-%m-%d} (gaps of at least
{result.horizon_days} days). Samples: {", ".join(f"{k} {v:,}" for k, v in result.sample_counts.items())}.
Early stopping at {result.model.best_iteration_ + 1} trees; calibration: {escape(result.model.calibration)}.
Data hash {escape(result.data_hash[:23])}….</p>
<h2>Test metrics</h2>{metrics_table(columns)}{ratio}
<div class="charts">
{
        line_chart(
            "Calibration (test window)",
            "mean predicted probability",
            "observed rate",
            [("model", predicted.tolist(), observed.tolist(), BLUE)],
            diagonal=True,
        )
    }
{
        bar_chart(
            "Lift by score decile (test window)",
            "decile (1 = highest scores)",
            "positive rate / overall",
            [str(i + 1) for i in range(len(lift))],
            lift.tolist(),
        )
    }
</div>
<h2>SHAP summary (test window, exact TreeSHAP)</h2>
{
        shap_summary(
            "Top features: each dot a lead-day; red = high value, blue = low, grey = unknown",
            names,
            contributions[np.ix_(sample, index)],
            X.to_numpy(dtype=float)[np.ix_(sample, index)],
        )
    }
<table><tr><th>feature</th><th>mean |contribution|</th><th>meaning</th></tr>{importance_rows}</table>
</body></html>
"""

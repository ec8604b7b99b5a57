"""Prefect artifacts the flows publish: what a person sees in the UI's Artifacts tab."""

from __future__ import annotations

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event

from tasks.model_training import TrainingSummary, train_and_promote_task

_METRICS = ("roc_auc", "pr_auc", "brier", "ece", "lift_top_decile", "n", "positives")


def publish_training(summary: TrainingSummary) -> None:
    decision = summary.decision
    create_table_artifact(
        key=f"{summary.target}-model-metrics",
        table=[
            {"window": "test", **{k: round(summary.metrics[k], 4) for k in _METRICS}},
            {"window": "validation", **{k: round(summary.valid_metrics[k], 4) for k in _METRICS}},
        ],
        description=f"{summary.target} model {summary.version}: held-out, time-split metrics",
    )
    verdict = (
        "**promoted** (no champion yet)"
        if decision.promoted and decision.champion_version is None
        else f"**promoted** over {decision.champion_version}"
        if decision.promoted
        else f"kept champion {decision.champion_version}"
    )
    champion = f"{decision.champion_score:.4f}" if decision.champion_score is not None else "n/a"
    lines = [
        f"# {summary.target} model {summary.version}",
        f"- decision: {verdict} — {decision.metric} {decision.candidate_score:.4f} vs champion {champion} "
        f"on the same {decision.n_test} test samples",
        f"- samples: {summary.samples}",
        f"- split (cutoffs): {summary.split}",
        f"- report: `{summary.report}`",
        "",
        "| feature | mean abs SHAP |",
        "|---|---|",
        *(f"| {name} | {value:.4f} |" for name, value in summary.top_features),
    ]
    create_markdown_artifact(
        key=f"{summary.target}-model-summary",
        markdown="\n".join(lines),
        description=f"{summary.target} training run",
    )


def train_publish_announce(target: str, location_id: str | None) -> dict[str, object]:
    """The body both training flows share: train → artifacts → `hub.model.promoted` if promoted."""
    summary = train_and_promote_task(target, location_id)
    publish_training(summary)
    if summary.decision.promoted:
        # The `score-leads/after-promotion` deployment is triggered by this event (prefect.yaml).
        emit_event(
            event="hub.model.promoted",
            resource={"prefect.resource.id": f"hub.model.{target}"},
            payload={"target": target, "version": summary.version},
        )
    print(
        f"{target} model {summary.version}: test ROC-AUC {summary.metrics['roc_auc']:.3f}, "
        f"promoted={summary.decision.promoted}"
    )
    return {"version": summary.version, "promoted": summary.decision.promoted, "metrics": summary.metrics}

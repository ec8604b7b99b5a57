"""What the models say about a brokerage: tiers, the hottest and riskiest leads with reasons."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hub.store.models import Score


def _latest(conn: sa.Connection, kind: str) -> list[Score]:
    newest = sa.func.row_number().over(
        partition_by=(Score.location_id, Score.contact_id), order_by=(Score.scored_at.desc(), Score.id.desc())
    )
    ranked = sa.select(Score.id, newest.label("rank")).where(Score.kind == kind).subquery()
    ids = sa.select(ranked.c.id).where(ranked.c.rank == 1)
    with Session(conn) as session:
        return list(
            session.scalars(sa.select(Score).where(Score.id.in_(ids)).order_by(Score.probability.desc()))
        )


def _champions(registry_dir: Path) -> list[tuple[str, dict[str, float]]]:
    """(kind, test metrics) of each champion, read from the registry's documented layout
    (`<root>/<kind>/CHAMPION` names the version; `<root>/<kind>/<version>/metadata.json`)."""
    out: list[tuple[str, dict[str, float]]] = []
    for marker in sorted(registry_dir.glob("*/CHAMPION")):
        version = marker.read_text().strip()
        data = json.loads((marker.parent / version / "metadata.json").read_text())
        out.append((marker.parent.name, dict(data.get("metrics", {}).get("test", {}))))
    return out


def render_intelligence(engine: Engine, registry_dir: Path, console: Console) -> None:
    models = Table(title="Promoted models (metrics on the held-out, time-split test window)")
    for column in ("model", "ROC-AUC", "PR-AUC", "Brier", "ECE", "top-decile lift", "test samples"):
        models.add_column(column)
    for kind, m in _champions(registry_dir):
        models.add_row(
            kind,
            *(
                f"{m.get(k, float('nan')):.3f}"
                for k in ("roc_auc", "pr_auc", "brier", "ece", "lift_top_decile")
            ),
            f"{int(m.get('n', 0)):,}",
        )
    console.print(models)
    with engine.connect() as conn:
        conversion = _latest(conn, "conversion")
        churn = _latest(conn, "churn")
    for kind, scores in (("conversion", conversion), ("churn", churn)):
        tiers: dict[str, int] = {}
        for s in scores:
            tiers[s.tier] = tiers.get(s.tier, 0) + 1
        console.print(f"{kind} tiers: " + ", ".join(f"{t}: {n}" for t, n in sorted(tiers.items())))
    for title, scores in (("Hottest leads (conversion)", conversion[:5]), ("Going cold (churn)", churn[:5])):
        table = Table(title=title)
        for column in ("contact", "p", "tier", "why"):
            table.add_column(column)
        for s in scores:
            table.add_row(
                s.contact_id[:12],
                f"{s.probability:.2f}",
                s.tier,
                "; ".join(r.get("text", "") for r in s.reasons),
            )
        console.print(table)

"""Training, promotion, batch scoring and the churn scan as real Prefect flow runs on real data."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from prefect.client.orchestration import get_client
from sqlalchemy.orm import Session

from flows.build_features import build_features
from flows.churn_scan import churn_scan
from flows.score_leads import score_leads
from flows.train_churn_model import train_churn_model
from flows.train_lead_model import train_lead_model
from hub.brokerage_load import load_and_process
from hub.simulator import SimulationConfig, simulate
from hub.store.engine import session_factory
from hub.store.models import Activity, Score
from hub.tenancy import register_location
from ml.registry import ModelRegistry

pytestmark = pytest.mark.slow


async def _artifact_keys() -> set[str]:
    async with get_client() as client:
        return {a.key for a in await client.read_artifacts() if a.key}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_train_promote_score_and_scan(prefect_server: None, hub_env: Path, store_engine: sa.Engine) -> None:
    sim = simulate(SimulationConfig(leads=400, days=50, seed=5, locations=1))
    sessions = session_factory(store_engine)
    with sessions() as session, session.begin():
        for loc in sim.world.locations:
            register_location(session, loc.id, name=loc.name, timezone=loc.timezone)
    assert load_and_process(sessions, sim.deliveries) > 0

    first = train_lead_model()
    assert first["promoted"] is True  # no champion yet
    assert first["metrics"]["roc_auc"] > 0.7  # held-out, time-split test window
    again = train_lead_model()
    # Same data, same window: the challenger does not beat the champion by being identical.
    assert again["version"] != first["version"]
    churn = train_churn_model()
    assert churn["metrics"]["roc_auc"] > 0.6

    registry = ModelRegistry(hub_env / "models")
    assert registry.champion("conversion-7d") is not None
    assert list((hub_env / "reports").glob("*.html"))

    scored = score_leads()
    assert scored[0]["scored"] > 0 and scored[0]["top"]
    scan = churn_scan()
    top = scan[0]["top"][0]
    assert top["tier"] in {"critical", "high", "medium", "low"} and top["intervention"] and top["reasons"]

    with Session(store_engine) as session:
        kinds = set(session.scalars(sa.select(Score.kind).distinct()))
        tier_events = session.scalar(sa.select(sa.func.count()).where(Activity.kind == "tier_changed"))
    assert kinds == {"conversion", "churn"} and tier_events

    features = build_features(every_days=10)
    assert features["rows"] > 0 and Path(str(features["path"])).exists()

    keys = asyncio.run(_artifact_keys())
    assert {"conversion-model-metrics", "conversion-model-summary", "churn-riskiest-leads"} <= keys

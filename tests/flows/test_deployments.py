"""`prefect deploy --all` with our prefect.yaml against a real Prefect server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _prefect(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "HUB_CODE_DIR": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def _deployments() -> dict[str, object]:
    async with get_client() as client:
        deployments = await client.read_deployments()
        flows = {f.id: f.name for f in await client.read_flows()}
        return {f"{flows[d.flow_id]}/{d.name}": d for d in deployments}


async def _triggering_events() -> set[str]:
    async with get_client() as client:
        return {event for a in await client.read_automations() for event in getattr(a.trigger, "expect", ())}


def test_every_flow_deploys_with_its_schedule_or_trigger(prefect_server: None) -> None:
    pool = _prefect("work-pool", "create", "hub-local", "--type", "process", "--overwrite")
    assert pool.returncode == 0, pool.stdout + pool.stderr
    deployed = _prefect("deploy", "--all")
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    deployments = asyncio.run(_deployments())
    expected = {
        "build-features/nightly",
        "train-lead-model/nightly",
        "train-churn-model/nightly",
        "churn-scan/hourly",
        "score-leads/after-promotion",
        "match-listings/daily",
        "train-listing-ranker/weekly",
    }
    assert expected <= set(deployments)
    assert deployments["train-listing-ranker/weekly"].schedules  # type: ignore[attr-defined]
    assert deployments["churn-scan/hourly"].schedules  # type: ignore[attr-defined]
    assert deployments["train-lead-model/nightly"].description  # type: ignore[attr-defined]
    # Daily, and again after every listings import (the event `hub listings import` emits).
    assert deployments["match-listings/daily"].schedules  # type: ignore[attr-defined]
    assert "hub.listings.imported" in asyncio.run(_triggering_events())

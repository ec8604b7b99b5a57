"""The operator API's runs against a real Prefect server, a real process worker and the API over HTTP.

`build-features/nightly` is deployed from prefect.yaml onto a work pool of this module's own (so no
other test's runs are picked up), triggered through `POST /runs/...` with a location's key, executed by
`prefect worker start --run-once`, and followed through `GET /runs/{id}/stream` to its result.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pandas as pd
import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL

from hub.brokerage_load import load_and_process
from hub.cli.processes import api_process, start, stop
from hub.cli.stack import deploy, ensure_work_pool
from hub.simulator import SimulationConfig, simulate
from hub.store.engine import make_engine, migrate, session_factory
from hub.tenancy import register_location

pytestmark = pytest.mark.slow
POOL = "hub-runs-test"
DEPLOYMENT = "build-features/nightly"


def _events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """Parse SSE off the wire: one dict per event, `data` decoded from JSON."""
    current: dict[str, Any] = {}
    for line in response.iter_lines():
        if not line:
            if current:
                yield current
                current = {}
            continue
        field, _, value = line.partition(":")
        if field:  # a line starting with ":" is a keep-alive comment
            current[field] = json.loads(value) if field == "data" else value.strip()


@pytest.fixture(scope="module")
def setup(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("runs")
    url = f"sqlite:///{workdir / 'hub.db'}"
    migrate(url)
    sim = simulate(SimulationConfig(leads=20, days=12, seed=3, locations=1))
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session, session.begin():
        loc = sim.world.locations[0]
        a = register_location(session, loc.id, name=loc.name, timezone=loc.timezone)
        b = register_location(session, "LocB", name="B Realty")
    assert load_and_process(sessions, sim.deliveries) > 0
    engine.dispose()
    prefect_api = str(PREFECT_API_URL.value())
    env = {
        "PREFECT_API_URL": prefect_api,
        "HUB_DATABASE_URL": url,
        "HUB_ML_REPORTS_DIR": str(workdir / "reports"),
        "HUB_PROCESSING_ENABLED": "false",
        # The worker's flow runs write results here and the API reads them back.
        "PREFECT_LOCAL_STORAGE_PATH": str(workdir / "results"),
    }
    ensure_work_pool(prefect_api, POOL)
    deploy(env, workdir / "deploy.log", POOL, (DEPLOYMENT,))
    with api_process(env, workdir / "api.log") as api:
        yield {"api": api, "env": env, "workdir": workdir, "a": a, "b": b, "loc_a": loc.id}


def _post(setup: dict[str, Any], key: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        f"{setup['api']}/runs/{DEPLOYMENT}", json=body, headers={"x-hub-key": key, **headers}, timeout=30
    )


async def _delete_runs(ids: set[str]) -> None:
    async with get_client() as client:
        for run_id in ids:
            await client.delete_flow_run(UUID(run_id))


def test_a_key_starts_runs_only_for_its_own_location(setup: dict[str, Any]) -> None:
    a, loc_a = setup["a"], setup["loc_a"]
    assert httpx.post(f"{setup['api']}/runs/{DEPLOYMENT}", json={"location": loc_a}).status_code == 401
    assert _post(setup, a.api_key, {"location": "LocB"}).status_code == 403
    smuggled = _post(setup, a.api_key, {"location": loc_a, "parameters": {"location_id": "LocB"}})
    assert smuggled.status_code == 403
    missing = httpx.post(
        f"{setup['api']}/runs/no-such-flow/nightly",
        json={"location": loc_a},
        headers={"x-hub-key": a.api_key},
    )
    assert missing.status_code == 404 and "no-such-flow/nightly" in missing.json()["detail"]
    bad = _post(setup, a.api_key, {"location": loc_a, "parameters": {"every_days": "weekly"}})
    assert bad.status_code == 422, bad.text


def test_a_location_key_cannot_train_the_model_every_location_shares(setup: dict[str, Any]) -> None:
    for flow in ("train-lead-model", "train-churn-model"):
        refused = httpx.post(
            f"{setup['api']}/runs/{flow}/nightly",
            json={"location": setup["loc_a"]},
            headers={"x-hub-key": setup["a"].api_key},
            timeout=30,
        )
        assert refused.status_code == 403, refused.text
        assert f"hub run {flow}" in refused.json()["detail"]


def test_retries_get_the_same_run_and_keys_are_scoped_to_the_location(setup: dict[str, Any]) -> None:
    a, b, loc_a = setup["a"], setup["b"], setup["loc_a"]
    body = {"location": loc_a, "parameters": {"every_days": 3}}
    first = _post(setup, a.api_key, body)
    assert first.status_code == 202, first.text
    assert first.json()["state"] == "SCHEDULED"
    assert _post(setup, a.api_key, body).json()["run_id"] == first.json()["run_id"]  # derived from the body
    keyed = _post(setup, a.api_key, body, **{"Idempotency-Key": "op-42"})
    assert keyed.json()["run_id"] != first.json()["run_id"]
    assert (
        _post(setup, a.api_key, body, **{"Idempotency-Key": "op-42"}).json()["run_id"]
        == keyed.json()["run_id"]
    )
    # Location B sending the very same key gets a run of its own, never A's.
    other = _post(setup, b.api_key, {"location": "LocB"}, **{"Idempotency-Key": "op-42"})
    assert other.status_code == 202
    ids = {first.json()["run_id"], keyed.json()["run_id"], other.json()["run_id"]}
    assert len(ids) == 3

    async def parameters() -> dict[str, dict[str, Any]]:
        async with get_client() as client:
            return {i: (await client.read_flow_run(UUID(i))).parameters for i in ids}

    seen = asyncio.run(parameters())
    assert seen[first.json()["run_id"]] == {"every_days": 3, "location_id": loc_a}
    assert seen[other.json()["run_id"]]["location_id"] == "LocB"
    # B's key cannot follow A's run: it answers as if the run did not exist.
    foreign = httpx.get(
        f"{setup['api']}/runs/{first.json()['run_id']}/stream", headers={"x-hub-key": b.api_key}
    )
    assert foreign.status_code == 404
    asyncio.run(_delete_runs(ids))  # keep them away from the worker in the next test


def test_stream_follows_a_run_to_its_result_and_artifacts(setup: dict[str, Any]) -> None:
    a, loc_a, env = setup["a"], setup["loc_a"], setup["env"]
    created = _post(setup, a.api_key, {"location": loc_a, "parameters": {"every_days": 4}})
    assert created.status_code == 202, created.text
    stream_url = f"{setup['api']}{created.json()['stream']}"
    worker_env = {**env, "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true"}
    argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process"]
    worker = start([*argv, "--run-once"], worker_env, setup["workdir"] / "worker.log")
    try:
        with httpx.stream("GET", stream_url, params={"key": a.api_key}, timeout=120) as response:
            assert response.status_code == 200
            events = list(_events(response))  # the server closes the stream after `end`
    finally:
        stop(worker, grace_s=60)
    states = [e["data"]["type"] for e in events if e["event"] == "state"]
    assert states[0] == "SCHEDULED" and "RUNNING" in states and states[-1] == "COMPLETED", states
    end = events[-1]
    assert end["event"] == "end" and end["data"]["state"] == "COMPLETED", end
    result = end["data"]["result"]
    assert end["data"]["result_unavailable"] is None
    # The result is the run's own: the Parquet file it names holds exactly the rows it reports.
    assert result["rows"] == len(pd.read_parquet(result["path"])) > 0
    assert loc_a in Path(result["path"]).name
    assert "feature-table" in {artifact["key"] for artifact in end["data"]["artifacts"]}

    # A reconnect with Last-Event-ID gets only what came after it, then the end again.
    first_id = events[0]["id"]
    with httpx.stream(
        "GET", stream_url, headers={"x-hub-key": a.api_key, "last-event-id": first_id}, timeout=60
    ) as response:
        resumed = list(_events(response))
    assert [e["id"] for e in resumed if e["event"] == "state"] == [
        e["id"] for e in events if e["event"] == "state"
    ][1:]
    assert resumed[-1]["event"] == "end"

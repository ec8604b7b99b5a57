"""kill -9 the API in the middle of a burst: every delivery answered 2xx is in the store exactly once,
and after a restart and a replay of everything, each is processed exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.cli.processes import api_argv, free_port, wait_healthy
from hub.events.processor import process_pending
from hub.simulator import SimulationConfig, simulate
from hub.simulator.signing import TEST_PUBLIC_KEY_PEM
from hub.store.engine import session_factory
from hub.store.models import Event

pytestmark = pytest.mark.slow


def _start(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HUB_DATABASE_URL": db_url,
        "HUB_WEBHOOK_ED25519_PUBLIC_KEY": TEST_PUBLIC_KEY_PEM,
        "HUB_PROCESSING_ENABLED": "false",
    }
    process = subprocess.Popen(api_argv(port), env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_healthy(f"http://127.0.0.1:{port}/healthz", process, log)
    return process


def test_acknowledged_deliveries_survive_kill_9(db_url: str, store_engine: sa.Engine, tmp_path: Path) -> None:
    sim = simulate(SimulationConfig(leads=60, days=20, seed=21, locations=1))
    deliveries = [d for d in sim.deliveries if d.route == "ghl"][:1500]
    port = free_port()
    log = tmp_path / "api.log"
    api = _start(db_url, port, log)
    acknowledged: list[bytes] = []
    lock = threading.Lock()

    def send(chunk: list) -> None:  # type: ignore[type-arg]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for d in chunk:
                try:
                    response = client.post("/webhooks/ghl", content=d.body, headers=d.headers)
                except httpx.TransportError:
                    return  # the server is gone: this delivery was never acknowledged
                if response.status_code == 200:
                    with lock:
                        acknowledged.append(d.body)

    threads = [threading.Thread(target=send, args=(deliveries[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    while len(acknowledged) < 300:
        time.sleep(0.01)
    api.send_signal(signal.SIGKILL)  # no shutdown hook, no flush: a power cut for the process
    api.wait()
    for t in threads:
        t.join()
    assert 300 <= len(acknowledged) < len(deliveries), "the kill must land mid-burst"

    keys = {json.loads(b)["webhookId"] for b in acknowledged}
    with Session(store_engine) as session:
        stored = session.execute(
            sa.select(Event.delivery_key, sa.func.count()).group_by(Event.delivery_key)
        ).all()
    counts = dict(stored)
    assert keys <= set(counts), "an acknowledged delivery was lost"
    assert max(counts.values()) == 1

    # GHL would retry what was not acknowledged; we replay everything, acknowledged ones included.
    api = _start(db_url, port, log)
    try:
        send(deliveries)
    finally:
        api.send_signal(signal.SIGTERM)
        api.wait(timeout=20)
    sessions = session_factory(store_engine)
    while True:
        with sessions() as session, session.begin():
            if process_pending(session, sim.world.locations[0].id).processed == 0:
                break
    unique = {json.loads(d.body)["webhookId"] for d in deliveries}
    with Session(store_engine) as session:
        rows = session.execute(sa.select(Event.delivery_key, Event.processed_at)).all()
    assert sorted(k for k, _ in rows) == sorted(unique)  # each exactly once
    assert all(processed is not None for _, processed in rows)

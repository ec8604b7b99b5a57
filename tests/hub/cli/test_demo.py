"""The README's first command as a newcomer runs it: the report, then the dashboard and the Prefect
UI with the demo's runs and artifacts, then Ctrl-C leaves nothing behind. A small brokerage keeps
it to a few minutes; the full-size demo is timed by hand (see the closing notes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hub.cli.processes import free_port
from tests.hub.cli.test_up import ROOT, _stack_processes, _wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]
FLOWS = {
    "train-lead-model",
    "train-churn-model",
    "score-leads",
    "churn-scan",
    "train-listing-ranker",
    "match-listings",
}


def test_demo_reports_then_keeps_dashboard_and_prefect_ui_up_until_ctrl_c(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    api_port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "PREFECT_"))}
    argv = [sys.executable, "-m", "hub.cli", "demo", "--leads", "100", "--days", "45", "--explore"]
    argv += ["--workdir", str(workdir), "--api-port", str(api_port), "--prefect-port", str(prefect_port)]
    out = tmp_path / "demo.out"
    with out.open("wb") as sink:
        demo = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    running = []
    try:
        printed = _wait_for(out, "Press Ctrl-C to stop it", demo, timeout_s=1080)
        for section in ("Listing matches", "Workflow sends", "Explore"):
            assert section in printed, printed
        running = _stack_processes(workdir)
        api, prefect = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{prefect_port}/api"

        # The dashboard signs in with the printed link's key and shows the store's numbers.
        keys = json.loads((workdir / "credentials.json").read_text())
        assert (workdir / "credentials.json").stat().st_mode & 0o077 == 0
        location, key = next((loc, c["api_key"]) for loc, c in keys.items())
        assert f"{api}/dashboard#key={key}" in printed
        assert httpx.get(f"{api}/dashboard").status_code == 200
        overview = httpx.get(
            f"{api}/dashboard/api/overview",
            params={"location": location},
            headers={"X-Hub-Key": key},
            timeout=30,
        )
        assert overview.status_code == 200, overview.text
        assert overview.json()["funnel"]["stages"][0]["leads"] > 0, overview.json()

        # The Prefect UI's API holds the demo's flow runs, completed, with their artifacts.
        runs = httpx.post(f"{prefect}/flow_runs/filter", json={"limit": 50}, timeout=30).json()
        flows = {f["id"]: f["name"] for f in httpx.post(f"{prefect}/flows/filter", json={}).json()}
        completed = {flows[r["flow_id"]] for r in runs if r["state_type"] == "COMPLETED"}
        assert FLOWS | {"dispatch-workflow-steps"} <= completed, completed
        artifacts = httpx.post(f"{prefect}/artifacts/filter", json={"limit": 100}, timeout=30).json()
        assert {"dispatch-outcomes", "listing-matches", "listing-ranker-summary"} <= {
            a["key"] for a in artifacts
        }
    finally:
        demo.send_signal(signal.SIGINT)
        code = demo.wait(timeout=120)
    output = out.read_text(errors="replace")
    assert code == 0, output
    left = [p for p in running + _stack_processes(workdir) if p.is_running()]
    assert left == [], [p.cmdline() for p in left]
    assert location in output

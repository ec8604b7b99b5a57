"""`hub up` as a user runs it: a real subprocess, healthy children, Ctrl-C, nothing left behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from hub.cli.processes import free_port

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def _stack_processes(workdir: Path) -> list[psutil.Process]:
    """Every process of this user whose environment says it belongs to this stack (PREFECT_HOME):
    children, grandchildren and flow runs alike, even once re-parented."""
    home = str((workdir / "prefect").resolve())
    found = []
    for process in psutil.process_iter():
        try:
            if process.uids().real == os.getuid() and process.environ().get("PREFECT_HOME") == home:
                found.append(process)
        except psutil.Error:
            continue
    return found


def _wait_for(path: Path, text: str, process: subprocess.Popen[bytes], timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        output = path.read_text(errors="replace")
        if text in output:
            return output
        assert process.poll() is None, f"hub up exited early ({process.returncode}):\n{output}"
        time.sleep(0.5)
    raise AssertionError(f"{text!r} not printed within {timeout_s} s:\n{path.read_text(errors='replace')}")


def test_up_starts_every_child_healthy_and_ctrl_c_leaves_nothing(tmp_path: Path) -> None:
    workdir = tmp_path / "var"
    api_port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "PREFECT_"))}
    env["HUB_DATABASE_URL"] = f"sqlite:///{tmp_path / 'hub.db'}"
    argv = [sys.executable, "-m", "hub.cli", "up", "--workdir", str(workdir)]
    argv += ["--api-port", str(api_port), "--prefect-port", str(prefect_port)]
    out = tmp_path / "up.out"
    with out.open("wb") as sink:
        up = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        printed = _wait_for(out, "Ctrl-C stops everything", up, timeout_s=280)
        assert httpx.get(f"http://127.0.0.1:{api_port}/healthz").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{prefect_port}/api/health").status_code == 200
        for line in (f"http://127.0.0.1:{api_port}/docs", f"http://127.0.0.1:{prefect_port}", "/dashboard"):
            assert line in printed
        children = ("prefect-server", "task-worker-1", "flow-worker-1", "api")
        assert all((workdir / "logs" / f"{name}.log").exists() for name in children)
        running = _stack_processes(workdir)
        # server, task worker, flow worker, API (and possibly a scheduled flow run in progress)
        assert len(running) >= 4, [p.cmdline() for p in running]
    finally:
        up.send_signal(signal.SIGINT)
        code = up.wait(timeout=120)
    output = out.read_text(errors="replace")
    assert code == 0, output
    assert "stopped." in output
    left = [p for p in running + _stack_processes(workdir) if p.is_running()]
    assert left == [], [p.cmdline() for p in left]

    # Shutting down paused nothing: every deployment and schedule is still active for the next start.
    with sqlite3.connect(workdir / "prefect" / "prefect.db") as db:
        deployments = db.execute("SELECT count(*), sum(paused) FROM deployment").fetchone()
        schedules = db.execute("SELECT count(*), sum(active) FROM deployment_schedule").fetchone()
    assert deployments[0] >= 6 and deployments[1] == 0
    assert schedules[0] >= 5 and schedules[1] == schedules[0]

"""Stopping a child stops its whole tree: its group, and descendants that started sessions of their own."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil

from hub.cli.processes import start, stop

# A parent that starts a grandchild in a session of its own (as Prefect's process worker starts each
# flow run), prints the grandchild's pid, then waits; optionally deaf to SIGTERM.
PARENT = """
import signal, subprocess, sys, time
if sys.argv[1] == "deaf":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
print(child.pid, flush=True)
time.sleep(600)
"""


def _grandchild_pid(log: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = log.read_text().strip()
        if text:
            return int(text)
        time.sleep(0.05)
    raise AssertionError("the parent never reported its child")


def test_stop_takes_down_grandchildren_in_their_own_session(tmp_path: Path) -> None:
    parent = start([sys.executable, "-c", PARENT, "polite"], {}, tmp_path / "out.log")
    grandchild = psutil.Process(_grandchild_pid(tmp_path / "out.log"))
    assert grandchild.is_running()
    stop(parent, grace_s=5)
    assert parent.returncode is not None
    assert not grandchild.is_running() or grandchild.status() == psutil.STATUS_ZOMBIE


def test_a_child_deaf_to_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    parent = start([sys.executable, "-c", PARENT, "deaf"], {}, tmp_path / "out.log")
    grandchild = psutil.Process(_grandchild_pid(tmp_path / "out.log"))
    started = time.monotonic()
    stop(parent, grace_s=1)
    assert parent.returncode == -9  # SIGKILL: it ignored SIGTERM
    assert time.monotonic() - started < 10
    assert not grandchild.is_running() or grandchild.status() == psutil.STATUS_ZOMBIE

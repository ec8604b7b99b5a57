"""`hub task-worker` loads Prefect's collections before it serves its first task run."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

PROBE = """
import sys
from importlib.metadata import entry_points
modules = [ep.value.split(":")[0] for ep in entry_points(group="prefect.collections")]
import hub.cli.task_worker as task_worker
before = [m for m in modules if m in sys.modules]
task_worker.warm_up()
after = sorted(m for m in modules if m in sys.modules)
print(before, after)
"""


def test_warm_up_imports_every_prefect_collection_before_the_first_run() -> None:
    collections = sorted(ep.value.split(":")[0] for ep in entry_points(group="prefect.collections"))
    if not collections:
        pytest.skip("no Prefect collection installed: nothing for a first task run to import")
    # A fresh interpreter, like a starting worker: the collections are not imported until warm_up.
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == f"[] {collections}"

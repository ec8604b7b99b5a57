"""Scale-out, proven small (scripts/scale_out.py): PostgreSQL + Redis, two task workers, two process
workers and a Dask task runner compute exactly what the embedded default computes for the same seed."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest
from rich.console import Console

from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scale_out", ROOT / "scripts" / "scale_out.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(900)  # a whole production-shaped stack on a 2-core host: minutes, not seconds
def test_the_scaled_stack_computes_what_the_embedded_default_computes(tmp_path: Path, redis_url: str) -> None:
    out = io.StringIO()
    comparison = _script().run_scale_out(
        # The smallest brokerage whose history still trains a model (both labels in every window).
        leads=140,
        days=40,
        seed=7,
        workdir=tmp_path / "scale-out",
        pg_admin_url=PG_ADMIN_URL,
        redis_url=redis_url,
        console=Console(file=out, width=160),
    )
    report = out.getvalue()
    assert comparison.same, report
    compared = {row[0].split(" ")[0] for row in comparison.rows}
    assert {"lead", "pipeline", "events", "latest", "feature"} <= compared
    assert len(comparison.embedded.scores) >= 100  # every lead of both locations has a score
    assert comparison.embedded.events > 4000
    # Four deployment runs (2 flows x 2 locations) were executed by the two process workers.
    assert sum(comparison.flow_runs.values()) == 4, comparison.flow_runs

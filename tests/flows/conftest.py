"""Flows run against a real Prefect server (the test harness starts one in a subprocess)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from hub.settings import get_settings
from tasks.resources import store_sessions


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    # Fresh-DB migrations can take > 30 s on a loaded CI box (prefect-notes.md §6).
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def hub_env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> Iterator[Path]:
    """Point the cached settings and store at this test's store and folders."""
    monkeypatch.setenv("HUB_DATABASE_URL", db_url)
    monkeypatch.setenv("HUB_ML_REGISTRY_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("HUB_ML_REPORTS_DIR", str(tmp_path / "reports"))
    get_settings.cache_clear()
    store_sessions.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    store_sessions.cache_clear()

"""Bad settings and unreachable servers stop the CLI with one line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run_hub(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert result.stderr.rstrip().endswith(lines[0]), "the error must be the last thing printed"
    return lines[0]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root@localhost/hub", "unsupported scheme 'mysql'"),
        ("postgresql+psycopg://hub:s3cr3tpw@127.0.0.1:1/hub", "HUB_DATABASE_URL"),
    ],
)
def test_bad_database_url_is_one_line_naming_the_setting(url: str, expected: str) -> None:
    line = _one_error_line(run_hub("db", "migrate", HUB_DATABASE_URL=url))
    assert "HUB_DATABASE_URL" in line and expected in line
    assert "s3cr3tpw" not in line


def test_unreachable_redis_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    line = _one_error_line(
        run_hub(
            "check", HUB_DATABASE_URL=f"sqlite:///{tmp_path}/hub.db", HUB_REDIS_URL="redis://127.0.0.1:1/0"
        )
    )
    assert "HUB_REDIS_URL" in line and "did not answer" in line


def test_check_passes_with_reachable_services(tmp_path: Path, redis_url: str) -> None:
    result = run_hub("check", HUB_DATABASE_URL=f"sqlite:///{tmp_path}/hub.db", HUB_REDIS_URL=redis_url)
    assert result.returncode == 0, result.stderr
    assert "redis answers" in result.stderr

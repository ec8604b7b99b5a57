"""Child processes the CLI starts (API, stand-in): started, health-checked, stopped by their pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from hub.errors import HubError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise HubError(f"the process serving {url} exited with code {process.returncode}:\n{tail}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise HubError(f"{url} did not become healthy within {timeout_s:.0f} s; see {log}")


def stop(process: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after the grace period: children are stopped by their own pid."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def managed_process(
    argv: list[str], env: Mapping[str, str], log: Path, health_url: str | None = None, timeout_s: float = 90.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `argv` with its output in `log`, wait until `health_url` answers 200, stop it on exit."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        try:
            if health_url:
                wait_healthy(health_url, process, log, timeout_s)
            yield process
        finally:
            stop(process)


def api_argv(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def prefect_server_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]


def task_worker_argv() -> list[str]:
    return [sys.executable, "-m", "hub.cli", "task-worker"]


@contextmanager
def api_process(env: Mapping[str, str], log: Path, port: int | None = None) -> Iterator[str]:
    """Run the API in its own process (`uvicorn api.app:create_app`); yield its base URL."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    with managed_process(api_argv(port), env, log, f"{base_url}/healthz"):
        yield base_url

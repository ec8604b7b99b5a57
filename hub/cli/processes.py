"""Child processes the CLI starts (server, workers, API, stand-in): started, health-checked, stopped.

Every child runs in its own session (process group), so a Ctrl-C in the terminal reaches only the
supervisor, which then stops the children in reverse start order. Stopping signals the whole group
and afterwards kills whatever is left of the child's tree — including processes that left the
group (Prefect starts each flow run in a session of its own), so nothing outlives the stack.
"""

from __future__ import annotations

import contextlib
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
import psutil

from hub.errors import HubError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stop_on_signals() -> None:
    """Make SIGTERM (systemd, docker stop, kill) and SIGINT raise KeyboardInterrupt in the main thread,
    so a supervisor's `finally` stops its children instead of the process dying around them.

    A shell starts background jobs with SIGINT ignored and children inherit that, so SIGINT is
    restored explicitly, or neither Ctrl-C nor Prefect's SIGTERM→SIGINT would stop anything.
    """

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def ignore_stop_signals() -> None:
    """While children are being stopped: a second Ctrl-C must not cut the shutdown short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def port_or_free(preferred: int) -> int:
    """`preferred` if nothing listens on it on loopback, else a free port."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            return free_port()
    return preferred


def log_tail(log: Path, chars: int = 2000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HubError(
                f"the process serving {url} exited with code {process.returncode}; {log}:\n{log_tail(log)}"
            )
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise HubError(f"{url} did not become healthy within {timeout_s:.0f} s; see {log}")


def start(argv: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `argv` in a session of its own, stdout and stderr written to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            argv,
            # Unbuffered: a log is read while the child runs (and a flow run's lines reach its worker's log).
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _tree(pid: int) -> list[psutil.Process]:
    """The process's descendants and the other members of its group, as of now."""
    try:
        found = {p.pid: p for p in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        found = {}
    for candidate in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if candidate.pid != pid and os.getpgid(candidate.pid) == pid:
                found.setdefault(candidate.pid, candidate)
    return list(found.values())


def stop(process: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """SIGTERM the child's group, SIGKILL it after the grace period, then kill any leftover of its tree.

    The child was started by `start` (its pid is its group id), so only its own processes are signalled.
    """
    if process.poll() is None:
        # Snapshot first: once the child exits, its own-session grandchildren are re-parented and
        # could no longer be found from it.
        leftovers = _tree(process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    else:
        leftovers = _tree(process.pid)
    _kill_all(leftovers, grace_s)


def _kill_all(processes: list[psutil.Process], grace_s: float) -> None:
    # psutil.Process checks the creation time, so a recycled pid is never signalled.
    alive = [p for p in processes if p.is_running()]
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, still = psutil.wait_procs(alive, timeout=grace_s)
    for p in still:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(still, timeout=grace_s)


@contextmanager
def managed_process(
    argv: list[str], env: Mapping[str, str], log: Path, health_url: str | None = None, timeout_s: float = 90.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `argv` with its output in `log`, wait until `health_url` answers 200, stop it on exit."""
    process = start(argv, env, log)
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


def task_worker_argv(status_port: int | None = None) -> list[str]:
    status = ["--status-port", str(status_port)] if status_port else []
    return [sys.executable, "-m", "hub.cli", "task-worker", *status]


def flow_worker_argv(pool: str, limit: int, name: str) -> list[str]:
    """A Prefect process worker: each flow run in its own subprocess, at most `limit` at a time."""
    return [
        sys.executable,
        "-m",
        "prefect",
        "worker",
        "start",
        "--pool",
        pool,
        "--type",
        "process",
        "--name",
        name,
        "--limit",
        str(limit),
        "--with-healthcheck",
    ]


@contextmanager
def api_process(env: Mapping[str, str], log: Path, port: int | None = None) -> Iterator[str]:
    """Run the API in its own process (`uvicorn api.app:create_app`); yield its base URL."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    with managed_process(api_argv(port), env, log, f"{base_url}/healthz"):
        yield base_url

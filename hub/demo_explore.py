"""After the demo's report: keep the stack up so the dashboard and the Prefect UI can be explored.

The demo's locations get fresh API keys; they are written to `credentials.json` in the demo's
folder (readable by this user only) and the dashboard links carry a key in the URL fragment, which
browsers never send to the server (docs/dashboard.md).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console

from hub.cli.stack import StackUrls
from hub.tenancy import LocationCredentials

WATCH_INTERVAL_S = 1.0


def save_credentials(path: Path, credentials: Mapping[str, LocationCredentials]) -> None:
    """Write each location's API key and workflow secret to `path`, mode 0600."""
    document = {
        location_id: {"api_key": c.api_key, "workflow_secret": c.workflow_secret}
        for location_id, c in credentials.items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)


def explore_lines(
    urls: StackUrls, standin_url: str, credentials: Mapping[str, LocationCredentials], workdir: Path
) -> list[str]:
    """Where to look, one URL a line (never wrapped, so a terminal keeps them clickable)."""
    lines = ["[bold]Dashboard[/bold], one per location (the key in the link signs you in):"]
    lines += [
        f"  {location_id}  {urls.api}/dashboard#key={c.api_key}" for location_id, c in credentials.items()
    ]
    lines += [
        f"[bold]Prefect UI[/bold]   {urls.prefect_ui}/runs  (the demo's flow runs, logs and artifacts)",
        f"[bold]API docs[/bold]     {urls.api}/docs",
        f"[bold]Metrics[/bold]      {urls.api}/metrics",
        f"[bold]GHL stand-in[/bold] {standin_url}/_standin/requests  (what GHL received)",
        f"API keys in {workdir / 'credentials.json'}; logs in {urls.logs}/",
        "The stack keeps running: webhooks sent to the API show up live in the dashboard.",
        "[bold]Press Ctrl-C to stop it[/bold] (every process is stopped).",
    ]
    return lines


def wait_while_exploring(
    urls: StackUrls,
    standin_url: str,
    credentials: Mapping[str, LocationCredentials],
    workdir: Path,
    console: Console,
) -> None:
    """Print where to look, then wait for Ctrl-C (or a crashed child, which is reported)."""
    console.rule("Explore")
    for line in explore_lines(urls, standin_url, credentials, workdir):
        console.print(line, soft_wrap=True, highlight=False)
    try:
        while True:
            crashed = [name for name, child in urls.children.items() if child.poll() is not None]
            for name in crashed:
                code = urls.children[name].returncode
                console.print(f"[red]{name} stopped (exit {code}); see {urls.logs / name}.log[/red]")
            if crashed:
                return
            time.sleep(WATCH_INTERVAL_S)
    except KeyboardInterrupt:
        console.print("Stopping the stack…")

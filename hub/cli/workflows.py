"""`hub workflows ...`: validate, publish, simulate (dry run), dead letters and their review.

Imports are lazy, as everywhere in the CLI, so `hub --help` stays instant.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from hub.workflows.timeline import Timeline

app = typer.Typer(help="YAML workflows: validate, publish, dry-run, dead letters.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)

KIND_STYLE = {
    "sent": "green",
    "deferred": "yellow",
    "skipped": "magenta",
    "failed": "bold red",
    "uncertain": "red",
    "exited": "cyan",
    "on_hold": "cyan",
    "completed": "bold green",
    "event": "blue",
    "waiting": "dim",
}


@app.command("validate")
def validate(
    folder: Annotated[Path, typer.Argument(help="Folder of *.yaml workflows.")] = Path("workflow_templates"),
) -> None:
    """Check every workflow file; each problem names the file, line and field."""
    from hub.workflows.loader import validate_folder

    problems = validate_folder(folder)
    for problem in problems:
        err.print(str(problem), soft_wrap=True, highlight=False)
    if any(getattr(p, "severity", "error") == "error" for p in problems):
        raise typer.Exit(1)
    err.print(f"[green]✓[/green] {folder}: every workflow is valid")


@app.command("publish")
def publish(
    folder: Annotated[Path, typer.Argument(help="Folder of *.yaml workflows.")] = Path("workflow_templates"),
) -> None:
    """Publish the folder's workflows into the store (a changed file becomes a new version)."""
    from datetime import UTC

    from sqlalchemy.orm import Session

    from hub.settings import get_settings
    from hub.store.engine import check_connection, make_engine
    from hub.workflows.enrollment import publish_workflow
    from hub.workflows.loader import load_workflow

    engine = make_engine(get_settings().database.url)
    check_connection(engine)
    with Session(engine) as session, session.begin():
        for path in sorted(folder.glob("*.yaml")):
            row = publish_workflow(session, load_workflow(path), now=datetime.now(UTC))
            err.print(f"[green]✓[/green] {row.id} v{row.version}")


def _text_or_file(value: str, what: str) -> tuple[str, str]:
    """(text, name for messages): `value` is a path to a file, or the JSON itself."""
    path = Path(value)
    if not value.lstrip().startswith(("{", "[")) and path.is_file():
        return path.read_text(), str(path)
    if not value.lstrip().startswith(("{", "[")) and value.strip():
        raise typer.BadParameter(f"{value!r} is neither a file nor JSON", param_hint=what)
    return value, what


def _json_arg(value: str, option: str) -> Any:
    text, name = _text_or_file(value, option)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"{name}: not valid JSON ({exc.msg})", param_hint=option) from None


@app.command("simulate")
def simulate(
    file: Annotated[Path, typer.Argument(help="The workflow YAML file.", exists=True, dir_okay=False)],
    contact: Annotated[str, typer.Option(help="The lead: a JSON object, or a file holding one.")],
    events: Annotated[
        str | None, typer.Option(help="What happens to the lead: JSON Lines (or a JSON array), or a file.")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="When the lead enters, ISO 8601 (no offset: in --tz). Default: now.")
    ] = None,
    tz: Annotated[
        str | None, typer.Option(help="Zone of times without an offset, and of the output (default: lead's).")
    ] = None,
    location: Annotated[
        str | None, typer.Option(help="The location: JSON object or file (name, timezone, compliance, ...).")
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=3650, help="How far to follow the lead.")] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
) -> None:
    """Dry run: print the timeline a lead would follow (sends, deferrals and why), sending nothing."""
    from datetime import UTC, timedelta

    from hub.workflows.loader import load_workflow
    from hub.workflows.simulate import simulate as run_simulation
    from hub.workflows.simulate_inputs import SimulationInputError, parse_events

    loaded = load_workflow(file)
    lead = _json_arg(contact, "--contact")
    place = _json_arg(location, "--location") if location is not None else None
    try:
        begin = datetime.fromisoformat(start) if start else datetime.now(UTC)
    except ValueError:
        raise typer.BadParameter(f"{start!r} is not an ISO 8601 time", param_hint="--start") from None
    try:
        happenings = parse_events(*_text_or_file(events, "--events")) if events else []
        timeline = run_simulation(
            loaded, lead, happenings, start=begin, tz=tz, location=place, horizon=timedelta(days=days)
        )
    except SimulationInputError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(timeline.to_dict(), indent=2))
        return
    render_timeline(Console(soft_wrap=False), timeline)


def render_timeline(console: Console, timeline: Timeline) -> None:
    """The timeline as a table: local time, what happened, the step, the channel, why."""
    zones = ", ".join(timeline.lead_zones)
    console.print(
        f"[bold]{timeline.workflow_id}[/bold] for {timeline.contact_id} — quiet hours in {zones} "
        f"({timeline.lead_zone_basis}); times in {timeline.zone}; [bold]dry run: nothing was sent[/bold]"
    )
    table = Table(show_lines=False, expand=True)
    table.add_column("when", no_wrap=True)
    table.add_column("what", no_wrap=True)
    table.add_column("step", no_wrap=True)
    table.add_column("details / why", overflow="fold")
    for entry in timeline.entries:
        style = KIND_STYLE.get(entry.kind, "")
        details = entry.summary
        if entry.content:
            content = entry.content
            text = content.get("subject") or content.get("title") or content.get("body")
            details += f'\n[dim]"{text}"[/dim]'
        table.add_row(
            timeline.local(entry.at).strftime("%a %b %d %H:%M"),
            f"[{style}]{entry.kind}[/{style}]" if style else entry.kind,
            entry.step_id or "",
            details,
        )
    console.print(table)
    why = f" — {timeline.exit_reason}" if timeline.exit_reason else ""
    console.print(f"end: [bold]{timeline.status}[/bold]{why}")
    for note in timeline.notes:
        console.print(f"[dim]note: {note}[/dim]")


@app.command("dead-letters")
def dead_letters(
    location: Annotated[str | None, typer.Option(help="Only this location.")] = None,
    days: Annotated[int, typer.Option(min=1, help="Only items from the last N days.")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Sends of unknown outcome and failed enrollments: what a person must look at, with the reason."""
    from datetime import UTC, timedelta

    from sqlalchemy.orm import Session

    from hub.sending.dead_letters import dead_letters as list_dead_letters
    from hub.settings import get_settings
    from hub.store.engine import check_connection, make_engine

    engine = make_engine(get_settings().database.url)
    check_connection(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        items = list_dead_letters(session, now=now, location_id=location, since=now - timedelta(days=days))
    if as_json:
        rows = [{**asdict(item), "since": item.since.isoformat()} for item in items]
        print(json.dumps(rows, indent=2))
        return
    if not items:
        err.print(f"[green]✓[/green] no dead letters in the last {days} days")
        return
    table = Table(expand=True)
    for column in ("kind", "id", "location", "contact", "workflow / step", "since (UTC)", "state", "reason"):
        table.add_column(column, overflow="fold")
    for item in items:
        channel = f" ({item.channel})" if item.channel else ""
        table.add_row(
            item.kind,
            str(item.id),
            item.location_id,
            item.contact_id,
            f"{item.workflow_id or ''} / {item.step_id or ''}{channel}",
            item.since.strftime("%Y-%m-%d %H:%M"),
            item.state,
            item.reason,
        )
    Console().print(table)
    err.print("settle an uncertain send with: hub workflows review-send ID --sent|--not-sent --by NAME")


@app.command("review-send")
def review_send(
    ledger_id: Annotated[int, typer.Argument(help="The uncertain send's id (from dead-letters).")],
    sent: Annotated[bool, typer.Option("--sent/--not-sent", help="What the GHL conversation shows.")],
    by: Annotated[str, typer.Option(help="Who checked.")],
    note: Annotated[str | None, typer.Option(help="What you saw.")] = None,
) -> None:
    """Record a person's finding about a send of unknown outcome (it is never re-sent either way)."""
    from datetime import UTC

    from sqlalchemy.orm import Session

    from hub.sending.dead_letters import review_send as record_review
    from hub.settings import get_settings
    from hub.store.engine import check_connection, make_engine

    engine = make_engine(get_settings().database.url)
    check_connection(engine)
    with Session(engine) as session, session.begin():
        entry = record_review(session, ledger_id, sent=sent, by=by, now=datetime.now(UTC), note=note)
        err.print(f"[green]✓[/green] send {entry.id} is now {entry.status}: {entry.reason}")

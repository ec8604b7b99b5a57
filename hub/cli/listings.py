"""`hub listings …`: import a listings feed, sync the custom fields that hold buyer preferences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

app = typer.Typer(help="Listings: import feeds (CSV / JSON), buyer-preference fields.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True, highlight=False)
MAX_SHOWN_ERRORS = 50


@app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(help="CSV or JSON listings file (RESO-like columns).", exists=True, dir_okay=False),
    ],
    location: Annotated[str, typer.Option(help="The GHL locationId the listings belong to.")],
    format: Annotated[
        str | None, typer.Option("--format", help="csv or json; default: from the file name / content.")
    ] = None,
    announce: Annotated[
        bool,
        typer.Option(help="Emit hub.listings.imported so match-listings runs now (needs PREFECT_API_URL)."),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Import listings: every valid row is stored, every bad row is listed with its row and field."""
    from sqlalchemy.orm import Session

    from hub.listings.importer import import_listings
    from hub.settings import get_settings
    from hub.store.engine import check_connection, make_engine

    if format is not None and format not in ("csv", "json"):
        raise typer.BadParameter(f"{format!r}: use csv or json", param_hint="--format")
    fmt: Literal["csv", "json"] | None = format  # type: ignore[assignment]
    engine = make_engine(get_settings().database.url)
    check_connection(engine)
    with Session(engine) as session, session.begin():
        report = import_listings(session, location, file.read_bytes(), fmt=fmt, name=str(file))
    summary = report.to_json()
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        for error in report.errors[:MAX_SHOWN_ERRORS]:
            err.print(f"[red]✗[/red] {file}: {error}")
        if len(report.errors) > MAX_SHOWN_ERRORS:
            err.print(f"  … and {len(report.errors) - MAX_SHOWN_ERRORS} more (use --json for all)")
        if report.unknown_columns:
            err.print(
                f"[yellow]![/yellow] columns ignored (not recognised): {', '.join(report.unknown_columns)}"
            )
        err.print(
            f"[green]✓[/green] {report.imported} of {report.rows} listings imported into {location} "
            f"({len(report.created)} new, {len(report.updated)} updated, {len(report.errors)} rejected; "
            f"{len(report.left_active)} left Active, {report.matches_removed} pending matches removed)"
        )
    if announce and report.imported:
        _announce(location, summary)
    if report.errors:
        raise typer.Exit(1)


def _announce(location: str, summary: dict[str, object]) -> None:
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        err.print(
            "  (PREFECT_API_URL is not set: run `hub run match-listings` to match the new listings now)"
        )
        return
    from tasks.listing_matching import announce_import

    announce_import(location, summary)
    err.print("  hub.listings.imported sent: match-listings will run for this location")


@app.command("custom-fields")
def custom_fields(
    file: Annotated[
        Path,
        typer.Argument(
            help="GHL's GET /locations/{id}/customFields response (JSON).", exists=True, dir_okay=False
        ),
    ],
    location: Annotated[str, typer.Option(help="The GHL locationId.")],
) -> None:
    """Store a location's custom-field definitions, so buyer preferences (budget, beds, areas,
    property type, must-haves) can be read from contacts."""
    from sqlalchemy.orm import Session

    from hub.listings.preferences import PREFERENCE_KEYS, save_custom_fields
    from hub.settings import get_settings
    from hub.store.engine import check_connection, make_engine

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise typer.BadParameter(f"{file} is not a JSON file: {exc}") from None
    items = document.get("customFields") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise typer.BadParameter(f'{file}: expected {{"customFields": [...]}} as GHL returns it, or a list')
    engine = make_engine(get_settings().database.url)
    check_connection(engine)
    try:
        with Session(engine) as session, session.begin():
            saved = save_custom_fields(session, location, items)
            keys = [row.key for row in saved]
    except ValueError as exc:
        raise typer.BadParameter(f"{file}: {exc}") from None
    used = sorted({key for key in keys if key in PREFERENCE_KEYS})
    err.print(
        f"[green]✓[/green] {len(keys)} custom fields stored for {location}; "
        f"preferences read from: {', '.join(used) or 'none'}"
    )

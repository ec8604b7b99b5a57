"""The demo's listings: each location's MLS export through `POST /listings`, then matched to buyers.

The feed goes through the API with the location's own key, exactly as a brokerage's import job
would send it; the report reads the stored matches back (never the simulator's counts).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import InstrumentedAttribute

from hub.errors import HubError
from hub.simulator.exports import mls_feed_csv
from hub.simulator.world import World
from hub.store.models import Contact, Enrollment, Listing, ListingMatch


def import_feeds(api: str, world: World, api_keys: Mapping[str, str]) -> dict[str, int]:
    """POST every location's MLS export; return listings imported per location."""
    imported: dict[str, int] = {}
    with httpx.Client(base_url=api, timeout=120) as client:
        for location in world.locations:
            response = client.post(
                "/listings",
                content=mls_feed_csv(location.listings),
                headers={"X-Hub-Key": api_keys[location.id], "Content-Type": "text/csv"},
            )
            if response.status_code != 200:
                detail = response.text[:300]
                raise HubError(f"POST /listings for {location.id}: {response.status_code} {detail}")
            imported[location.id] = int(response.json()["imported"])
    return imported


def render_matches(engine: Engine, console: Console, shown: int = 5) -> int:
    """Stored matches per location, and the best few with their reasons; returns the match count."""
    with engine.connect() as conn:
        per_location = conn.execute(
            sa.select(
                ListingMatch.location_id,
                sa.func.count(),
                sa.func.count(sa.distinct(ListingMatch.contact_id)),
                sa.func.count(sa.distinct(ListingMatch.listing_id)),
            ).group_by(ListingMatch.location_id)
        ).all()
        alerts = conn.scalar(
            sa.select(sa.func.count())
            .select_from(Enrollment)
            .where(Enrollment.workflow_id == "listing_alert")
        )
        best = conn.execute(
            sa.select(
                Contact.first_name,
                Contact.last_name,
                Listing.address,
                Listing.list_price,
                ListingMatch.reasons,
            )
            .join(Contact, _same(Contact, ListingMatch.contact_id))
            .join(Listing, _same(Listing, ListingMatch.listing_id))
            .where(ListingMatch.rank == 1)
            .order_by(ListingMatch.score.desc())
            .limit(shown)
        ).all()
    total = sum(row[1] for row in per_location)
    table = Table(title="Listing matches (stored by match-listings)")
    for column in ("location", "matches", "buyers", "listings"):
        table.add_column(column, justify="left" if column == "location" else "right")
    for location_id, matches, buyers, listings in per_location:
        table.add_row(location_id, f"{matches:,}", f"{buyers:,}", f"{listings:,}")
    console.print(table)
    console.print(f"Buyers enrolled into listing alerts: {alerts or 0:,}")
    for first, last, address, price, reasons in best:
        name = " ".join(part for part in (first, last) if part) or "(no name)"
        price_text = f"${price:,.0f}" if price is not None else "price n/a"
        console.print(f"  {name}: {address} ({price_text}) — {'; '.join(reasons[:3])}")
    return total


def _same(model: type[Contact] | type[Listing], key: InstrumentedAttribute[str]) -> sa.ColumnElement[bool]:
    return sa.and_(model.location_id == ListingMatch.location_id, model.id == key)

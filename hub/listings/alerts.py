"""Listing alerts in the store: which matches a lead may be alerted about, the weekly cap, and the
alert's life next to its send-ledger slot.

    (none) --reserve_alert--> reserved --the send ledger says sent / unknown--> sent | unknown
                                 |      --deferred (quiet hours, GHL down)--> stays reserved
                                 |      --suppressed / failed / nothing left to send--> deleted
                                 '--its step visit ended unsent (exit on reply, failure, goal jump)
                                      --settle_orphans--> sent | unknown (the ledger says so) | deleted

A reserved alert keeps its listings across retries of the same step visit, so a deferred alert
sends what it chose; the unique (location, contact, listing) key on its items means a listing is
named to a lead once, even when two workflows alert the same lead at the same moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.listings.fields import amenities
from hub.listings.matches import shown_matches
from hub.listings.status import ACTIVE
from hub.store.models import (
    Contact,
    Enrollment,
    Listing,
    ListingAlert,
    ListingAlertItem,
    ListingInteraction,
    ListingMatch,
    SendLedgerEntry,
)
from hub.store.models.workflows import LIVE_ENROLLMENT_STATUSES

ALERT_WINDOW = timedelta(days=7)
_ALERTS: sa.Table = ListingAlert.__table__  # type: ignore[assignment]
_ITEMS: sa.Table = ListingAlertItem.__table__  # type: ignore[assignment]
MAYBE_SENT = ("reserved", "sent", "unknown")  # send-ledger statuses: GHL may have the message


@dataclass(frozen=True, slots=True)
class AlertListing:
    """What an alert says about one listing."""

    listing_id: str
    address: str | None
    city: str | None
    list_price: float | None
    bedrooms: int | None
    bathrooms: float | None
    living_area_sqft: int | None
    property_type: str | None
    features: tuple[str, ...]
    reasons: tuple[str, ...]
    score: float | None


def lock_contact(session: Session, location_id: str, contact_id: str) -> None:
    """Serialise alert decisions per lead (PostgreSQL row lock until commit), so two workflows
    alerting the same lead at once cannot both pass the weekly cap. SQLite has one writer anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.select(Contact.id)
            .where(Contact.location_id == location_id, Contact.id == contact_id)
            .with_for_update()
        )


def alerts_in_window(session: Session, location_id: str, contact_id: str, *, now: datetime) -> int:
    """Alerts that count against the weekly cap: sent (or maybe sent) in the 7 days before `now`,
    plus every alert still reserved (it may go out any minute)."""
    recent = sa.and_(ListingAlert.status.in_(("sent", "unknown")), ListingAlert.sent_at > now - ALERT_WINDOW)
    return int(
        session.scalar(
            sa.select(sa.func.count()).where(
                ListingAlert.location_id == location_id,
                ListingAlert.contact_id == contact_id,
                sa.or_(recent, ListingAlert.status == "reserved"),
            )
        )
        or 0
    )


def settle_orphans(session: Session, location_id: str, contact_id: str) -> int:
    """Resolve the lead's reserved alerts whose step visit is over without a send settling them
    (the enrollment exited on a reply, failed, or jumped to a goal while the alert waited for quiet
    hours to end): what the send ledger says may be out is recorded as alerted, the rest released,
    so an orphan neither holds listings nor counts against the weekly cap forever."""
    rows = session.execute(
        sa.select(ListingAlert, Enrollment)
        .join(Enrollment, Enrollment.id == ListingAlert.enrollment_id)
        .where(
            ListingAlert.location_id == location_id,
            ListingAlert.contact_id == contact_id,
            ListingAlert.status == "reserved",
        )
    ).tuples()
    resolved = 0
    for alert, enrollment in rows.all():
        visit = str(enrollment.context.get("visits", {}).get(alert.step_id, 1))
        live = enrollment.status in LIVE_ENROLLMENT_STATUSES
        if live and enrollment.current_step_id == alert.step_id and visit == alert.attempt_key:
            continue  # still this step's visit: its own run settles it
        entry = session.scalars(
            sa.select(SendLedgerEntry)
            .where(
                SendLedgerEntry.enrollment_id == alert.enrollment_id,
                SendLedgerEntry.step_id == alert.step_id,
                SendLedgerEntry.attempt_key == alert.attempt_key,
                SendLedgerEntry.status.in_(MAYBE_SENT),
            )
            .order_by(SendLedgerEntry.id)
        ).first()
        if entry is None:
            release_alert(session, alert)
        else:
            status = "sent" if entry.status == "sent" else "unknown"
            settle_alert(
                session, alert, status, channel=entry.channel, now=entry.completed_at or entry.reserved_at
            )
        resolved += 1
    return resolved


def pending_alert(session: Session, enrollment_id: int, step_id: str, attempt: str) -> ListingAlert | None:
    """The alert of this step visit, if one was reserved before (a retry or a crash)."""
    return session.scalars(
        sa.select(ListingAlert).where(
            ListingAlert.enrollment_id == enrollment_id,
            ListingAlert.step_id == step_id,
            ListingAlert.attempt_key == attempt,
        )
    ).one_or_none()


def _rejected(location_id: str, contact_id: str) -> sa.Exists:
    return sa.exists().where(
        ListingInteraction.location_id == location_id,
        ListingInteraction.contact_id == contact_id,
        ListingInteraction.listing_id == Listing.id,
        ListingInteraction.kind == "not_interested",
    )


def alert_candidates(
    session: Session, location_id: str, contact_id: str, *, limit: int, min_score: float | None = None
) -> list[ListingMatch]:
    """The lead's best matches that may go in an alert: listing still Active, never alerted to this
    lead, not marked "not interested" since the match run."""
    already = sa.exists().where(
        ListingAlertItem.location_id == location_id,
        ListingAlertItem.contact_id == contact_id,
        ListingAlertItem.listing_id == ListingMatch.listing_id,
    )
    query = (
        shown_matches(ListingMatch, location_id=location_id, contact_id=contact_id)
        .where(~already)
        .limit(limit)
    )
    if min_score is not None:
        query = query.where(ListingMatch.score >= min_score)
    return list(session.scalars(query))


def _insert(session: Session, table: sa.Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def reserve_alert(
    session: Session,
    *,
    location_id: str,
    contact_id: str,
    enrollment_id: int,
    step_id: str,
    attempt: str,
    picks: Sequence[ListingMatch],
    now: datetime,
) -> ListingAlert | None:
    """Hold `picks` for this step visit. Listings another alert took at the same moment are left
    out; None when it took all of them, or another worker reserved this slot first. One
    conditional statement per table (no check-then-insert race); the caller commits."""
    alert_id = session.execute(
        _insert(session, _ALERTS)
        .values(
            location_id=location_id,
            contact_id=contact_id,
            enrollment_id=enrollment_id,
            step_id=step_id,
            attempt_key=attempt,
            status="reserved",
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["enrollment_id", "step_id", "attempt_key"])
        .returning(_ALERTS.c.id)
    ).scalar()
    if alert_id is None:
        return None
    rows = [
        {
            "alert_id": alert_id,
            "listing_id": pick.listing_id,
            "location_id": location_id,
            "contact_id": contact_id,
            "position": position,
            "score": pick.score,
        }
        for position, pick in enumerate(picks, start=1)
    ]
    taken = (
        session.execute(
            _insert(session, _ITEMS)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["location_id", "contact_id", "listing_id"])
            .returning(_ITEMS.c.listing_id)
        )
        .scalars()
        .all()
    )
    alert = session.get(ListingAlert, alert_id)
    assert alert is not None
    if not taken:
        release_alert(session, alert)
        return None
    return alert


def alert_listings(session: Session, alert: ListingAlert) -> list[AlertListing]:
    """The alert's listings in message order, with the match reasons when the match still exists."""
    rows = session.execute(
        sa.select(ListingAlertItem, Listing, ListingMatch)
        .join(
            Listing,
            sa.and_(
                Listing.location_id == ListingAlertItem.location_id, Listing.id == ListingAlertItem.listing_id
            ),
        )
        .outerjoin(
            ListingMatch,
            sa.and_(
                ListingMatch.location_id == ListingAlertItem.location_id,
                ListingMatch.contact_id == ListingAlertItem.contact_id,
                ListingMatch.listing_id == ListingAlertItem.listing_id,
            ),
        )
        .where(ListingAlertItem.alert_id == alert.id)
        .order_by(ListingAlertItem.position)
    ).tuples()
    return [
        AlertListing(
            listing_id=listing.id,
            address=listing.address,
            city=listing.city,
            list_price=listing.list_price,
            bedrooms=listing.bedrooms,
            bathrooms=listing.bathrooms,
            living_area_sqft=listing.living_area_sqft,
            property_type=listing.property_type,
            features=tuple(amenities(listing.features)),
            reasons=tuple(str(r) for r in (match.reasons if match is not None else [])),
            score=item.score,
        )
        for item, listing, match in rows
    ]


def prune_alert(session: Session, alert: ListingAlert) -> int:
    """Before a retry of a reserved (never sent) alert: drop listings that left Active or that the
    lead rejected meanwhile. Returns how many listings remain."""
    stale = session.scalars(
        sa.select(ListingAlertItem.listing_id)
        .join(
            Listing,
            sa.and_(
                Listing.location_id == ListingAlertItem.location_id, Listing.id == ListingAlertItem.listing_id
            ),
        )
        .where(
            ListingAlertItem.alert_id == alert.id,
            sa.or_(Listing.status != ACTIVE, _rejected(alert.location_id, alert.contact_id)),
        )
    ).all()
    if stale:
        session.execute(
            sa.delete(ListingAlertItem).where(
                ListingAlertItem.alert_id == alert.id, ListingAlertItem.listing_id.in_(list(stale))
            )
        )
    return int(session.scalar(sa.select(sa.func.count()).where(ListingAlertItem.alert_id == alert.id)) or 0)


def ledger_says_sent(session: Session, alert: ListingAlert) -> bool:
    """Whether the send ledger holds a maybe-sent message for the alert's slot (on any channel):
    then its listings were (or may have been) named to the lead and must stay recorded as such."""
    return (
        session.scalar(
            sa.select(sa.func.count()).where(
                SendLedgerEntry.enrollment_id == alert.enrollment_id,
                SendLedgerEntry.step_id == alert.step_id,
                SendLedgerEntry.attempt_key == alert.attempt_key,
                SendLedgerEntry.status.in_(MAYBE_SENT),
            )
        )
        or 0
    ) > 0


def settle_alert(session: Session, alert: ListingAlert, status: str, *, channel: str, now: datetime) -> None:
    """Record that the alert went out (`sent`) or may have (`unknown`)."""
    alert.status, alert.channel = status, channel
    alert.sent_at = alert.sent_at or now
    session.flush()


def release_alert(session: Session, alert: ListingAlert) -> None:
    """Nothing was sent: free its listings for a later alert."""
    session.execute(sa.delete(ListingAlertItem).where(ListingAlertItem.alert_id == alert.id))
    session.delete(alert)
    session.flush()


def sent_listing_ids(session: Session, location_id: str, contact_id: str) -> list[str]:
    """Every listing ever named to the lead in an alert, oldest first."""
    return list(
        session.scalars(
            sa.select(ListingAlertItem.listing_id)
            .join(ListingAlert, ListingAlert.id == ListingAlertItem.alert_id)
            .where(ListingAlertItem.location_id == location_id, ListingAlertItem.contact_id == contact_id)
            .order_by(ListingAlert.created_at, ListingAlertItem.position)
        )
    )

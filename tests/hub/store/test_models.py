"""Integrity the schema itself enforces, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.store.models import (
    Contact,
    Enrollment,
    Listing,
    Location,
    Message,
    Opportunity,
    Score,
    SendLedgerEntry,
    Workflow,
)
from tests.hub.store.builders import T0, add_contact, add_location


def test_a_location_gets_the_compliance_defaults(session: Session) -> None:
    add_location(session, "L1")
    session.commit()
    session.expire_all()
    location = session.get_one(Location, "L1")
    assert (location.quiet_hours_start, location.quiet_hours_end) == (time(21, 0), time(8, 0))
    assert location.rate_limit_per_10s == 100
    assert location.created_at.tzinfo == UTC
    assert location.compliance is None


def test_a_location_must_have_a_timezone(session: Session) -> None:
    session.add(Location(id="L1", name="Oak Realty"))
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_a_row_cannot_point_at_another_locations_contact(session: Session) -> None:
    add_location(session, "LocA")
    add_location(session, "LocB")
    add_contact(session, "LocA", "Ct1")
    session.commit()
    # The contact id exists, but in LocA: the composite key refuses the cross-tenant link.
    session.add(
        Message(
            location_id="LocB", id="M1", contact_id="Ct1", direction="inbound", channel="SMS", occurred_at=T0
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_deleting_a_location_removes_its_data_and_only_its_data(session: Session) -> None:
    for location_id in ("LocA", "LocB"):
        add_location(session, location_id)
        add_contact(session, location_id, "Ct1", tags=["buyer"])
        session.add(
            Score(
                location_id=location_id,
                contact_id="Ct1",
                kind="conversion",
                model_version="v1",
                probability=0.4,
                tier="warm",
            )
        )
    session.commit()
    session.execute(sa.delete(Location).where(Location.id == "LocA"))
    session.commit()
    assert session.scalars(sa.select(Contact.location_id)).all() == ["LocB"]
    assert session.scalars(sa.select(Score.location_id)).all() == ["LocB"]


@pytest.mark.parametrize(
    "row",
    [
        lambda: Score(
            location_id="L1",
            contact_id="Ct1",
            kind="upsell",
            model_version="v1",
            probability=0.5,
            tier="warm",
        ),
        lambda: Score(
            location_id="L1", contact_id="Ct1", kind="churn", model_version="v1", probability=1.5, tier="warm"
        ),
        lambda: Enrollment(
            location_id="L1", contact_id="Ct1", workflow_id="wf", workflow_version=1, status="paused"
        ),
    ],
    ids=["unknown score kind", "probability above 1", "unknown enrollment status"],
)
def test_check_constraints_refuse_values_outside_the_domain(session: Session, row: object) -> None:
    add_location(session, "L1")
    add_contact(session, "L1", "Ct1")
    session.add(Workflow(id="wf", version=1, definition={}, source_yaml="", checksum="0" * 64))
    session.commit()
    session.add(row())  # type: ignore[operator]
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_the_send_ledger_reserves_a_step_once(session: Session) -> None:
    add_location(session, "L1")
    add_contact(session, "L1", "Ct1")
    session.add(Workflow(id="wf", version=1, definition={}, source_yaml="", checksum="0" * 64))
    session.flush()  # no relationship() ties the two models, so the unit of work needs the order
    enrollment = Enrollment(location_id="L1", contact_id="Ct1", workflow_id="wf", workflow_version=1)
    session.add(enrollment)
    session.flush()

    def reserve() -> SendLedgerEntry:
        return SendLedgerEntry(
            enrollment_id=enrollment.id, step_id="intro", channel="SMS", location_id="L1", contact_id="Ct1"
        )

    session.add(reserve())
    session.commit()
    session.add(reserve())
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_json_money_and_nullable_json_round_trip(session: Session) -> None:
    add_location(session, "L1")
    add_contact(
        session,
        "L1",
        "Ct1",
        dnd_channels={"SMS": "active", "Email": "inactive"},
        custom_fields={"cfBudget01": "450000"},
    )
    session.add(Opportunity(location_id="L1", id="Op1", contact_id="Ct1", monetary_value=450000.5))
    session.add(
        Listing(
            location_id="L1",
            id="Lst1",
            status="Active",
            list_price=449999.99,
            bathrooms=2.5,
            features={"pool": True},
            open_houses=[{"start": "2026-09-13T10:00:00Z"}],
        )
    )
    session.commit()
    session.expire_all()
    contact = session.get_one(Contact, ("L1", "Ct1"))
    assert contact.dnd_channels == {"SMS": "active", "Email": "inactive"}
    assert contact.tags == [] and contact.consent is None and contact.dnd is False
    # None is SQL NULL, not the JSON literal null: "no consent recorded" must be findable with IS NULL.
    assert session.scalar(sa.select(sa.func.count()).where(Contact.consent.is_(None))) == 1
    assert session.get_one(Opportunity, ("L1", "Op1")).monetary_value == 450000.5
    listing = session.get_one(Listing, ("L1", "Lst1"))
    assert (listing.list_price, listing.bathrooms, listing.features) == (449999.99, 2.5, {"pool": True})
    assert listing.updated_at <= datetime.now(UTC)

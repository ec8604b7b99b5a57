"""apply_events on contacts: profile, tags, DND, deletion, ordering by event time, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hub.leads import ChangeKind
from hub.leads.writes import Write, writes_of
from hub.store.event_log import mark_processed
from hub.store.models import Event
from tests.hub.leads import payloads as p
from tests.hub.leads.folding import apply_rows, contact_row, feed, lead_state, stamped
from tests.hub.leads.payloads import at, log_event


def test_contact_create_fills_the_lead(db: Session) -> None:
    result = feed(db, (p.contact(), at(0)))
    row = contact_row(db, p.CID)
    assert (row.name, row.first_name, row.last_name, row.email, row.phone) == (
        "Dana Ruiz",
        "Dana",
        "Ruiz",
        "dana@example.com",
        "+15125550143",
    )
    assert (row.source, row.assigned_user_id, row.timezone, row.state, row.postal_code) == (
        "Zillow lead form",
        "UsrAgent01",
        "America/Chicago",
        "TX",
        "78660",
    )
    assert row.tags == ["buyer", "zillow"] and row.custom_fields == {"cfBudget01": "450000"}
    assert row.date_added == datetime(2026, 9, 10, 15, 2, 11, 120000, tzinfo=UTC)
    assert row.last_event_at == at(0) and row.dnd is False and row.deleted is False
    assert [c.kind for c in result.changes] == [ChangeKind.CONTACT_CREATED, ChangeKind.TAGS_CHANGED]
    assert result.changes[1].detail == {
        "added": ["buyer", "zillow"],
        "removed": [],
        "tags": ["buyer", "zillow"],
    }
    assert result.changed_contacts == [p.CID] and list(result.by_contact()) == [p.CID]


def test_an_older_update_arriving_later_does_not_overwrite_newer_state(db: Session) -> None:
    feed(db, (p.contact("ContactUpdate", email="new@example.com", firstName="Danielle"), at(5)))
    late = feed(db, (p.contact("ContactUpdate", email="old@example.com", firstName="Dana"), at(0)))
    row = contact_row(db, p.CID)
    assert (row.email, row.first_name, row.last_event_at) == ("new@example.com", "Danielle", at(5))
    assert late.superseded_writes > 0
    assert [c.kind for c in late.changes] == []


def test_order_inside_one_batch_is_event_time_not_arrival(db: Session) -> None:
    feed(
        db,
        (p.contact("ContactUpdate", email="new@example.com"), at(5)),
        (p.contact("ContactUpdate", email="old@example.com"), at(0)),
    )
    assert contact_row(db, p.CID).email == "new@example.com"


def test_ties_in_time_go_to_the_later_logged_event(db: Session) -> None:
    feed(
        db,
        (p.contact("ContactUpdate", email="first@example.com"), at(1)),
        (p.contact("ContactUpdate", email="second@example.com"), at(1)),
    )
    assert contact_row(db, p.CID).email == "second@example.com"


def test_absent_fields_never_clear_and_older_events_still_fill_them(db: Session) -> None:
    sms_only = {"type": "ContactUpdate", "locationId": p.LOC, "id": p.CID, "phone": "+15125550199"}
    feed(db, (sms_only, at(5)))
    feed(db, (p.contact("ContactCreate"), at(0)))  # late: phone is older, e-mail nobody newer has set
    row = contact_row(db, p.CID)
    assert (row.phone, row.email, row.first_name) == ("+15125550199", "dana@example.com", "Dana")


def test_tag_update_replaces_the_whole_list(db: Session) -> None:
    feed(db, (p.contact(), at(0)))
    result = feed(db, (p.contact("ContactTagUpdate", tags=["buyer", "hot-lead"]), at(3)))
    assert contact_row(db, p.CID).tags == ["buyer", "hot-lead"]
    [change] = [c for c in result.changes if c.kind is ChangeKind.TAGS_CHANGED]
    assert change.detail == {"added": ["hot-lead"], "removed": ["zillow"], "tags": ["buyer", "hot-lead"]}
    feed(db, (p.contact("ContactTagUpdate", tags=["buyer"]), at(2)))  # older: ignored
    assert contact_row(db, p.CID).tags == ["buyer", "hot-lead"]


def test_dnd_per_channel_and_an_older_dnd_update_is_ignored(db: Session) -> None:
    result = feed(db, (p.dnd(sms="active", RCS="active"), at(5)))
    row = contact_row(db, p.CID)
    assert row.dnd_channels["SMS"] == "active" and row.dnd_channels["RCS"] == "active"
    assert row.dnd_channels["Email"] == "inactive"
    assert [c.kind for c in result.changes if c.kind is ChangeKind.DND_CHANGED] == [ChangeKind.DND_CHANGED]
    feed(db, (p.dnd(sms="inactive", all_channels=True), at(1)))
    row = contact_row(db, p.CID)
    assert row.dnd_channels["SMS"] == "active" and row.dnd is False
    feed(db, (p.dnd(sms="inactive", all_channels=True), at(9)))
    row = contact_row(db, p.CID)
    assert row.dnd_channels["SMS"] == "inactive" and row.dnd is True


def test_contact_delete_is_final_even_against_newer_updates(db: Session) -> None:
    feed(db, (p.contact(), at(0)), (p.contact("ContactDelete"), at(5)))
    result = feed(db, (p.contact("ContactUpdate", firstName="Ghost"), at(9)))
    row = contact_row(db, p.CID)
    assert row.deleted is True and row.first_name == "Ghost"  # history kept, still deleted
    assert ChangeKind.CONTACT_DELETED not in {c.kind for c in result.changes}


def test_workflow_webhook_fields_fill_but_never_overwrite_marketplace_ones(db: Session) -> None:
    feed(db, (p.website("new_lead", listing_id=None, tags="website"), at(0)))
    assert contact_row(db, p.CID).tags == ["website"]  # nothing better known yet
    feed(db, (p.contact(tags=["buyer"], email="real@example.com"), at(1)))
    feed(db, (p.website("new_lead", listing_id=None, tags="stale,tags", email="old@example.com"), at(9)))
    row = contact_row(db, p.CID)
    assert (row.tags, row.email) == (["buyer"], "real@example.com")


def test_free_text_longer_than_its_column_is_cut_not_refused(db: Session) -> None:
    feed(db, (p.contact(name="N" * 500, source="S" * 300), at(0)))
    row = contact_row(db, p.CID)
    assert row.name == "N" * 200 and row.source == "S" * 200


def test_applying_the_same_events_again_changes_nothing(db: Session) -> None:
    rows = [
        log_event(db, p.contact(), at(0)),
        log_event(db, p.dnd(sms="active"), at(1)),
        log_event(db, p.message("STOP", message_id="MsgStop"), at(2)),
        log_event(db, p.opportunity(), at(3)),
        log_event(db, p.appointment(), at(4)),
        log_event(db, p.website("property_saved"), at(5)),
    ]
    first = apply_rows(db, rows, mark=False)
    state = lead_state(db)
    again = apply_rows(db, rows, mark=False)  # not marked: no clock protects them, idempotence must
    assert lead_state(db) == state
    assert first.changes and again.changes == []
    mark_processed(db, [row.id for row in rows])
    replay = apply_rows(db, rows, mark=False)  # now the log's clocks refuse every write
    assert lead_state(db) == state and replay.changes == []
    assert replay.superseded_writes == len(_writes(rows))


def _writes(rows: list[Event]) -> list[Write]:
    return [write for item in stamped(rows) for write in writes_of(item)]

"""process_pending: one location's micro-batch, per-event errors, unknown types, activity, hooks,
crash recovery."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.events.domain import ContactUpserted, OpportunityChanged, StampedEvent
from hub.events.processor import ProcessingHooks, process_pending
from hub.store.activity_log import activity_after
from hub.store.models import Contact, Event, Message, Pipeline, PipelineStage
from tests.hub.leads import payloads as p
from tests.hub.leads.folding import apply_rows, comparable_state, contact_row
from tests.hub.leads.payloads import at, log_event
from tests.hub.store.builders import add_location


@pytest.fixture
def db(session: Session) -> Session:
    add_location(session, p.LOC)
    return session


def _event(db: Session, event_id: int) -> Event:
    db.expire_all()
    return db.get_one(Event, event_id)


def test_a_malformed_event_gets_its_error_while_the_rest_of_the_batch_applies(db: Session) -> None:
    good = log_event(db, p.contact(), at(0))
    bad = log_event(db, p.contact("ContactTagUpdate", tags=5), at(1))
    message = log_event(db, p.message("STOP", message_id="MsgStop"), at(2))
    result = process_pending(db, p.LOC)
    assert result.processed == 3 and list(result.errors) == [bad.id]
    error = _event(db, bad.id).process_error
    assert error is not None and error.startswith(
        "ContactTagUpdate: field 'tags' is int 5; expected a list of strings (or a comma-separated string)"
    )
    for row in (good, message):
        assert _event(db, row.id).processed_at is not None and _event(db, row.id).process_error is None
    assert contact_row(db, p.CID).sms_opted_out is True and contact_row(db, p.CID).tags == ["buyer", "zillow"]
    assert process_pending(db, p.LOC).processed == 0  # nothing left, the bad one does not block


def test_unknown_types_are_kept_counted_and_marked_without_error(db: Session) -> None:
    unknown = log_event(db, {"type": "InvoicePaid", "locationId": p.LOC, "amount": 12}, at(0))
    log_event(db, {"type": "InvoicePaid", "locationId": p.LOC}, at(1))
    log_event(db, p.contact(), at(2))
    result = process_pending(db, p.LOC)
    assert result.unknown_types == {"InvoicePaid": 2}
    assert result.counts_by_type == {"InvoicePaid": 2, "ContactCreate": 1}
    assert result.errors == {} and result.processed == 3
    row = _event(db, unknown.id)
    assert row.processed_at is not None and row.process_error is None and row.payload["amount"] == 12


def test_only_the_given_location_oldest_received_first_up_to_the_limit(db: Session) -> None:
    add_location(db, "LocOther")
    other = log_event(db, p.contact(), at(0), location_id="LocOther")
    rows = [log_event(db, p.message(f"m{i}", message_id=f"Msg{i}"), at(10 - i)) for i in range(5)]
    first = process_pending(db, p.LOC, limit=3)
    assert first.processed == 3
    assert [_event(db, row.id).processed_at is not None for row in rows] == [True, True, True, False, False]
    assert _event(db, other.id).processed_at is None


def test_changes_become_activity_rows(db: Session) -> None:
    log_event(db, p.contact(), at(0))
    log_event(db, p.message("STOP", message_id="MsgStop"), at(2))
    log_event(db, p.message("Hi Dana", inbound=False, message_id="MsgOut", source="app"), at(1))
    result = process_pending(db, p.LOC)
    stream = activity_after(db, p.LOC)
    assert [item.kind for item in stream] == [change.kind.value for change in result.changes]
    assert result.activity_written == len(stream)
    kinds = [item.kind for item in stream]
    # In event time: created and tagged (0), the agent's text (1), then STOP and the opt-out (2).
    assert kinds == ["lead_created", "tags_changed", "message_sent", "message_received", "sms_opted_out"]
    stop = stream[4]
    assert (
        stop.contact_id == p.CID
        and stop.payload["message_id"] == "MsgStop"
        and stop.payload["body"] == "STOP"
    )
    assert stream[2].payload["sender"] == "agent"
    assert [item.payload["at"] for item in stream] == [at(m).isoformat() for m in (0, 0, 1, 2, 2)]


def test_hooks_receive_changed_contacts_and_applied_events(db: Session) -> None:
    calls: list[tuple[str, object]] = []

    def contacts_changed(session: Session, location_id: str, contact_ids: Sequence[str]) -> None:
        assert session is db
        calls.append(("contacts", (location_id, list(contact_ids))))

    def domain_events(session: Session, location_id: str, events: Sequence[StampedEvent]) -> None:
        calls.append(("events", [type(item.event).__name__ for item in events]))

    log_event(db, p.contact("ContactUpdate", contact_id="CtB"), at(1))
    log_event(db, p.contact("ContactTagUpdate", tags=7), at(2))
    log_event(db, p.message(contact_id="CtA"), at(3))
    process_pending(
        db, p.LOC, hooks=ProcessingHooks(on_contacts_changed=contacts_changed, on_domain_events=domain_events)
    )
    assert calls == [
        ("events", ["ConversationMessage", "ContactUpserted"]),
        ("contacts", (p.LOC, ["CtA", "CtB"])),
    ]


def test_opportunity_events_reach_the_hooks_with_their_stage_name(db: Session) -> None:
    db.add(Pipeline(location_id=p.LOC, id="PlBuy1", name="Buyers"))
    db.flush()
    db.add(
        PipelineStage(location_id=p.LOC, id="stage-showing", pipeline_id="PlBuy1", name="Showing", position=1)
    )
    db.flush()
    log_event(db, p.opportunity("OpportunityStageUpdate", stage="stage-showing"), at(0))
    log_event(
        db, p.opportunity("OpportunityStageUpdate", stage="stage-unsynced", opportunity_id="OpQ"), at(1)
    )
    seen: list[tuple[str | None, str | None]] = []

    def domain_events(session: Session, location_id: str, events: Sequence[StampedEvent]) -> None:
        seen.extend(
            (e.event.stage_id, e.event.stage_name) for e in events if isinstance(e.event, OpportunityChanged)
        )

    process_pending(db, p.LOC, hooks=ProcessingHooks(on_domain_events=domain_events))
    assert seen == [("stage-showing", "Showing"), ("stage-unsynced", None)]


def test_a_failing_hook_aborts_the_batch_and_nothing_is_marked(db: Session) -> None:
    row = log_event(db, p.contact(), at(0))
    db.commit()

    def broken(session: Session, location_id: str, events: Sequence[StampedEvent]) -> None:
        assert any(isinstance(item.event, ContactUpserted) for item in events)
        raise RuntimeError("trigger store down")

    with pytest.raises(RuntimeError, match="trigger store down"):
        process_pending(db, p.LOC, hooks=ProcessingHooks(on_domain_events=broken))
    db.rollback()
    assert _event(db, row.id).processed_at is None
    assert db.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0
    assert process_pending(db, p.LOC).processed == 1


def test_rerun_after_a_crash_between_apply_and_marking_does_not_double_apply(db: Session) -> None:
    add_location(db, "LocRef")
    story = [
        (p.contact(), 0),
        (p.message("Hi", message_id=None), 3),
        (p.message("STOP", message_id="MsgS"), 5),
        (p.contact("ContactUpdate", email="new@example.com"), 9),
        (p.contact("ContactUpdate"), 4),
        (p.website("property_viewed"), 6),
        (p.appointment(), 7),
        (p.opportunity(), 8),
    ]
    rows = [log_event(db, payload, at(minute)) for payload, minute in story]
    for payload, minute in story:
        log_event(db, payload, at(minute), location_id="LocRef")
    apply_rows(db, rows, mark=False)  # applied, then the worker died before marking
    db.commit()
    rerun = process_pending(db, p.LOC)
    process_pending(db, "LocRef")
    assert rerun.processed == len(story) and rerun.changes == [] and rerun.activity_written == 0
    assert comparable_state(db, p.LOC) == comparable_state(db, "LocRef")
    assert db.scalar(sa.select(sa.func.count()).where(Message.location_id == p.LOC)) == 2


def test_an_event_the_store_refuses_is_isolated_and_the_rest_applies(
    db: Session, store_engine: sa.Engine
) -> None:
    """A database trigger stands in for any refusal we did not foresee (a constraint, a bad value)."""
    postgres = store_engine.dialect.name == "postgresql"
    ddl = (
        [
            "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN IF NEW.body = 'poison' THEN "
            "RAISE EXCEPTION 'poisoned message'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages FOR EACH ROW "
            "EXECUTE FUNCTION refuse_poison()",
        ]
        if postgres
        else [
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages WHEN NEW.body = 'poison' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned message'); END"
        ]
    )
    for statement in ddl:
        db.execute(sa.text(statement))
    try:
        log_event(db, p.contact(), at(0))
        poison = log_event(db, p.message("poison", message_id="MsgP"), at(1))
        log_event(db, p.message("fine", message_id="MsgF"), at(2))
        result = process_pending(db, p.LOC)
        error = _event(db, poison.id).process_error
        assert list(result.errors) == [poison.id] and error is not None
        assert (
            error.startswith("InboundMessage: the store refused this event") and "poisoned message" in error
        )
        assert db.scalars(sa.select(Message.id)).all() == ["MsgF"]
        assert contact_row(db, p.CID).email == "dana@example.com"
    finally:
        db.rollback()
        with store_engine.begin() as conn:
            conn.execute(
                sa.text("DROP TRIGGER IF EXISTS refuse_poison" + (" ON messages" if postgres else ""))
            )
            if postgres:
                conn.execute(sa.text("DROP FUNCTION IF EXISTS refuse_poison()"))

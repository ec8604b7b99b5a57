"""apply_events on messages: inserts keyed by id, STOP / START / HELP, carrier opt-out, e-mail
suppression (COMPLIANCE.md guards 3 and 8)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.leads import ChangeKind
from hub.store.models import Contact, Message
from tests.hub.leads import payloads as p
from tests.hub.leads.folding import contact_row, feed
from tests.hub.leads.payloads import at


def _messages(db: Session) -> list[tuple[str, str, str, str | None, str | None]]:
    stmt = sa.select(Message.id, Message.direction, Message.channel, Message.status, Message.source).order_by(
        Message.id
    )
    return [tuple(row) for row in db.execute(stmt)]  # type: ignore[misc]


def test_a_message_from_an_unknown_contact_creates_a_minimal_contact(db: Session) -> None:
    result = feed(db, (p.message(contact_id="CtNew1"), at(0)))
    row = contact_row(db, "CtNew1")
    assert (row.name, row.email, row.tags, row.last_event_at) == (None, None, [], at(0))
    assert _messages(db) == [("MsgT0k9a", "inbound", "SMS", "delivered", None)]
    kinds = [c.kind for c in result.changes]
    assert kinds == [ChangeKind.CONTACT_CREATED, ChangeKind.MESSAGE_RECEIVED]
    assert (
        result.changes[1].detail["preview"]
        == result.changes[1].detail["body"]
        == ("Yes, can we see the house Saturday?")
    )


def test_replayed_messages_are_not_duplicated_even_without_a_message_id(db: Session) -> None:
    no_id = p.message("Is 12 Oak still available?", message_id=None)
    feed(db, (no_id, at(0)), (p.message(), at(1)))
    again = feed(db, (no_id, at(0)), (p.message(), at(1)))  # redelivered under new webhook ids
    assert len(_messages(db)) == 2
    assert again.changes == []


def test_outbound_status_follows_the_newest_event(db: Session) -> None:
    sent = p.message("Hi Dana", inbound=False, message_id="MsgOut55", source="api", status="sent")
    feed(db, ({**sent, "status": "delivered"}, at(2)))
    feed(db, (sent, at(1)))  # the older status arrives late
    assert _messages(db) == [("MsgOut55", "outbound", "SMS", "delivered", "api")]


def test_stop_opts_out_with_evidence_and_start_opts_back_in(db: Session) -> None:
    feed(db, (p.contact(), at(0)))
    stop = feed(db, (p.message("Stop.", message_id="MsgStop1", date_added="2026-09-10T15:10:00Z"), at(10)))
    row = contact_row(db, p.CID)
    assert row.sms_opted_out is True and row.sms_opted_out_at == at(10)
    assert row.sms_opt_out_evidence is not None
    assert {k: row.sms_opt_out_evidence[k] for k in ("action", "rule", "message_id", "body", "at")} == {
        "action": "opt_out",
        "rule": "keyword stop",
        "message_id": "MsgStop1",
        "body": "Stop.",
        "at": at(10).isoformat(),
    }
    assert ChangeKind.SMS_OPTED_OUT in [c.kind for c in stop.changes]
    start = feed(db, (p.message("START", message_id="MsgStart1"), at(20)))
    row = contact_row(db, p.CID)
    assert row.sms_opted_out is False and row.sms_opted_out_at is None
    assert row.sms_opt_out_evidence is not None and row.sms_opt_out_evidence["message_id"] == "MsgStart1"
    assert ChangeKind.SMS_OPTED_IN in [c.kind for c in start.changes]


def test_a_late_stop_older_than_a_start_does_not_opt_out_again(db: Session) -> None:
    feed(db, (p.message("START", message_id="MsgStart1"), at(20)))
    feed(db, (p.message("STOP", message_id="MsgStop1"), at(10)))
    assert contact_row(db, p.CID).sms_opted_out is False


def test_a_late_start_older_than_a_stop_does_not_opt_in(db: Session) -> None:
    feed(db, (p.message("stop texting me", message_id="MsgStop1"), at(30)))
    feed(db, (p.message("START", message_id="MsgStart1"), at(20)))
    row = contact_row(db, p.CID)
    assert row.sms_opted_out is True
    assert (
        row.sms_opt_out_evidence is not None
        and row.sms_opt_out_evidence["rule"] == "phrase 'stop contacting'"
    )


def test_only_inbound_sms_is_classified(db: Session) -> None:
    feed(
        db,
        (p.message("STOP", message_id="MsgMail", channel="Email"), at(0)),
        (p.message("Reply STOP to opt out.", inbound=False, message_id="MsgOut", source="workflow"), at(1)),
    )
    assert contact_row(db, p.CID).sms_opted_out is False


def test_carrier_opt_out_status_on_our_sms_suppresses_it(db: Session) -> None:
    result = feed(
        db, (p.message("Hi Dana", inbound=False, message_id="MsgOut", source="api", status="opt_out"), at(0))
    )
    row = contact_row(db, p.CID)
    assert row.sms_opted_out is True
    assert (
        row.sms_opt_out_evidence is not None and row.sms_opt_out_evidence["rule"] == "carrier status opt_out"
    )
    assert ChangeKind.SMS_OPTED_OUT in [c.kind for c in result.changes]


def test_help_is_reported_once_and_changes_no_consent(db: Session) -> None:
    result = feed(db, (p.message("HELP", message_id="MsgHelp"), at(0)))
    assert [c.kind for c in result.changes if c.kind is ChangeKind.HELP_REQUESTED] == [
        ChangeKind.HELP_REQUESTED
    ]
    assert contact_row(db, p.CID).sms_opted_out is False
    assert feed(db, (p.message("HELP", message_id="MsgHelp"), at(0))).changes == []


def test_email_bounce_complaint_and_unsubscribe_suppress_email_for_good(db: Session) -> None:
    feed(db, (p.contact(), at(0)), (p.contact(contact_id="CtOther", email="other@example.com"), at(0)))
    result = feed(db, (p.email_stats("failed", "DANA@example.com"), at(5)))
    assert contact_row(db, p.CID).dnd_channels["Email"] == "permanent"
    assert contact_row(db, "CtOther").dnd_channels.get("Email") is None
    [suppressed] = [c for c in result.changes if c.kind is ChangeKind.EMAIL_SUPPRESSED]
    assert (suppressed.contact_id, suppressed.detail["kind"]) == (p.CID, "bounced")
    # GHL's own (newer) DND update saying e-mail is fine does not lift our suppression (guard 8).
    feed(db, (p.dnd(email="inactive"), at(9)))
    assert contact_row(db, p.CID).dnd_channels["Email"] == "permanent"
    for event in ("complained", "unsubscribed"):
        feed(db, (p.email_stats(event, "other@example.com"), at(10)))
        assert contact_row(db, "CtOther").dnd_channels["Email"] == "permanent"


def test_email_engagement_touches_the_lead_without_suppressing(db: Session) -> None:
    feed(db, (p.contact(), at(0)))
    result = feed(
        db, (p.email_stats("opened"), at(7)), (p.email_stats("failed", severity="temporary"), at(8))
    )
    row = contact_row(db, p.CID)
    assert row.dnd_channels.get("Email") is None and row.last_event_at == at(8)
    assert result.applied == 2 and result.changes == []


def test_email_stats_for_a_contact_created_in_the_same_batch_are_matched(db: Session) -> None:
    # LCEmailStats names no contact; its sort key comes first, yet it must see this batch's contact.
    feed(db, (p.email_stats("unsubscribed"), at(1)), (p.contact(), at(0)))
    assert contact_row(db, p.CID).dnd_channels["Email"] == "permanent"


def test_a_bounce_that_came_before_the_address_was_known_applies_when_it_is(db: Session) -> None:
    early = feed(db, (p.email_stats("failed"), at(5)))
    assert len(early.unattributed) == 1
    later = feed(db, (p.contact(), at(0)))  # the ContactCreate was delivered late
    assert contact_row(db, p.CID).dnd_channels["Email"] == "permanent"
    assert ChangeKind.EMAIL_SUPPRESSED in [c.kind for c in later.changes]
    assert (
        feed(db, (p.contact("ContactUpdate", firstName="D"), at(9))).changes[0].kind
        is ChangeKind.CONTACT_UPDATED
    )


def test_email_to_an_unknown_address_is_unattributed_not_an_error(db: Session) -> None:
    result = feed(db, (p.email_stats("failed", "nobody@example.com"), at(0)))
    assert len(result.unattributed) == 1 and result.changes == []
    assert db.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0

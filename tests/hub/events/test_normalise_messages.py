"""normalise() of message events: every channel spelling, direction and id quirk."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.events.domain import (
    Channel,
    ConversationMessage,
    Direction,
    Sender,
)
from hub.events.normalise import RawEvent, normalise
from tests.hub.events.test_normalise import T, only, run
from tests.hub.leads import payloads as p

SMS_IN = ConversationMessage(
    message_id="MsgT0k9a",
    id_derived=False,
    contact_id=p.CID,
    direction=Direction.INBOUND,
    channel=Channel.SMS,
    sender=Sender.CONTACT,
    body="Yes, can we see the house Saturday?",
    status="delivered",
    conversation_id="Cv77hQp1",
    sent_at=datetime(2026, 9, 10, 16, 5, 42, 511000, tzinfo=UTC),
)


def test_inbound_sms() -> None:
    assert only(run(p.message())) == SMS_IN


@pytest.mark.parametrize(
    ("fields", "channel"),
    [
        ({"messageType": "SMS"}, Channel.SMS),
        ({"messageType": "Email"}, Channel.EMAIL),
        ({"messageType": "CALL"}, Channel.CALL),
        ({"messageType": "VoiceMail"}, Channel.VOICEMAIL),
        ({"messageType": "TYPE_SMS"}, Channel.SMS),
        ({"messageType": "WhatsApp"}, Channel.WHATSAPP),
        ({"messageType": "GMB"}, Channel.GMB),
        ({"messageType": "FB"}, Channel.FACEBOOK),
        ({"messageType": "IG"}, Channel.INSTAGRAM),
        ({"messageType": "Live Chat"}, Channel.LIVE_CHAT),
        ({"messageType": "Custom"}, Channel.CUSTOM),
        ({"messageType": None, "messageTypeString": "TYPE_VOICEMAIL"}, Channel.VOICEMAIL),
        ({"messageType": None, "messageTypeId": 1}, Channel.CALL),
        ({"messageType": None, "messageTypeId": "2"}, Channel.SMS),
        ({"messageType": None, "messageTypeId": 10}, Channel.VOICEMAIL),
        ({"messageType": "TYPE_ACTIVITY_X", "messageTypeId": 2}, Channel.SMS),
        ({"messageType": None}, Channel.OTHER),
    ],
)
def test_every_spelling_of_the_channel_maps_to_one_enum(fields: dict[str, Any], channel: Channel) -> None:
    payload = p.message()
    del payload["messageType"]
    payload.update({key: value for key, value in fields.items() if value is not None})
    event = only(run(payload))
    assert isinstance(event, ConversationMessage) and event.channel is channel


@pytest.mark.parametrize(
    ("source", "sender"),
    [
        ("api", Sender.AUTOMATION),
        ("workflow", Sender.AUTOMATION),
        ("bulk_actions", Sender.AUTOMATION),
        ("campaign", Sender.AUTOMATION),
        ("app", Sender.AGENT),
        ("APP", Sender.AGENT),
        (None, Sender.UNKNOWN),
    ],
)
def test_outbound_source_tells_automation_from_a_human_agent(source: str | None, sender: Sender) -> None:
    event = only(run(p.message("Hi Dana", inbound=False, source=source, status="opt_out")))
    assert isinstance(event, ConversationMessage)
    assert (event.direction, event.sender, event.status) == (Direction.OUTBOUND, sender, "opt_out")


def test_direction_field_wins_over_a_mislabelled_type() -> None:
    # The docs' inbound call example is typed OutboundMessage (ghl-api.md §1.4).
    payload = p.message(
        "",
        channel="CALL",
        type="OutboundMessage",
        direction="inbound",
        callDuration="95",
        callStatus="completed",
    )
    event = only(run(payload))
    assert isinstance(event, ConversationMessage)
    assert (event.direction, event.sender, event.call_duration_s, event.call_status) == (
        Direction.INBOUND,
        Sender.CONTACT,
        95,
        "completed",
    )


def test_email_uses_email_message_id_and_keeps_subject() -> None:
    payload = p.message(
        "<div>Sounds good</div>",
        message_id=None,
        channel="Email",
        emailMessageId="EmQ2r8",
        subject="Re: 12 Oak St",
    )
    event = only(run(payload))
    assert isinstance(event, ConversationMessage)
    assert (event.message_id, event.id_derived, event.channel, event.subject) == (
        "EmQ2r8",
        False,
        Channel.EMAIL,
        "Re: 12 Oak St",
    )


def test_message_without_any_id_gets_a_key_stable_across_redeliveries() -> None:
    first = only(normalise(RawEvent("InboundMessage", p.message(message_id=None), T, p.LOC, p.CID, "wh-a")))
    again = only(normalise(RawEvent("InboundMessage", p.message(message_id=None), T, p.LOC, p.CID, "wh-b")))
    other = only(normalise(RawEvent("InboundMessage", p.message("other", message_id=None), T, p.LOC, p.CID)))
    assert isinstance(first, ConversationMessage) and isinstance(again, ConversationMessage)
    assert isinstance(other, ConversationMessage)
    assert first.id_derived and first.message_id == again.message_id != other.message_id
    assert len(first.message_id) <= 64

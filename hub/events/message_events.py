"""InboundMessage / OutboundMessage / ProviderOutboundMessage → ConversationMessage.

Quirks handled (ghl-api.md §1.3–§1.4):
- no `id`; `messageId` is absent on some deliveries (and on e-mails, which carry `emailMessageId`):
  a stable key is derived from the message's own content so a redelivery maps to the same row;
- the channel is spelled three ways: `messageType` ("SMS", "Email", "CALL", "VoiceMail", ...),
  `messageTypeString` ("TYPE_SMS", ...) and numeric `messageTypeId` (1 call, 2 SMS, 10 voicemail),
  the last two only on payloads since ~Jan 2026 (ISS-260);
- doc examples mislabel direction (an inbound call typed OutboundMessage): the message's own
  `direction` wins, the event type is the fallback;
- OutboundMessage `source` says who wrote it: api / workflow / bulk_actions / campaign are
  automation, app is a person typing in GHL.
"""

from __future__ import annotations

import hashlib
import json

from hub.events.domain import Channel, ConversationMessage, Direction, Sender
from hub.events.payload import Fields

_CHANNEL_NAMES = {
    "sms": Channel.SMS,
    "email": Channel.EMAIL,
    "call": Channel.CALL,
    "phone": Channel.CALL,
    "ivr": Channel.CALL,
    "voicemail": Channel.VOICEMAIL,
    "whatsapp": Channel.WHATSAPP,
    "rcs": Channel.RCS,
    "gmb": Channel.GMB,
    "fb": Channel.FACEBOOK,
    "facebook": Channel.FACEBOOK,
    "ig": Channel.INSTAGRAM,
    "instagram": Channel.INSTAGRAM,
    "livechat": Channel.LIVE_CHAT,
    "webchat": Channel.LIVE_CHAT,
    "custom": Channel.CUSTOM,
    "customsms": Channel.CUSTOM,
    "customprovider": Channel.CUSTOM,
}
# messageTypeId (ghl-api.md §1.4: 1 call, 2 SMS, 10 voicemail; 3 is GHL's e-mail enum value).
_CHANNEL_IDS = {1: Channel.CALL, 2: Channel.SMS, 3: Channel.EMAIL, 10: Channel.VOICEMAIL}
_AUTOMATION_SOURCES = frozenset({"api", "workflow", "bulk_actions", "campaign", "automation"})
_AGENT_SOURCES = frozenset({"app", "mobile_app", "user"})
_TYPE_DIRECTION = {"InboundMessage": Direction.INBOUND}


def _channel_from_name(name: str) -> Channel | None:
    key = name.strip().lower()
    key = key.removeprefix("type_").replace("_", "").replace(" ", "").replace("-", "")
    return _CHANNEL_NAMES.get(key)


def channel_of(fields: Fields) -> Channel:
    """The one Channel, whichever of GHL's three spellings the payload uses; OTHER if none fits."""
    for name in ("messageType", "messageTypeString"):
        value = fields.raw(name)
        if isinstance(value, str) and (channel := _channel_from_name(value)) is not None:
            return channel
        if isinstance(value, int) and not isinstance(value, bool) and value in _CHANNEL_IDS:
            return _CHANNEL_IDS[value]
    type_id = fields.integer("messageTypeId")
    return _CHANNEL_IDS.get(type_id, Channel.OTHER) if type_id is not None else Channel.OTHER


def direction_of(fields: Fields, event_type: str) -> Direction:
    value = fields.text("direction")
    if value is not None:
        try:
            return Direction(value.lower())
        except ValueError:
            raise fields.error("direction", "inbound or outbound", value) from None
    return _TYPE_DIRECTION.get(event_type, Direction.OUTBOUND)


def sender_of(direction: Direction, source: str | None) -> Sender:
    if direction is Direction.INBOUND:
        return Sender.CONTACT
    if source in _AUTOMATION_SOURCES:
        return Sender.AUTOMATION
    if source in _AGENT_SOURCES:
        return Sender.AGENT
    return Sender.UNKNOWN


def _attachments(fields: Fields) -> tuple[str, ...]:
    value = fields.raw("attachments")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fields.error("attachments", "a list of URLs", value)
    urls: list[str] = []
    for item in value:
        url = item.get("url") if isinstance(item, dict) else item
        if not isinstance(url, str):
            raise fields.error("attachments", "a list of URLs (or of objects with a 'url')", value)
        urls.append(url)
    return tuple(urls)


def derived_message_key(fields: Fields, delivery_key: str | None) -> str:
    """A stable id for a message GHL sent without one: a hash of what identifies the message, not
    of the delivery, so the same message redelivered under a new webhookId still maps to one row."""
    basis: dict[str, object] = {
        name: fields.raw(name)
        for name in (
            "contactId",
            "conversationId",
            "direction",
            "messageType",
            "dateAdded",
            "body",
            "subject",
            "threadId",
            "callDuration",
        )
    }
    if basis["dateAdded"] is None:
        basis["delivery"] = delivery_key or json.dumps(dict(fields.data), sort_keys=True, default=str)
    digest = hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()
    return "h-" + digest[:40]


def conversation_message(
    event_type: str, fields: Fields, fallback_contact: str | None, delivery_key: str | None
) -> ConversationMessage:
    direction = direction_of(fields, event_type)
    source = fields.text("source")
    source = source.lower() if source else None
    status = fields.text("status")
    message_id = fields.ident("messageId", "emailMessageId")
    return ConversationMessage(
        message_id=message_id or derived_message_key(fields, delivery_key),
        id_derived=message_id is None,
        contact_id=fields.ident("contactId") or fallback_contact,
        direction=direction,
        channel=channel_of(fields),
        sender=sender_of(direction, source),
        body=fields.text("body"),
        status=status.lower() if status else None,
        source=source,
        user_id=fields.ident("userId"),
        conversation_id=fields.ident("conversationId"),
        subject=fields.text("subject"),
        call_duration_s=fields.integer("callDuration"),
        call_status=fields.text("callStatus"),
        attachments=_attachments(fields),
        sent_at=fields.time("dateAdded"),
    )

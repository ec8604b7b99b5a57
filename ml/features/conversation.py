"""Conversation features: messages per channel, reply rates, response latency, balance and wording,
and what the lead does with our e-mails."""

from __future__ import annotations

import numpy as np

from ml.features.block import Block, ratio
from ml.features.events import FloatArray
from ml.features.feature import Feature
from ml.intent import BROWSING, EVALUATING, READY, STALLING

_IN = "InboundMessage"
_INTENT_LABELS = {
    STALLING: "as putting it off",
    BROWSING: "as browsing",
    EVALUATING: "as asking about a specific home",
    READY: "as ready to tour, offer or list",
}
_OUT = "OutboundMessage"
FEATURES = (
    Feature(
        "sms_replies_1d",
        "Inbound texts in the last 24 hours.",
        "1 d",
        _IN + " (SMS)",
        "replied to {value:int} text{s} in the last 24 h",
        zero="sent no texts in the last 24 h",
    ),
    Feature(
        "sms_replies_7d",
        "Inbound texts in the last 7 days.",
        "7 d",
        _IN + " (SMS)",
        "sent {value:int} text{s} in the last 7 days",
        zero="sent no texts in the last 7 days",
    ),
    Feature(
        "email_replies_7d",
        "Inbound e-mails in the last 7 days.",
        "7 d",
        _IN + " (Email)",
        "sent {value:int} e-mail{s} in the last 7 days",
        zero="sent no e-mails in the last 7 days",
    ),
    Feature(
        "calls_inbound_30d",
        "Inbound calls and voicemails in the last 30 days.",
        "30 d",
        _IN + " (Call, Voicemail)",
        "called us {value:int} time{s} in the last 30 days",
        zero="has not called in the last 30 days",
    ),
    Feature(
        "inbound_messages_30d",
        "Inbound messages on any channel in the last 30 days.",
        "30 d",
        _IN,
        "sent us {value:int} message{s} in the last 30 days",
        zero="sent us no messages in the last 30 days",
    ),
    Feature(
        "outbound_messages_7d",
        "Messages we sent in the last 7 days (agent or automation).",
        "7 d",
        _OUT,
        "we sent {value:int} message{s} in the last 7 days",
        zero="we sent nothing in the last 7 days",
    ),
    Feature(
        "outbound_messages_30d",
        "Messages we sent in the last 30 days (agent or automation).",
        "30 d",
        _OUT,
        "we sent {value:int} message{s} in the last 30 days",
        zero="we sent nothing in the last 30 days",
    ),
    Feature(
        "human_outbound_7d",
        "Messages and calls an agent sent by hand in the last 7 days.",
        "7 d",
        _OUT + " (source app)",
        "an agent reached out {value:int} time{s} in the last 7 days",
        zero="no agent reached out in the last 7 days",
    ),
    Feature(
        "automated_outbound_30d",
        "Automated messages (workflows, campaigns) in the last 30 days.",
        "30 d",
        _OUT + " (source workflow/campaign/api)",
        "got {value:int} automated message{s} in the last 30 days",
        zero="got no automated messages in the last 30 days",
    ),
    Feature(
        "sms_reply_rate_30d",
        "Inbound texts per outbound text in the last 30 days.",
        "30 d",
        _IN + ", " + _OUT + " (SMS)",
        "sent {value:per} as many texts as we sent them in the last 30 days",
        zero="answered none of our texts in the last 30 days",
        missing="we sent no texts in the last 30 days",
    ),
    Feature(
        "email_reply_rate_30d",
        "Inbound e-mails per outbound e-mail in the last 30 days.",
        "30 d",
        _IN + ", " + _OUT + " (Email)",
        "sent {value:per} as many e-mails as we sent them in the last 30 days",
        zero="answered none of our e-mails in the last 30 days",
        missing="we sent no e-mails in the last 30 days",
    ),
    Feature(
        "reply_rate_total",
        "Inbound messages per outbound message since the lead was created.",
        "ever",
        _IN + ", " + _OUT,
        "sends {value:per} as many messages as we send them",
        zero="has never answered our messages",
        missing="we have never messaged them",
    ),
    Feature(
        "sms_response_hours",
        "Mean hours from our text to the lead's reply text.",
        "ever",
        _IN + ", " + _OUT + " (SMS)",
        "answers our texts in {value:hours} on average",
        missing="has never answered a text of ours",
    ),
    Feature(
        "email_response_hours",
        "Mean hours from our e-mail to the lead's reply e-mail.",
        "ever",
        _IN + ", " + _OUT + " (Email)",
        "answers our e-mails in {value:hours} on average",
        missing="has never answered an e-mail of ours",
    ),
    Feature(
        "inbound_share_30d",
        "Inbound share of all messages in the last 30 days (balance of the conversation).",
        "30 d",
        _IN + ", " + _OUT,
        "wrote {value:pct} of the last 30 days' messages",
        zero="wrote none of the last 30 days' messages",
        missing="no messages in the last 30 days",
    ),
    Feature(
        "outbound_since_last_reply",
        "Messages we sent since the lead's last inbound message (unanswered chasing).",
        "ever",
        _IN + ", " + _OUT,
        "{value:int} message{s} of ours went unanswered since their last reply",
        zero="we have not messaged since their last reply",
    ),
    Feature(
        "high_intent_messages_30d",
        "Inbound messages in the last 30 days asking to tour, offer or list.",
        "30 d",
        _IN + " (body wording)",
        "asked to tour, offer or list in {value:int} message{s} this month",
        zero="no messages asking to tour or offer this month",
    ),
    Feature(
        "low_intent_messages_30d",
        'Inbound messages in the last 30 days that stall ("just looking", "maybe next year").',
        "30 d",
        _IN + " (body wording)",
        'said "just looking" or "not now" in {value:int} message{s} this month',
        zero="no stalling messages this month",
    ),
    Feature(
        "last_message_intent",
        "Intent level of the lead's latest message that says something about intent (ml.intent): "
        "0 stalling, 1 browsing, 2 asking about a home, 3 ready to tour / offer / list.",
        "latest",
        _IN + " (body wording)",
        "their latest message reads {label}",
        labels=_INTENT_LABELS,
        missing="none of their messages says how ready they are",
    ),
    Feature(
        "mean_message_intent_7d",
        "Mean intent level (0-3) of the lead's messages in the last 7 days.",
        "7 d",
        _IN + " (body wording)",
        "their messages this week average intent {value:1f} of 3",
        missing="no telling messages in the last 7 days",
    ),
    Feature(
        "days_since_ready_message",
        "Days since the lead last asked to tour, offer or list (intent level 3).",
        "ever",
        _IN + " (body wording)",
        "asked to tour, offer or list {value:days} ago",
        missing="has never asked to tour, offer or list",
    ),
    Feature(
        "days_since_evaluating_message",
        "Days since the lead last asked about a specific home or the deal (intent level 2 or 3).",
        "ever",
        _IN + " (body wording)",
        "asked about a specific home {value:days} ago",
        missing="has never asked about a specific home",
    ),
    Feature(
        "days_since_stalling_message",
        'Days since the lead last put us off (intent level 0: "not now", "maybe next year").',
        "ever",
        _IN + " (body wording)",
        "put us off {value:days} ago",
        missing="has never put us off",
    ),
    Feature(
        "inbound_chars_mean_30d",
        "Mean length in characters of the lead's messages in the last 30 days.",
        "30 d",
        _IN + " (body)",
        "writes {value:int}-character messages on average",
        missing="no messages in the last 30 days",
    ),
    Feature(
        "days_since_last_email_open",
        "Days since the lead last opened one of our e-mails (includes machine opens).",
        "ever",
        "LCEmailStats opened",
        "last opened one of our e-mails {value:days} ago",
        missing="has never opened one of our e-mails",
    ),
    Feature(
        "agent_calls_answered_share_30d",
        "Share of our agents' calls in the last 30 days that the lead picked up.",
        "30 d",
        _OUT + " (Call status completed / voicemail)",
        "picked up {value:pct} of our calls this month",
        zero="picked up none of our calls this month",
        missing="we did not call them in the last 30 days",
    ),
    Feature(
        "email_opens_7d",
        "E-mail opens in the last 7 days (includes machine opens).",
        "7 d",
        "LCEmailStats opened (matched by recipient address)",
        "opened our e-mails {value:int} time{s} in the last 7 days",
        zero="opened none of our e-mails in the last 7 days",
    ),
    Feature(
        "email_open_rate_30d",
        "Opens per delivered e-mail in the last 30 days.",
        "30 d",
        "LCEmailStats delivered/opened",
        "opened our e-mails {value:per} as often as we delivered them in the last 30 days",
        zero="opened none of our e-mails in the last 30 days",
        missing="no e-mails delivered in the last 30 days",
    ),
    Feature(
        "email_clicks_30d",
        "Links clicked in our e-mails in the last 30 days.",
        "30 d",
        "LCEmailStats clicked",
        "clicked {value:int} link{s} in our e-mails this month",
        zero="clicked no links in our e-mails this month",
    ),
)


def compute(b: Block) -> dict[str, FloatArray]:
    msg_in, msg_out = b.mask("msg_in"), b.mask("msg_out")
    sms, email = b.mask("sms"), b.mask("email")
    d1, d7, d30 = b.within(1), b.within(7), b.within(30)
    in_30, out_30 = b.count(msg_in & d30), b.count(msg_out & d30)
    last_in = b.last_time(msg_in)
    after_last_in = b.at > last_in[b.seg]
    intent = b.col("intent").astype(float)
    telling = msg_in & ~np.isnan(intent)
    return {
        "sms_replies_1d": b.count(msg_in & sms & d1),
        "sms_replies_7d": b.count(msg_in & sms & d7),
        "email_replies_7d": b.count(msg_in & email & d7),
        "calls_inbound_30d": b.count(msg_in & b.mask("call") & d30),
        "inbound_messages_30d": in_30,
        "outbound_messages_7d": b.count(msg_out & d7),
        "outbound_messages_30d": out_30,
        "human_outbound_7d": b.count(b.mask("human_out") & d7),
        "automated_outbound_30d": b.count(b.mask("auto_out") & d30),
        "sms_reply_rate_30d": ratio(b.count(msg_in & sms & d30), b.count(msg_out & sms & d30)),
        "email_reply_rate_30d": ratio(b.count(msg_in & email & d30), b.count(msg_out & email & d30)),
        "reply_rate_total": ratio(b.count(msg_in), b.count(msg_out)),
        "sms_response_hours": b.mean(b.col("sms_response_h").astype(float), msg_in),
        "email_response_hours": b.mean(b.col("email_response_h").astype(float), msg_in),
        "inbound_share_30d": ratio(in_30, in_30 + out_30),
        "outbound_since_last_reply": b.count(msg_out & after_last_in),
        "high_intent_messages_30d": b.count(b.mask("high_intent") & d30),
        "low_intent_messages_30d": b.count(b.mask("low_intent") & d30),
        "last_message_intent": b.last_value(intent, telling),
        "mean_message_intent_7d": b.mean(intent, telling & d7),
        "days_since_ready_message": b.days_since(b.last_time(telling & (intent >= READY))),
        "days_since_evaluating_message": b.days_since(b.last_time(telling & (intent >= EVALUATING))),
        "days_since_stalling_message": b.days_since(b.last_time(telling & (intent <= STALLING))),
        "inbound_chars_mean_30d": b.mean(b.col("body_chars").astype(float), msg_in & d30),
        "days_since_last_email_open": b.days_since(b.last_time(b.mask("email_opened"))),
        "agent_calls_answered_share_30d": ratio(
            b.count(b.mask("call_answered") & d30), b.count(b.mask("call_out") & d30)
        ),
        "email_opens_7d": b.count(b.mask("email_opened") & d7),
        "email_open_rate_30d": ratio(
            b.count(b.mask("email_opened") & d30), b.count(b.mask("email_delivered") & d30)
        ),
        "email_clicks_30d": b.count(b.mask("email_clicked") & d30),
    }

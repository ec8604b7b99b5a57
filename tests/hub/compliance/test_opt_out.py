"""classify_sms: COMPLIANCE.md guard 3 keywords and intents, and the look-alikes that are not."""

from __future__ import annotations

import pytest

from hub.compliance.opt_out import SmsIntent, classify_sms
from hub.simulator.texts import BUYER_SMS, SELLER_SMS, START_KEYWORDS, STOP_KEYWORDS, STOP_PHRASES

OPT_OUT = [
    "STOP",
    "stop",
    "Stop.",
    "STOP!!!",
    "  stop  ",
    "Stop 🛑",
    "ＳＴＯＰ",
    "STOPALL",
    "Stop all",
    "UNSUBSCRIBE",
    "Cancel",
    "END",
    "quit",
    "REVOKE",
    "OPTOUT",
    "OPT OUT",
    "opt-out",
    "Opt out please",
    "stop please",
    "Please STOP",
    "STOP STOP STOP",
    "stop now",
    "Stop texting me",
    "please stop texting me!!",
    "STOP messaging me",
    "stop sending me these",
    "Wrong number",
    "wrong number, stop",
    "wrong person",
    "Remove me from your list",
    "Take me off this list please",
    "remove me",
    "Please remove my number from your list",
    "Don't text me",
    "Do not text this number again",
    "dont message me",
    "Never text me again",
    "unsubscribe me",
    "opt me out",
    "lose my number",
    "leave me alone",
    "No more texts please",
]
NOT_OPT_OUT = [
    "I can't stop thinking about that house",
    "the END of the month works",
    "End of the month works for us",
    "Can you stop by at 5?",
    "We will stop by the open house",
    "Don't stop sending me listings!",
    "Please don't text me after 9pm",
    "don't text me before 8, I work nights",
    "Not interested",
    "Can I cancel my showing?",
    "Cancel it",
    "Can you take me to see the house?",
    "I gave you the wrong number, use 512-555-0100",
    "You never call me back",
    "Yes, can we see the house Saturday?",
    "stopped by the place on elm, loved it",
    "What's the unsubscribe rate on these listings lol",
    "",
]


@pytest.mark.parametrize("body", OPT_OUT)
def test_opt_out_keywords_and_intents(body: str) -> None:
    assert classify_sms(body).intent is SmsIntent.OPT_OUT


@pytest.mark.parametrize("body", NOT_OPT_OUT)
def test_look_alikes_are_not_opt_outs(body: str) -> None:
    assert classify_sms(body).intent is not SmsIntent.OPT_OUT


@pytest.mark.parametrize("body", ["START", "Start", "unstop", "SUBSCRIBE", "start please", "START."])
def test_opt_in_keywords(body: str) -> None:
    assert classify_sms(body).intent is SmsIntent.OPT_IN


@pytest.mark.parametrize(
    "body", ["yes", "YES!", "Let's start looking in March", "Subscribe me to the newsletter?"]
)
def test_ordinary_replies_are_not_opt_ins(body: str) -> None:
    assert classify_sms(body).intent is SmsIntent.NONE


@pytest.mark.parametrize("body", ["HELP", "help", "Help!", "INFO", "help me"])
def test_help_keywords(body: str) -> None:
    assert classify_sms(body).intent is SmsIntent.HELP


@pytest.mark.parametrize("body", ["Can you help me find a house?", "more info please on 12 Oak"])
def test_help_in_a_sentence_is_a_question_not_the_keyword(body: str) -> None:
    assert classify_sms(body).intent is SmsIntent.NONE


def test_the_rule_is_kept_as_evidence() -> None:
    assert classify_sms("Stop.").rule == "keyword stop"
    assert classify_sms("Wrong number, sorry").rule == "phrase 'wrong number'"
    assert classify_sms("hello").rule == "none"
    assert classify_sms("Opt-Out!").normalised == "optout"


def test_every_stop_text_the_simulator_sends_is_caught() -> None:
    for body in (*STOP_KEYWORDS, *STOP_PHRASES):
        assert classify_sms(body).intent is SmsIntent.OPT_OUT, body
    for body in START_KEYWORDS:
        assert classify_sms(body).intent is SmsIntent.OPT_IN, body


def test_no_ordinary_lead_reply_of_the_simulator_is_an_opt_out() -> None:
    replies = [text for bank in (BUYER_SMS, SELLER_SMS) for stage in bank for text in stage]
    assert replies
    flagged = [text for text in replies if classify_sms(text).intent is SmsIntent.OPT_OUT]
    assert flagged == []

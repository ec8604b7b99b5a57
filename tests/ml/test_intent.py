"""The graded message-intent lexicon (ml/intent.py) and how the timeline carries it."""

from __future__ import annotations

import pytest

from ml.intent import BROWSING, EVALUATING, READY, STALLING, message_intent
from ml.timeline import build_timeline
from tests.ml.builders import at, make_contact, make_message


@pytest.mark.parametrize(
    ("body", "level"),
    [
        ("Can we tour 12 Oak St this Saturday?", READY),
        ("We're pre-approved for 450k, ready to move", READY),
        ("Can you do a walkthrough this week?", READY),
        ("<div>We'd like to see 12 Oak St as soon as possible.</div>", READY),
        ("What are the HOA fees on 12 Oak St?", EVALUATING),
        ("Is 12 Oak St in a good school district?", EVALUATING),
        ("What would you list my house at?", EVALUATING),
        ("Just looking for now", BROWSING),
        ("What's the market like in Round Rock?", BROWSING),
        ("Maybe next year", STALLING),
        ("Who is this?", STALLING),
        ("Already working with someone, thanks", STALLING),
        # The most committed wording wins over politeness or hedging in the same message.
        ("Thanks! Can we tour it tomorrow after 5?", READY),
        ("ok 👍", None),
        ("", None),
        (None, None),
    ],
)
def test_message_intent_levels(body: str | None, level: int | None) -> None:
    assert message_intent(body) == level


def test_timeline_grades_inbound_messages_only_and_not_consent_texts() -> None:
    stream = [
        make_contact(),
        make_message(at(hours=1), body="Is it still available?"),
        make_message(at(hours=2), inbound=False, body="Yes! Want to tour it Saturday?"),
        make_message(at(hours=3), body="STOP"),
        make_message(at(hours=4), body="Can we see it Saturday?"),
    ]
    messages = build_timeline(stream).events.query("kind == 'message'").reset_index(drop=True)
    assert messages["intent"].fillna(-1).tolist() == [EVALUATING, -1, -1, READY]
    assert messages["high_intent"].tolist() == [False, False, False, True]

"""What a lead's message says about how close they are to acting: a graded intent lexicon.

    message_intent("Can we tour 12 Oak St this Saturday?")   # 3: ready to act
    message_intent("What are the HOA fees on 12 Oak St?")     # 2: evaluating a specific home
    message_intent("Just looking for now")                    # 1: browsing
    message_intent("Maybe next year")                         # 0: stalling
    message_intent("Who is this?")                            # 0
    message_intent("ok 👍")                                   # None: says nothing about intent

Levels are checked from the most committed down, so "thanks, can we tour it Saturday?" is 3, not
1. The wording is what real-estate leads write at each stage of a search (asking to see a home,
asking about fees or schools, browsing the market, putting it off); the level of the latest
message is a strong clue to where a lead stands today, which counts of events cannot give.
"""

from __future__ import annotations

import re

READY, EVALUATING, BROWSING, STALLING = 3, 2, 1, 0
_LEVELS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (
        READY,  # wants to see, offer, list or sign now; money and dates are settled
        re.compile(
            r"\b(tour|showing|walk-?through|come by|make an offer|offers?|offering|pre-?approv\w*|lender"
            r"|ready|sign|comps|lease ends|as soon as possible|asap|sell fast|list next month"
            r"|saturday|sunday|this week(end)?|tomorrow|tonight)\b",
            re.IGNORECASE,
        ),
    ),
    (
        EVALUATING,  # asks about one home or the deal's terms
        re.compile(
            r"\b(still available|hoa|tax(es)?|schools?|school district|on the market|more like|any others"
            r"|tell (me|us) more|set up a time|a couple of homes|list my|commission|recent sales"
            r"|taking to sell|before listing|next week)\b",
            re.IGNORECASE,
        ),
    ),
    (
        STALLING,  # puts it off, declines or does not know us
        re.compile(
            r"\b(not right now|not now|wait|maybe|next year|year or two|already working|who is this"
            r"|staying put|not selling|remove me|not interested|decided)\b",
            re.IGNORECASE,
        ),
    ),
    (
        BROWSING,  # watches the market without a target
        re.compile(
            r"\b(just looking|just browsing|browsing|the market|prices|take a look|let you know|researching"
            r"|curious|worth|still early|early in the process|send a few more)\b",
            re.IGNORECASE,
        ),
    ),
)


def message_intent(body: str | None) -> int | None:
    """The intent level (0-3) of an inbound message, or None when its wording says nothing."""
    if not body:
        return None
    for level, pattern in _LEVELS:
        if pattern.search(body):
            return level
    return None

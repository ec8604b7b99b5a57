"""Classify an inbound SMS as an opt-out, an opt-in, a help request, or none (COMPLIANCE.md guard 3).

The body is normalised first: Unicode-folded, lower-cased, apostrophes dropped ("don't" → "dont"),
every other non-alphanumeric run (punctuation, emoji) turned into one space, "opt out" joined to
"optout" and "stop all" to "stopall".

Then, in this order:
1. keyword messages — the whole message is carrier keywords plus politeness filler ("STOP",
   "Stop.", "stop please", "STOP STOP", "End", "opt-out"): a keyword must stand alone, because
   "the END of the month works" or "can you stop by at 5" are not opt-outs;
2. free-text opt-out intents anywhere in the message ("stop texting me", "wrong number", "remove
   me from your list", "don't text me"), unless negated ("don't stop sending me listings") or only
   limiting the time ("don't text me after 9pm");
3. otherwise NONE. "Not interested" is a disposition, not a revocation: NONE.

Carriers' standard keywords per ghl-api.md §4.3 (STOP/STOPALL/UNSUBSCRIBE/CANCEL/END/QUIT) plus
REVOKE and OPTOUT, which COMPLIANCE.md adds; START/UNSTOP/SUBSCRIBE opt back in ("YES" does not:
it answers too many ordinary questions).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class SmsIntent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class SmsClassification:
    """The intent and the rule that decided it (kept as opt-out evidence)."""

    intent: SmsIntent
    rule: str  # "keyword stop", "phrase 'wrong number'", "none"
    normalised: str


OPT_OUT_KEYWORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
OPT_IN_KEYWORDS = frozenset({"start", "unstop", "subscribe"})
HELP_KEYWORDS = frozenset({"help", "info"})
# Words that may surround a keyword without changing what the message means.
_FILLER = frozenset(
    {
        "please",
        "pls",
        "plz",
        "now",
        "thanks",
        "thank",
        "you",
        "thx",
        "ok",
        "okay",
        "asap",
        "me",
        "all",
        "sms",
        "text",
        "texts",
        "msgs",
        "messages",
    }
)

_CONTACT_VERB = r"(?:text|txt|sms|messag|msg|contact|call|e ?mail|spam|bother)\w*"
_OBJECT = r"(?:me|this number|my number|us)"
# A time or channel limit turns "don't text me" into a preference, not a revocation of consent.
_LIMIT = (
    r"(?! (?:after|before|until|till|at|on|during|while|today|tonight|this|right now|in the|so|"
    r"late|early|back)\b)"
)
_NEGATED = re.compile(r"\b(?:dont|do not|never|cant|can not|cannot|wont|will not|didnt|did not) $")
# "I gave you the wrong number, use ..." corrects a number; it does not ask us to stop.
_CORRECTION = re.compile(
    r"\b(?:gave|put|wrote|entered|typed|sent|listed|used|have) (?:you |u )?(?:the |a )?$"
)


@dataclass(frozen=True, slots=True)
class _Phrase:
    name: str
    pattern: re.Pattern[str]
    unless_before: re.Pattern[str] | None = None  # checked against the text before the match


_OPT_OUT_PHRASES = (
    _Phrase("stop contacting", re.compile(rf"\bstop (?:{_CONTACT_VERB}|sending)\b"), _NEGATED),
    _Phrase(
        "do not contact",
        re.compile(rf"\b(?:dont|do not|never) (?:ever )?{_CONTACT_VERB} {_OBJECT}\b{_LIMIT}"),
    ),
    _Phrase("wrong number", re.compile(r"\bwrong (?:number|person|phone|#)"), _CORRECTION),
    _Phrase(
        "remove me",
        re.compile(
            r"\b(?:remove|delete|take|drop) (?:me|my number|this number|my info)"
            r" (?:off|from)\b|^(?:please )?(?:remove|delete) (?:me|my number)(?: please)?$"
        ),
    ),
    _Phrase("unsubscribe me", re.compile(r"\bunsubscribe (?:me|from)\b|\bopt me out\b")),
    _Phrase("lose my number", re.compile(r"\blose (?:my|this) number\b")),
    _Phrase("leave me alone", re.compile(r"\bleave me alone\b")),
    _Phrase("no more texts", re.compile(r"\bno more (?:texts|messages|msgs|sms|txts)\b")),
)


def normalise_sms(body: str) -> str:
    text = unicodedata.normalize("NFKC", body).casefold()
    text = re.sub(r"['’`´]", "", text)
    text = re.sub(r"[^0-9a-z#]+", " ", text).strip()
    text = re.sub(r"\bopt out\b", "optout", text)
    return re.sub(r"\bstop all\b", "stopall", text)


def _keyword_message(words: list[str], keywords: frozenset[str]) -> str | None:
    """The keyword if the message is only keywords and filler, with at least one keyword."""
    found = [word for word in words if word in keywords]
    if found and all(word in keywords or word in _FILLER for word in words):
        return found[0]
    return None


def classify_sms(body: str | None) -> SmsClassification:
    """What an inbound SMS body asks for. Never raises; an empty body is NONE."""
    text = normalise_sms(body or "")
    words = text.split()
    if not words:
        return SmsClassification(SmsIntent.NONE, "none", text)
    for intent, keywords in (
        (SmsIntent.OPT_OUT, OPT_OUT_KEYWORDS),
        (SmsIntent.OPT_IN, OPT_IN_KEYWORDS),
        (SmsIntent.HELP, HELP_KEYWORDS),
    ):
        keyword = _keyword_message(words, keywords)
        if keyword is not None:
            return SmsClassification(intent, f"keyword {keyword}", text)
    for phrase in _OPT_OUT_PHRASES:
        for match in phrase.pattern.finditer(text):
            before = text[: match.start()]
            if phrase.unless_before is None or not phrase.unless_before.search(before):
                return SmsClassification(SmsIntent.OPT_OUT, f"phrase '{phrase.name}'", text)
    return SmsClassification(SmsIntent.NONE, "none", text)

"""Guard 8 for SMS: a carrier's word that a number must not be texted again.

Two signals reach us (ghl-api.md §3.2, §4.3 rule 4):

* GHL refuses a send with the carrier's reason in its error message. GHL's LC Phone runs on
  Twilio, whose error codes name the cause: 21610 "attempt to send to unsubscribed recipient"
  (the person texted STOP to the carrier), 30004 "message blocked", and numbers that can never
  get a text (21211 invalid number, 21614 not a mobile number, 30005 unknown handset, 30006
  landline or unreachable carrier). `classify_refusal` reads the code or, failing that, the words.
* OutboundMessage webhooks report our texts `undelivered` / `failed` without a code (ISS-160).
  One failure may be a phone switched off, so it proves nothing; `undeliverable_streak` treats
  the number as dead after UNDELIVERED_STREAK failures in a row with no delivery in between.
  (Status `opt_out` is a STOP and is recorded by the lead state: hub.leads.writes.)

Either way the SMS channel of that contact is suppressed like a STOP, for that phone number: only
the contact's START, or a new number, lifts it. Transient codes (30003 handset unreachable, 30008
unknown error) and content filtering (30007) never suppress: the next send may go through.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

CarrierKind = Literal["opted_out", "undeliverable"]

# Twilio error codes (GHL's LC Phone carrier errors) that mean "never text this number again".
CARRIER_CODES: dict[str, tuple[CarrierKind, str]] = {
    "21610": ("opted_out", "unsubscribed recipient: the number replied STOP to the carrier"),
    "30004": ("opted_out", "message blocked: the recipient or carrier blocks texts from this sender"),
    "21211": ("undeliverable", "invalid phone number"),
    "21614": ("undeliverable", "the number is not a mobile number"),
    "30005": ("undeliverable", "unknown destination handset: the number does not exist"),
    "30006": ("undeliverable", "landline or unreachable carrier"),
}
# The same causes in words, for refusals that carry no code. Order: opt-out wording first.
_PHRASES: tuple[tuple[re.Pattern[str], CarrierKind, str], ...] = (
    (
        re.compile(r"unsubscribed recipient|opted[ -]?out|has unsubscribed", re.I),
        "opted_out",
        "the carrier reports the number opted out",
    ),
    (
        re.compile(r"landline|not a (?:valid )?mobile|not sms[- ]capable|cannot receive sms", re.I),
        "undeliverable",
        "the number cannot receive texts",
    ),
)
_CODE = re.compile(r"\b(2\d{4}|3\d{4})\b")
UNDELIVERED_STATUSES = frozenset({"undelivered", "failed"})
UNDELIVERED_STREAK = 2


@dataclass(frozen=True, slots=True)
class CarrierBlock:
    """Why a number must not be texted again: the kind, the carrier code if known, in words."""

    kind: CarrierKind
    code: str | None
    meaning: str

    @property
    def rule(self) -> str:
        """The evidence's `rule`, e.g. "carrier error 21610 (unsubscribed recipient: ...)"."""
        if self.code:
            return f"carrier error {self.code} ({self.meaning})"
        return f"carrier report ({self.meaning})"


def classify_refusal(detail: object) -> CarrierBlock | None:
    """The carrier block a GHL refusal of an SMS describes, or None when it is about something else
    (a missing field, a DND, a transient carrier failure). `detail` is GHL's `message` (str or list)."""
    text = " ".join(str(part) for part in detail) if isinstance(detail, list | tuple) else str(detail)
    for code in _CODE.findall(text):
        if code in CARRIER_CODES:
            kind, meaning = CARRIER_CODES[code]
            return CarrierBlock(kind, code, meaning)
    for pattern, kind, meaning in _PHRASES:
        if pattern.search(text):
            return CarrierBlock(kind, None, meaning)
    return None


def undeliverable_streak(statuses_newest_first: Sequence[str | None]) -> CarrierBlock | None:
    """A block when the newest UNDELIVERED_STREAK delivery reports of texts to the number are all
    failures (`statuses_newest_first`: outbound SMS statuses; None / pending ones are skipped)."""
    final = [s.lower() for s in statuses_newest_first if s and s.lower() not in ("pending", "queued")]
    recent = final[:UNDELIVERED_STREAK]
    if len(recent) == UNDELIVERED_STREAK and all(s in UNDELIVERED_STATUSES for s in recent):
        return CarrierBlock(
            "undeliverable",
            None,
            f"the last {UNDELIVERED_STREAK} texts to this number were reported {'/'.join(recent)}",
        )
    return None

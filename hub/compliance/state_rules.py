"""Calling-hour windows and daily contact caps: the federal rule and the stricter state laws.

Texts count as calls under the TCPA (market.md [C16]), so SMS and call tasks share these rules.
Only rules with a source in market.md / COMPLIANCE.md or a cited public summary are listed; a state
that is not here gets the federal window. Each mini-TCPA below also presumes that a number with the
state's area code belongs to a resident, which is why hub.compliance.lead_timezone counts the area
code's state even when the contact's own time zone is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True, slots=True)
class CallingRule:
    """Allowed local window [start, end) and the most marketing texts + calls per rolling 24 h."""

    name: str
    start: time
    end: time
    max_per_24h: int | None
    source: str


FEDERAL = CallingRule(
    "federal (TCPA)",
    time(8, 0),
    time(21, 0),
    None,
    "47 CFR 64.1200(c)(1): no telephone solicitation before 8 a.m. or after 9 p.m. at the called "
    "party's location (market.md (c)1, [C1,C2])",
)

STATE_RULES: dict[str, CallingRule] = {
    "FL": CallingRule(
        "Florida (FTSA)",
        time(8, 0),
        time(20, 0),
        3,
        "Florida Telephone Solicitation Act, Fla. Stat. 501.059: 8 a.m.-8 p.m., at most 3 sales "
        "calls/texts per 24 h on the same subject (market.md (c)2, [C11])",
    ),
    "OK": CallingRule(
        "Oklahoma (OTSA)",
        time(8, 0),
        time(20, 0),
        3,
        "Oklahoma Telephone Solicitation Act of 2022 (HB 3168), in force 1 Nov 2022: 8 a.m.-8 p.m., "
        "at most 3 calls per 24 h (summaries: nolo.com 'Oklahoma restrictions on telemarketers'; "
        "dnc.dreamhosters.com/?p=1309)",
    ),
    "MD": CallingRule(
        "Maryland (Stop the Spam Calls Act)",
        time(8, 0),
        time(20, 0),
        3,
        "Maryland Stop the Spam Calls Act of 2023 (SB 90), in force 1 Jan 2024: 8 a.m.-8 p.m. in the "
        "called party's zone, at most 3 calls or texts per 24 h on the same subject (summaries: "
        "compliancepoint.com 'Maryland mini-TCPA approved'; jdsupra.com Kelley Drye 2024)",
    ),
}


def rules_for(states: tuple[str, ...]) -> tuple[CallingRule, ...]:
    """The federal rule plus the rule of every listed state that has one."""
    return (FEDERAL, *(STATE_RULES[s] for s in states if s in STATE_RULES))


def strictest_daily_cap(states: tuple[str, ...]) -> CallingRule | None:
    """The state rule with the lowest 24-hour cap among `states`, if any has a cap."""
    capped = [STATE_RULES[s] for s in states if s in STATE_RULES and STATE_RULES[s].max_per_24h]
    return min(capped, key=lambda rule: rule.max_per_24h or 0) if capped else None
